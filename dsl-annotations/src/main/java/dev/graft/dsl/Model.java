package dev.graft.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class whose {@link Variable} fields and {@link Output}/{@link Loss} methods form a
 * model graph. The Graft annotation processor compiles it into the class {@code Graft<Name>} in
 * the same package (nested classes flatten with {@code _}: {@code Outer.Inner} gives
 * {@code GraftOuter_Inner}).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Model {}
