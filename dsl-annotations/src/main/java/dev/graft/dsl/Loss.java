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
 *
 * <p>The method may return {@code Tensor[]}: the first element is the loss, the others are
 * values computed in the same pass and returned beside it, never differentiated (TensorFlow's
 * {@code session.run([cost, final_state, train_op])}: a recurrent network's final state, to
 * feed the next batch in truncated backpropagation through time).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Loss {}
