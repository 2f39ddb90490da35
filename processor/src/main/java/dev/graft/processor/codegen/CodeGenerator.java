package dev.graft.processor.codegen;

import dev.graft.processor.ir.ModelGraph;

/** Schedules, plans memory and writes the generated class (placeholder until codegen lands). */
public final class CodeGenerator {
  private CodeGenerator() {}

  public static GeneratedSource generate(ModelGraph model) {
    throw new UnsupportedOperationException("code generation not yet implemented");
  }
}
