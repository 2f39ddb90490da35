package dev.graft.examples;

import static dev.graft.dsl.Ops.constant;

import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;

/** The lecture's first graph, with 0-d constants: {@code a = (b + c) * (c + 2)} with b = 1.5, c = 3. */
@Model
abstract class SeedScalar {
  @Output
  Tensor a() {
    Tensor b = constant(1.5f);
    Tensor c = constant(3f);
    Tensor d = b.add(c);
    Tensor e = c.add(2f);
    return d.mul(e);
  }
}
