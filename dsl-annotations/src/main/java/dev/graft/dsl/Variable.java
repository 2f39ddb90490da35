package dev.graft.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A model parameter, like {@code tf.Variable(initializer)}. Its value lives in the runtime
 * session; the field itself never holds numbers.
 *
 * <p>{@code shape} lists the dimensions, comma separated: integer constants or symbol names,
 * for example {@code "vocab, hidden"}; {@code ""} is a scalar. A symbol used by a variable is
 * bound when the session opens.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Variable {
  /** Dimensions, comma separated: constants or symbols ({@code "4, 3"}, {@code "vocab, 200"}). */
  String shape();

  /** How the session initializes the value (see {@link Init} for the parameters each uses). */
  Init init() default Init.ZEROS;

  /** {@link Init#UNIFORM}: the lower bound. */
  float min() default -1f;

  /** {@link Init#UNIFORM}: the upper bound. */
  float max() default 1f;

  /** {@link Init#CONSTANT}: the value. */
  float value() default 0f;

  /** {@link Init#NORMAL}, {@link Init#TRUNCATED_NORMAL}: the mean. */
  float mean() default 0f;

  /** {@link Init#NORMAL}, {@link Init#TRUNCATED_NORMAL}: the standard deviation. */
  float stddev() default 1f;

  /** Whether {@code @Loss} entries compute its gradient and optimizers update it. */
  boolean trainable() default true;
}
