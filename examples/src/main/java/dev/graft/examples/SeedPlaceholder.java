package dev.graft.examples;

import static dev.graft.dsl.Ops.constant;

import dev.graft.dsl.Input;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;

/**
 * The graph with {@code b} a placeholder ({@code tf.placeholder(tf.float32, [None])}): a vector
 * of any length {@code n}, fed on each run.
 */
@Model
abstract class SeedPlaceholder {
  @Output
  Tensor a(@Input(shape = "n") Tensor b) {
    Tensor c = constant(3f);
    Tensor d = b.add(c);
    Tensor e = c.add(2f);
    return d.mul(e);
  }
}
