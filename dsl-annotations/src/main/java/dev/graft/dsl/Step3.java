package dev.graft.dsl;

/**
 * One step of a recurrence with three state tensors, for
 * {@link Ops#scan(Step3, Tensor, Tensor, Tensor, Tensor)}: it returns the three new states, each
 * shaped like the state it replaces.
 */
@FunctionalInterface
public interface Step3 {
  Tensor[] apply(Tensor x, Tensor s1, Tensor s2, Tensor s3);
}
