package dev.graft.processor;

import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.codegen.CodeGenerator;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.passes.Passes;

/**
 * The compiler core as a library: a model graph in, generated Java source out. It runs the
 * phases of DESIGN.md §3 after the front end: autodiff, optimization passes, then scheduling,
 * memory planning and code generation (inside {@link CodeGenerator}). It knows nothing of
 * annotation processing, so tests and, later, run-time graph builders can call it directly.
 */
public final class Compiler {
  private Compiler() {}

  /**
   * Compiles a parsed model. Throws {@link dev.graft.processor.diag.GraftException} for a model
   * problem found by a later phase (positions point into the model source).
   */
  public static GeneratedSource compile(ModelGraph parsed) {
    Verifier.verify(parsed);
    ModelGraph differentiated = Autodiff.differentiate(parsed);
    Verifier.verify(differentiated);
    ModelGraph optimized = Passes.optimize(differentiated);
    Verifier.verify(optimized);
    return CodeGenerator.generate(optimized);
  }
}
