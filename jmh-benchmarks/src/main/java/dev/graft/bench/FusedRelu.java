package dev.graft.bench;

import static dev.graft.dsl.Ops.relu;

import dev.graft.dsl.Input;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/** {@link FusedChain} with a cheap activation, so that memory traffic rather than tanh dominates. */
@Model
abstract class FusedRelu {
  @Variable(shape = "n")
  Tensor w;

  @Variable(shape = "n")
  Tensor b;

  @Output
  Tensor chain(@Input(shape = "n") Tensor x) {
    return relu(x.mul(w).add(b));
  }
}
