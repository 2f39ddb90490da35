package dev.graft.runtime;

import dev.graft.runtime.kernel.Kernels;

/**
 * Updates trainable variables from their gradients, once per training step. Create optimizers
 * with {@link Optimizers}. An optimizer with state (such as Adam's moment estimates) belongs to
 * the one {@link Trainer} it was given to.
 */
public interface Optimizer {
  /**
   * Applies one step. A trainer passes the same {@code variables} arrays, in the same order, on
   * every call.
   *
   * @param variables the trainable variables, updated in place
   * @param gradients the gradient of the loss with respect to each, as long as the variable
   */
  void apply(Kernels kernels, float[][] variables, float[][] gradients);
}
