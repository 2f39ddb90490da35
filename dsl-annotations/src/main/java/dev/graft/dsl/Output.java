package dev.graft.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An inference entry point: {@code session.run(name, feeds)} evaluates what it returns. A method
 * returning {@code Tensor[]} computes all its elements in one pass ({@code session.runAll}):
 * the next-word logits and the next state of a recurrent network, for example.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Output {}
