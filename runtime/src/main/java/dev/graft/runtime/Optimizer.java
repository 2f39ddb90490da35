package dev.graft.runtime;

import dev.graft.runtime.kernel.Kernels;

/**
 * Updates trainable variables from their gradients, once per training step. Create optimizers
 * with {@link Optimizers}. An optimizer with state (such as Adam's moment estimates) belongs to
 * the one {@link Trainer} it was given to.
 *
 * <p>The learning rate may change between steps, for instance once per epoch from a
 * {@link LearningRate} schedule; the optimizer's state is kept.
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

  /**
   * Applies one step in which some gradients are row-sparse: where {@code touched[i]} is not
   * null, {@code gradients[i]} is zero outside the rows it lists (the gradient of an embedding
   * lookup; see {@link TouchedRows}). The default applies
   * {@link #apply(Kernels, float[][], float[][])}, which reads every row and is exact because the
   * other rows are zero. The runtime's gradient descent updates only the listed rows; its
   * optimizers with per-element state (momentum, Adagrad, RMSProp, Adam) keep the dense update,
   * since their state changes in every row at every step.
   *
   * @param touched one element per gradient, null for a dense one
   */
  default void apply(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched) {
    apply(kernels, variables, gradients);
  }

  /** The learning rate the next step uses. */
  float learningRate();

  /**
   * Sets the learning rate of the following steps.
   *
   * @throws IllegalArgumentException unless {@code learningRate} is positive and finite
   */
  void setLearningRate(float learningRate);
}
