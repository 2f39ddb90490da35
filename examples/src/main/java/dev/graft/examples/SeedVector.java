package dev.graft.examples;

import static dev.graft.dsl.Ops.constant;

import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;

/** The same graph on 1-d constants: every operation is elementwise. */
@Model
abstract class SeedVector {
  @Output
  Tensor a() {
    Tensor b = constant(1.5f, 2f, 1f, 4.2f);
    Tensor c = constant(3f, 1f, 5f, 10f);
    Tensor d = b.add(c);
    Tensor e = c.add(2f);
    return d.mul(e);
  }
}
