package dev.graft.processor;

import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.codegen.CodeGenerator;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.passes.Passes;
import dev.graft.processor.schedule.FusionPolicy;

/**
 * The compiler core as a library: a model graph in, generated Java source out. It runs the
 * phases of DESIGN.md §3 after the front end: optimization passes, autodiff, the passes again
 * over the gradients, then scheduling, memory planning and code generation (inside {@link
 * CodeGenerator}). The first round of passes lets autodiff differentiate the fused, stable ops
 * (a softmax cross-entropy rather than {@code log} of a {@code softmax}). It knows nothing of
 * annotation processing, so tests and, later, run-time graph builders can call it directly.
 */
public final class Compiler {
  private Compiler() {}

  /**
   * Compiles a parsed model. Throws {@link dev.graft.processor.diag.GraftException} for a model
   * problem found by a later phase (positions point into the model source).
   */
  public static GeneratedSource compile(ModelGraph parsed) {
    return compile(parsed, false);
  }

  /**
   * Compiles a parsed model; with {@code vectorVariant}, the generated class also holds its
   * Vector API variant (see {@link CodeGenerator}), which only compiles where
   * {@code jdk.incubator.vector} is visible.
   */
  public static GeneratedSource compile(ModelGraph parsed, boolean vectorVariant) {
    Verifier.verify(parsed);
    ModelGraph simplified = Passes.optimize(parsed);
    Verifier.verify(simplified);
    ModelGraph differentiated = Autodiff.differentiate(simplified);
    Verifier.verify(differentiated);
    ModelGraph optimized = Passes.optimize(differentiated);
    Verifier.verify(optimized);
    return CodeGenerator.generate(optimized, FusionPolicy.DEFAULT, vectorVariant);
  }
}
