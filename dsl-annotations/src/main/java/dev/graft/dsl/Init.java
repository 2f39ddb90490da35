package dev.graft.dsl;

/** Variable initializers, reproducible from the session seed. */
public enum Init {
  /** All zeros ({@code tf.zeros}). */
  ZEROS,
  /** All ones ({@code tf.ones}). */
  ONES,
  /** Every element {@code value} ({@code tf.constant_initializer}). */
  CONSTANT,
  /** Uniform in [{@code min}, {@code max}) ({@code tf.random_uniform(shape, min, max)}). */
  UNIFORM,
  /** Normal with {@code mean} and {@code stddev} ({@code tf.random_normal}). */
  NORMAL,
  /** Normal, redrawn beyond two standard deviations ({@code tf.truncated_normal}). */
  TRUNCATED_NORMAL,
  /**
   * Glorot (Xavier) uniform: bound sqrt(6 / (fanIn + fanOut)), fan-in the second to last
   * dimension (1 for a vector) and fan-out the last ({@code tf.glorot_uniform_initializer}).
   */
  GLOROT_UNIFORM
}
