package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.Init;
import dev.graft.runtime.ModelSpec.VariableSpec;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.distribution.UniformRealDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;

class InitializersTest {
  private static final int N = 10_000;

  private static VariableSpec variable(Init init, float min, float max, float value, float mean, float stddev) {
    return new VariableSpec("v", List.of("100", "100"), init, min, max, value, mean, stddev, true);
  }

  private static float[] fill(VariableSpec variable, long seed, int index) {
    float[] values = new float[N];
    Initializers.fill(variable, new int[] {100, 100}, seed, index, values);
    return values;
  }

  private static SummaryStatistics stats(float[] values) {
    SummaryStatistics stats = new SummaryStatistics();
    for (float v : values) {
      stats.addValue(v);
    }
    return stats;
  }

  @Test
  void constantsFillEveryElement() {
    assertTrue(allEqual(fill(variable(Init.ZEROS, 0, 0, 5, 0, 1), 1, 0), 0f));
    assertTrue(allEqual(fill(variable(Init.ONES, 0, 0, 5, 0, 1), 1, 0), 1f));
    assertTrue(allEqual(fill(variable(Init.CONSTANT, 0, 0, 5, 0, 1), 1, 0), 5f));
  }

  @Test
  void uniformStaysInBoundsAndIsUniform() {
    float[] values = fill(variable(Init.UNIFORM, -0.5f, 2f, 0, 0, 1), 3, 0);
    SummaryStatistics stats = stats(values);
    assertTrue(stats.getMin() >= -0.5 && stats.getMax() < 2, stats.toString());
    assertTrue(stats.getMin() < -0.49 && stats.getMax() > 1.99, "covers the range: " + stats);
    double[] samples = new double[N];
    for (int i = 0; i < N; i++) {
      samples[i] = values[i];
    }
    double p = new KolmogorovSmirnovTest().kolmogorovSmirnovTest(new UniformRealDistribution(-0.5, 2), samples);
    assertTrue(p > 0.001, "Kolmogorov-Smirnov p = " + p);
  }

  @Test
  void normalHasTheRequestedMeanAndStddev() {
    SummaryStatistics stats = stats(fill(variable(Init.NORMAL, 0, 0, 0, 3f, 0.5f), 4, 1));
    // Standard error of the mean: 0.5 / sqrt(10000) = 0.005; five of them as tolerance.
    assertEquals(3.0, stats.getMean(), 0.025);
    assertEquals(0.5, stats.getStandardDeviation(), 0.025);
    assertTrue(stats.getMax() > 4.5, "not truncated: " + stats.getMax());
  }

  @Test
  void truncatedNormalRedrawsBeyondTwoStddev() {
    SummaryStatistics stats = stats(fill(variable(Init.TRUNCATED_NORMAL, 0, 0, 0, 1f, 2f), 5, 2));
    assertTrue(stats.getMin() >= -3f && stats.getMax() <= 5f, stats.toString());
    assertTrue(stats.getMin() < -2.9 && stats.getMax() > 4.9, "reaches the bounds: " + stats);
    assertEquals(1.0, stats.getMean(), 0.06);
    // A standard normal truncated to [-2, 2] has stddev 0.8796; times 2.
    assertEquals(2 * 0.8796, stats.getStandardDeviation(), 0.05);
  }

  @Test
  void glorotUniformUsesTheFans() {
    assertEquals((float) Math.sqrt(6.0 / 200), Initializers.glorotBound(new int[] {100, 100}));
    assertEquals((float) Math.sqrt(6.0 / 11), Initializers.glorotBound(new int[] {10}));
    assertEquals((float) Math.sqrt(6.0 / 7), Initializers.glorotBound(new int[] {9, 4, 3}));
    SummaryStatistics stats = stats(fill(variable(Init.GLOROT_UNIFORM, 0, 0, 0, 0, 1), 6, 0));
    double bound = Math.sqrt(6.0 / 200);
    assertTrue(stats.getMin() >= -bound && stats.getMax() <= bound, stats.toString());
    assertTrue(stats.getMin() < -0.95 * bound && stats.getMax() > 0.95 * bound, stats.toString());
  }

  @Test
  void valuesDependOnlyOnSeedAndIndex() {
    VariableSpec normal = variable(Init.NORMAL, 0, 0, 0, 0, 1);
    assertArrayEquals(fill(normal, 42, 3), fill(normal, 42, 3));
    assertFalse(Arrays.equals(fill(normal, 42, 3), fill(normal, 43, 3)));
    assertFalse(Arrays.equals(fill(normal, 42, 3), fill(normal, 42, 4)));
  }

  @Test
  void invalidParametersNameTheVariable() {
    var e = assertThrows(IllegalArgumentException.class, () -> fill(variable(Init.UNIFORM, 1, 0, 0, 0, 1), 1, 0));
    assertEquals("variable 'v': uniform bounds need min <= max, got [1.0, 0.0)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> fill(variable(Init.NORMAL, 0, 0, 0, 0, -1), 1, 0));
  }

  private static boolean allEqual(float[] values, float expected) {
    for (float v : values) {
      if (v != expected) {
        return false;
      }
    }
    return true;
  }
}
