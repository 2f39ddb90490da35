package dev.graft.runtime;

import dev.graft.dsl.Model;

/**
 * Stands for a user's {@code @Model} class; {@link GraftLinearModel} plays the generated code:
 * {@code predictions = scale * (x · w + b)}, {@code cost = mean((predictions - y)^2)}, and
 * {@code pick[i] = w[idx[i], 0]} for an INT32 input.
 */
@Model
class LinearModel {
  /** A nested model, to check the {@code GraftOuter_Inner} naming rule. */
  @Model
  static class Nested {}
}
