package dev.graft.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * FloatMath against {@code Math} in double precision, over a sweep of about 4.3 million float bit
 * patterns (every 1009th, which visits every exponent with varied mantissas, both signs, the
 * subnormals, infinities and NaNs), plus the edges of the fast paths.
 */
class FloatMathTest {
  private static final int STEP = 1009;
  private static final float[] EDGES = {
    0f, -0f, 1f, -1f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
    Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -87f, 88f,
    Math.nextDown(-87f), Math.nextUp(88f), 88.72283f, 88.72284f, -103.97208f, -104f,
    0.70710678f, 1.4142135f, Math.nextUp(1f), Math.nextDown(1f), 2f, 0.5f, 1e-30f, -1e-30f
  };

  @Test
  void expIsWithinTwoUlpOfMathExp() {
    assertWithinTwoUlp("exp", FloatMath::exp, Math::exp);
  }

  @Test
  void logIsWithinTwoUlpOfMathLog() {
    assertWithinTwoUlp("log", FloatMath::log, Math::log);
  }

  /** The softmax family's own use: e^(x − max) for x − max in [−30, 0], densely. */
  @Test
  void expOfShiftedLogitsIsWithinTwoUlp() {
    for (int i = 0; i <= 3_000_000; i++) {
      check("exp", -30f * i / 3_000_000, FloatMath::exp, Math::exp);
    }
  }

  private interface FloatFunction {
    float apply(float x);
  }

  private static void assertWithinTwoUlp(String name, FloatFunction f, DoubleUnaryOperator ref) {
    for (float x : EDGES) {
      check(name, x, f, ref);
    }
    for (long bits = 0; bits <= 0xFFFFFFFFL; bits += STEP) {
      check(name, Float.intBitsToFloat((int) bits), f, ref);
    }
  }

  private static void check(String name, float x, FloatFunction f, DoubleUnaryOperator ref) {
    float got = f.apply(x);
    double exact = ref.applyAsDouble(x);
    float rounded = (float) exact;
    if (Float.isNaN(rounded) || Float.isInfinite(rounded) || rounded == 0f
        || Math.abs(rounded) < Float.MIN_NORMAL) {
      // special and subnormal results come from Math itself
      assertEquals(rounded, got, name + "(" + x + ")");
      return;
    }
    double error = Math.abs(got - exact) / Math.ulp(rounded);
    if (!(error <= 2)) {
      fail(name + "(" + x + ") = " + got + ", Math gives " + exact + ": " + error + " ulp");
    }
  }
}
