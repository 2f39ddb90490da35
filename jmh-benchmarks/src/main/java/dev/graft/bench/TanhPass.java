package dev.graft.bench;

import static dev.graft.dsl.Ops.tanh;

import dev.graft.dsl.Input;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;

/** tanh alone: the last of {@link FusedChainBenchmark}'s unfused passes, as generated code runs it. */
@Model
abstract class TanhPass {
  @Output
  Tensor tanhOf(@Input(shape = "n") Tensor x) {
    return tanh(x);
  }
}
