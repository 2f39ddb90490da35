package dev.graft.bench;

import dev.graft.dsl.Input;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/** Two fused elementwise chains over [rows, 1024] with a per-column scale and shift. */
@Model
abstract class VectorChain {
  @Variable(shape = "1024")
  Tensor scale;

  @Variable(shape = "1024")
  Tensor shift;

  /** Arithmetic only: one fused loop of mul, add, relu, min, square, mul, add. */
  @Output
  Tensor arithmetic(@Input(shape = "rows, 1024") Tensor x) {
    return x.mul(scale).add(shift).relu().minimum(6f).square().mul(0.5f).add(x);
  }

  /** With transcendentals: tanh and sigmoid in one fused loop. */
  @Output
  Tensor transcendental(@Input(shape = "rows, 1024") Tensor x) {
    return x.mul(scale).add(shift).tanh().mul(x.sigmoid());
  }
}
