package dev.graft.processor.passes;

import dev.graft.processor.ir.ModelGraph;

/** The optimization passes, in order (placeholder until the passes phase lands). */
public final class Passes {
  private Passes() {}

  public static ModelGraph optimize(ModelGraph model) {
    return model;
  }
}
