package dev.graft.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A scalar training objective. The compiler generates, besides its value, one pass that yields
 * the loss and the gradients of every trainable variable ({@code tf.gradients(cost, params)}),
 * which a session trainer hands to an optimizer ({@code minimize(cost)}).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Loss {}
