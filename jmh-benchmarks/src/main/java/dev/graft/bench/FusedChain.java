package dev.graft.bench;

import static dev.graft.dsl.Ops.tanh;

import dev.graft.dsl.Input;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/** The elementwise chain {@code tanh(x * w + b)}, which the compiler fuses into one loop. */
@Model
abstract class FusedChain {
  @Variable(shape = "n")
  Tensor w;

  @Variable(shape = "n")
  Tensor b;

  @Output
  Tensor chain(@Input(shape = "n") Tensor x) {
    return tanh(x.mul(w).add(b));
  }
}
