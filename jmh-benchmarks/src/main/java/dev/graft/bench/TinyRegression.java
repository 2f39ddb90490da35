package dev.graft.bench;

import static dev.graft.dsl.Ops.matmul;
import static dev.graft.dsl.Ops.reduceMean;

import dev.graft.dsl.Init;
import dev.graft.dsl.Input;
import dev.graft.dsl.Loss;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * Linear regression on 4 features, small enough that a call's cost is mostly the runtime's
 * per-call work: {@link HotPathAllocationBenchmark} measures that.
 */
@Model
abstract class TinyRegression {
  @Variable(shape = "4, 1", init = Init.UNIFORM, min = -1, max = 1)
  Tensor w;

  @Variable(shape = "1")
  Tensor b;

  @Output
  Tensor predictions(@Input(shape = "batch, 4") Tensor x) {
    return matmul(x, w).add(b);
  }

  /** Mean squared error. */
  @Loss
  Tensor cost(@Input(shape = "batch, 4") Tensor x, @Input(shape = "batch, 1") Tensor y) {
    Tensor error = predictions(x).sub(y);
    return reduceMean(error.mul(error));
  }
}
