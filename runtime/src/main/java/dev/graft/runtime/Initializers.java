package dev.graft.runtime;

import dev.graft.runtime.ModelSpec.VariableSpec;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Fills variables as their {@link dev.graft.dsl.Init} says. Each variable draws from its own
 * generator, seeded from the session seed and the variable's index, so a value depends only on
 * (seed, index) and never on which other variables exist or in which order they are filled.
 * Normal samples come from the Marsaglia polar method over {@link SplittableRandom}, so results
 * are identical on every JVM, Android included.
 */
public final class Initializers {
  private Initializers() {}

  /**
   * Fills {@code values} (as long as {@code shape}) with the initial value of {@code variable}.
   *
   * @param seed the session seed
   * @param index the variable's index in {@link ModelSpec#variables()}
   * @throws IllegalArgumentException if the variable's parameters are invalid (such as
   *     {@code min > max} or a negative standard deviation)
   */
  public static void fill(VariableSpec variable, int[] shape, long seed, int index, float[] values) {
    SplittableRandom random = new SplittableRandom(mix(seed, index));
    switch (variable.init()) {
      case ZEROS -> Arrays.fill(values, 0f);
      case ONES -> Arrays.fill(values, 1f);
      case CONSTANT -> Arrays.fill(values, variable.value());
      case UNIFORM -> uniform(random, variable.min(), variable.max(), values, variable.name());
      case NORMAL -> normal(random, variable.mean(), variable.stddev(), false, values, variable.name());
      case TRUNCATED_NORMAL -> normal(random, variable.mean(), variable.stddev(), true, values, variable.name());
      case GLOROT_UNIFORM -> {
        float bound = glorotBound(shape);
        uniform(random, -bound, bound, values, variable.name());
      }
    }
  }

  /**
   * {@code sqrt(6 / (fanIn + fanOut))}, with fan-in the second to last dimension (1 for a vector
   * or a scalar) and fan-out the last (1 for a scalar).
   */
  public static float glorotBound(int[] shape) {
    int rank = shape.length;
    double fanIn = rank >= 2 ? shape[rank - 2] : 1;
    double fanOut = rank >= 1 ? shape[rank - 1] : 1;
    return (float) Math.sqrt(6.0 / Math.max(1.0, fanIn + fanOut));
  }

  private static void uniform(SplittableRandom random, float min, float max, float[] values, String name) {
    if (!(min <= max)) {
      throw new IllegalArgumentException("variable '" + name + "': uniform bounds need min <= max, got ["
          + min + ", " + max + ")");
    }
    for (int i = 0; i < values.length; i++) {
      float v = (float) (min + (max - (double) min) * random.nextDouble());
      values[i] = v < max ? v : min; // float rounding may reach max, which [min, max) excludes
    }
  }

  private static void normal(SplittableRandom random, float mean, float stddev, boolean truncated, float[] values,
      String name) {
    if (!(stddev >= 0)) {
      throw new IllegalArgumentException("variable '" + name + "': stddev must be >= 0, got " + stddev);
    }
    int i = 0;
    while (i < values.length) {
      // Marsaglia polar method: two independent standard normals per accepted point.
      double u;
      double v;
      double s;
      do {
        u = 2 * random.nextDouble() - 1;
        v = 2 * random.nextDouble() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s == 0);
      double factor = Math.sqrt(-2 * Math.log(s) / s);
      i = put(u * factor, mean, stddev, truncated, values, i);
      if (i < values.length) {
        i = put(v * factor, mean, stddev, truncated, values, i);
      }
    }
  }

  /** Stores {@code mean + stddev * z} at {@code i} unless truncation rejects it; the next index. */
  private static int put(double z, float mean, float stddev, boolean truncated, float[] values, int i) {
    if (truncated && Math.abs(z) > 2) {
      return i; // redrawn, as tf.truncated_normal does
    }
    values[i] = (float) (mean + stddev * z);
    return i + 1;
  }

  /** A well-mixed seed for variable {@code index}: nearby seeds and indices give unrelated streams. */
  private static long mix(long seed, int index) {
    return finalizeMix(seed ^ finalizeMix(index + 0x9E3779B97F4A7C15L));
  }

  /** The 64-bit finalizer of MurmurHash3. */
  private static long finalizeMix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB93E5A4ED3E5L;
    return z ^ (z >>> 33);
  }
}
