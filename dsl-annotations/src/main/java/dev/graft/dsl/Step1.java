package dev.graft.dsl;

/**
 * One step of a recurrence with a single state tensor, for {@link Ops#scan(Step1, Tensor, Tensor)}:
 * given the sequence's element {@code x} at this step and the state, it returns the new state.
 * Write it as a method of the model and pass it as {@code this::method}.
 */
@FunctionalInterface
public interface Step1 {
  Tensor apply(Tensor x, Tensor state);
}
