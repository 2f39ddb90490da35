package dev.graft.examples;

import static dev.graft.dsl.Ops.constant;
import static dev.graft.dsl.Ops.matmul;

import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;

/** The same graph on 2 x 2 matrices, with the final product a matrix product. */
@Model
abstract class SeedMatrix {
  @Output
  Tensor a() {
    Tensor b = constant("2, 2", 1.5f, 2f, 1f, 4.2f);
    Tensor c = constant("2, 2", 3f, 1f, 5f, 10f);
    Tensor d = b.add(c);
    Tensor e = c.add(2f);
    return matmul(d, e);
  }
}
