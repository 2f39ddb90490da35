package dev.graft.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A placeholder ({@code tf.placeholder}): a parameter of an entry method fed on every call. A
 * symbol in its shape that no variable uses (such as {@code batch}) is bound from the feed.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Input {
  /** Dimensions, comma separated: constants or symbols ({@code "batch, 4"}); {@code ""} is a scalar. */
  String shape();

  /** Element type: {@link DType#INT32} for indices and labels. */
  DType dtype() default DType.FLOAT32;
}
