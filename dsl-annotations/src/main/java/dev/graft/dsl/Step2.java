package dev.graft.dsl;

/**
 * One step of a recurrence with two state tensors (an LSTM's {@code h} and {@code c}), for
 * {@link Ops#scan(Step2, Tensor, Tensor, Tensor)}: it returns the new states as
 * {@code new Tensor[] {h, c}}, each shaped like the state it replaces.
 */
@FunctionalInterface
public interface Step2 {
  Tensor[] apply(Tensor x, Tensor h, Tensor c);
}
