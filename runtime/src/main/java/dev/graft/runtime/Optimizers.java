package dev.graft.runtime;

import dev.graft.runtime.kernel.Kernels;

/** The optimizers the runtime provides. */
public final class Optimizers {
  private Optimizers() {}

  /**
   * Gradient descent: {@code w -= learningRate * g} ({@code tf.train.GradientDescentOptimizer}).
   *
   * @throws IllegalArgumentException unless {@code learningRate} is positive and finite
   */
  public static Optimizer sgd(float learningRate) {
    checkLearningRate(learningRate);
    return new Optimizer() {
      @Override
      public void apply(Kernels kernels, float[][] variables, float[][] gradients) {
        for (int i = 0; i < variables.length; i++) {
          kernels.sgdUpdate(variables[i], gradients[i], learningRate, variables[i].length);
        }
      }

      @Override
      public String toString() {
        return "sgd(learningRate=" + learningRate + ")";
      }
    };
  }

  /**
   * Adam with beta1 = 0.9, beta2 = 0.999 and epsilon = 1e-8, the values of Kingma and Ba's paper
   * (Keras uses epsilon = 1e-7).
   */
  public static Optimizer adam(float learningRate) {
    return adam(learningRate, 0.9f, 0.999f, 1e-8f);
  }

  /**
   * Adam (Kingma and Ba, with bias correction). The moment estimates are allocated at the first
   * step; later steps allocate nothing.
   *
   * @throws IllegalArgumentException unless {@code learningRate} and {@code epsilon} are positive
   *     and finite and both betas lie in [0, 1)
   */
  public static Optimizer adam(float learningRate, float beta1, float beta2, float epsilon) {
    checkLearningRate(learningRate);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("Adam betas must lie in [0, 1), got beta1 = " + beta1 + ", beta2 = " + beta2);
    }
    if (!(epsilon > 0) || Float.isInfinite(epsilon)) {
      throw new IllegalArgumentException("Adam epsilon must be positive and finite, got " + epsilon);
    }
    return new Adam(learningRate, beta1, beta2, epsilon);
  }

  private static void checkLearningRate(float learningRate) {
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
    }
  }

  private static final class Adam implements Optimizer {
    private final float learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private float[][] owner; // the variables this instance is bound to, set at the first step
    private float[][] firstMoments;
    private float[][] secondMoments;
    private int step;

    Adam(float learningRate, float beta1, float beta2, float epsilon) {
      this.learningRate = learningRate;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.epsilon = epsilon;
    }

    @Override
    public void apply(Kernels kernels, float[][] variables, float[][] gradients) {
      if (owner == null) {
        owner = variables;
        firstMoments = new float[variables.length][];
        secondMoments = new float[variables.length][];
        for (int i = 0; i < variables.length; i++) {
          firstMoments[i] = new float[variables[i].length];
          secondMoments[i] = new float[variables[i].length];
        }
      } else if (owner != variables) {
        throw new IllegalStateException("this Adam optimizer already holds the moments of another trainer's "
            + "variables; create one optimizer per trainer");
      }
      step++;
      for (int i = 0; i < variables.length; i++) {
        kernels.adamUpdate(variables[i], gradients[i], firstMoments[i], secondMoments[i], learningRate, beta1,
            beta2, epsilon, step, variables[i].length);
      }
    }

    @Override
    public String toString() {
      return "adam(learningRate=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon="
          + epsilon + ")";
    }
  }
}
