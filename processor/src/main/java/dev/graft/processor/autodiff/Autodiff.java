package dev.graft.processor.autodiff;

import dev.graft.processor.ir.ModelGraph;

/** Reverse-mode differentiation (placeholder until the autodiff phase lands). */
public final class Autodiff {
  private Autodiff() {}

  /** Fills in the gradients of every LOSS entry with respect to the trainable variables. */
  public static ModelGraph differentiate(ModelGraph model) {
    throw new UnsupportedOperationException("autodiff not yet implemented");
  }
}
