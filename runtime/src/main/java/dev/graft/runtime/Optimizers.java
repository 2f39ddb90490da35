package dev.graft.runtime;

import dev.graft.runtime.kernel.Kernels;
import java.util.Arrays;

/**
 * The optimizers the runtime provides, with the update rules and defaults of TensorFlow's
 * {@code tf.train} optimizers. Optimizers with state allocate it at the first step (one
 * accumulator per variable element) and allocate nothing afterwards.
 */
public final class Optimizers {
  private Optimizers() {}

  /**
   * Gradient descent: {@code w -= learningRate * g} ({@code tf.train.GradientDescentOptimizer}).
   *
   * @throws IllegalArgumentException unless {@code learningRate} is positive and finite
   */
  public static Optimizer sgd(float learningRate) {
    return new Base("sgd", learningRate, 0, 0f) {
      @Override
      void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched, float[][][] slots,
          float lr, int step) {
        for (int i = 0; i < variables.length; i++) {
          if (touched == null || touched[i] == null) {
            kernels.sgdUpdate(variables[i], gradients[i], lr, variables[i].length);
          } else {
            touched[i].sgdUpdate(variables[i], gradients[i], lr);
          }
        }
      }
    };
  }

  /**
   * Momentum ({@code tf.train.MomentumOptimizer}, not Nesterov): {@code a = momentum * a + g;
   * w -= learningRate * a}, with the accumulator {@code a} starting at zero.
   *
   * @throws IllegalArgumentException unless {@code learningRate} is positive and finite and
   *     {@code momentum} lies in [0, 1)
   */
  public static Optimizer momentum(float learningRate, float momentum) {
    checkFraction("momentum", momentum);
    return new Base("momentum", learningRate, 1, 0f) {
      @Override
      void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched, float[][][] slots,
          float lr, int step) {
        for (int i = 0; i < variables.length; i++) {
          float[] w = variables[i];
          float[] g = gradients[i];
          float[] a = slots[0][i];
          for (int j = 0; j < w.length; j++) {
            a[j] = momentum * a[j] + g[j];
            w[j] -= lr * a[j];
          }
        }
      }

      @Override
      public String toString() {
        return "momentum(learningRate=" + learningRate() + ", momentum=" + momentum + ")";
      }
    };
  }

  /**
   * Adagrad ({@code tf.train.AdagradOptimizer}): {@code a += g * g; w -= learningRate * g /
   * sqrt(a)}, with the accumulator {@code a} starting at 0.1 as in TensorFlow (so that the
   * first step does not divide by a tiny number).
   */
  public static Optimizer adagrad(float learningRate) {
    return new Base("adagrad", learningRate, 1, 0.1f) {
      @Override
      void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched, float[][][] slots,
          float lr, int step) {
        for (int i = 0; i < variables.length; i++) {
          float[] w = variables[i];
          float[] g = gradients[i];
          float[] a = slots[0][i];
          for (int j = 0; j < w.length; j++) {
            a[j] += g[j] * g[j];
            w[j] -= (float) (lr * g[j] / Math.sqrt(a[j]));
          }
        }
      }
    };
  }

  /**
   * RMSProp with the defaults of {@code tf.train.RMSPropOptimizer}: decay 0.9, epsilon 1e-10,
   * no momentum. Keras' {@code RMSprop} differs (epsilon 1e-7 outside the square root, mean
   * square starting at zero).
   *
   * @see #rmsprop(float, float, float)
   */
  public static Optimizer rmsprop(float learningRate) {
    return rmsprop(learningRate, 0.9f, 1e-10f);
  }

  /**
   * RMSProp as {@code tf.train.RMSPropOptimizer} computes it without momentum:
   * {@code ms = decay * ms + (1 - decay) * g * g; w -= learningRate * g / sqrt(ms + epsilon)},
   * with the mean square {@code ms} starting at 1, as in TensorFlow.
   *
   * @throws IllegalArgumentException unless {@code learningRate} and {@code epsilon} are
   *     positive and finite and {@code decay} lies in [0, 1)
   */
  public static Optimizer rmsprop(float learningRate, float decay, float epsilon) {
    checkFraction("RMSProp decay", decay);
    checkPositive("RMSProp epsilon", epsilon);
    return new Base("rmsprop", learningRate, 1, 1f) {
      @Override
      void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched, float[][][] slots,
          float lr, int step) {
        for (int i = 0; i < variables.length; i++) {
          float[] w = variables[i];
          float[] g = gradients[i];
          float[] ms = slots[0][i];
          for (int j = 0; j < w.length; j++) {
            ms[j] = decay * ms[j] + (1 - decay) * g[j] * g[j];
            w[j] -= (float) (lr * g[j] / Math.sqrt(ms[j] + epsilon));
          }
        }
      }

      @Override
      public String toString() {
        return "rmsprop(learningRate=" + learningRate() + ", decay=" + decay + ", epsilon=" + epsilon + ")";
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
   * Adam (Kingma and Ba, with bias correction).
   *
   * @throws IllegalArgumentException unless {@code learningRate} and {@code epsilon} are positive
   *     and finite and both betas lie in [0, 1)
   */
  public static Optimizer adam(float learningRate, float beta1, float beta2, float epsilon) {
    checkFraction("Adam beta1", beta1);
    checkFraction("Adam beta2", beta2);
    checkPositive("Adam epsilon", epsilon);
    return new Base("adam", learningRate, 2, 0f) {
      @Override
      void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched, float[][][] slots,
          float lr, int step) {
        for (int i = 0; i < variables.length; i++) {
          kernels.adamUpdate(variables[i], gradients[i], slots[0][i], slots[1][i], lr, beta1, beta2, epsilon, step,
              variables[i].length);
        }
      }

      @Override
      public String toString() {
        return "adam(learningRate=" + learningRate() + ", beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon="
            + epsilon + ")";
      }
    };
  }

  static void checkPositive(String what, float value) {
    if (!(value > 0) || Float.isInfinite(value)) {
      throw new IllegalArgumentException(what + " must be positive and finite, got " + value);
    }
  }

  private static void checkFraction(String what, float value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(what + " must lie in [0, 1), got " + value);
    }
  }

  /**
   * What every optimizer shares: the settable learning rate, the step count, and the slots
   * (per-element accumulators), bound to the first variables it updates.
   */
  private abstract static class Base implements Optimizer {
    private final String name;
    private final int slotCount;
    private final float slotInitialValue;
    private volatile float learningRate; // may be set by another thread between steps
    private float[][] owner; // the variables this instance is bound to, set at the first step
    private float[][][] slots; // [slot][variable][element]
    private int step;

    Base(String name, float learningRate, int slotCount, float slotInitialValue) {
      checkPositive("learning rate", learningRate);
      this.name = name;
      this.learningRate = learningRate;
      this.slotCount = slotCount;
      this.slotInitialValue = slotInitialValue;
    }

    /**
     * One update; {@code step} counts from 1. {@code touched} is null or as in
     * {@link Optimizer#apply(Kernels, float[][], float[][], TouchedRows[])}; an update that
     * ignores it is exact.
     */
    abstract void update(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched,
        float[][][] slots, float lr, int step);

    @Override
    public final void apply(Kernels kernels, float[][] variables, float[][] gradients) {
      apply(kernels, variables, gradients, null);
    }

    @Override
    public final void apply(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched) {
      if (owner == null) {
        slots = new float[slotCount][variables.length][];
        for (float[][] slot : slots) {
          for (int i = 0; i < variables.length; i++) {
            slot[i] = new float[variables[i].length];
            Arrays.fill(slot[i], slotInitialValue);
          }
        }
        owner = variables;
      } else if (owner != variables && slotCount > 0) {
        throw new IllegalStateException("this " + name + " optimizer already holds the state of another trainer's "
            + "variables; create one optimizer per trainer");
      }
      step++;
      update(kernels, variables, gradients, touched, slots, learningRate, step);
    }

    @Override
    public float learningRate() {
      return learningRate;
    }

    @Override
    public void setLearningRate(float learningRate) {
      checkPositive("learning rate", learningRate);
      this.learningRate = learningRate;
    }

    @Override
    public String toString() {
      return name + "(learningRate=" + learningRate + ")";
    }
  }
}
