package dev.graft.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.graft.runtime.Device;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import org.junit.jupiter.api.Test;

/**
 * The allocation-free facade forms give what the allocating forms give, and allocate nothing
 * once warm (generated code, kernels, facade and runtime together; the runtime alone is covered
 * by {@code HotPathAllocationTest}).
 */
class FacadeIntoTest {
  @Test
  void intoAndEvalFormsAgreeWithRun() {
    try (GraftLogisticRegression.Facade model = GraftLogisticRegression.open(Device.cpu(1))) {
      model.initialize(3);
      NDArray x = NDArray.of(new float[] {1, 2, 3, 4, -1, 0.5f, 2, 0}, 2, 4);
      NDArray y = NDArray.of(new float[] {1, 0, 0, 0, 0, 1}, 2, 3);
      NDArray into = NDArray.zeros(2, 3);
      assertSame(into, model.predictions(x, into));
      assertEquals(model.predictions(x), into);
      float cost = model.cost(x, y);
      assertEquals(model.session().run(1, x, y).floatValue(), cost);
      GraftLogisticRegression.CostTrainer trainer = model.costTrainer(Optimizers.sgd(0.1f));
      assertEquals(cost, trainer.step(x, y)); // the loss before the update
      assertEquals(1, trainer.trainer().steps());
      model.predictions(x, into);
      assertEquals(model.predictions(x), into); // into is overwritten by the next call
    }
  }

  /**
   * Facade, session, generated code and kernels together, on the Vector API variant when the
   * module is present (as in this module's test run), after the module's other tests have
   * polluted the JIT's profiles. This test was disabled for two sessions: {@code cost(x, y)}
   * kept allocating 512–608 bytes per call in 3 of 5 runs of this module. The Vector API row
   * kernels built vectors for rows of 3 classes even though no vector loop ran (a zero
   * accumulator, a broadcast maximum, a lane reduction), and compiled code that does not inline
   * those intrinsics allocates each vector. Rows shorter than a vector now run plain scalar code.
   */
  @Test
  void warmFacadeCallsAllocateNothing() {
    try (GraftLogisticRegression.Facade model = GraftLogisticRegression.open(Device.cpu(1))) {
      model.initialize(3);
      NDArray x = NDArray.of(new float[] {1, 2, 3, 4, -1, 0.5f, 2, 0}, 2, 4);
      NDArray y = NDArray.of(new float[] {1, 0, 0, 0, 0, 1}, 2, 3);
      NDArray into = NDArray.zeros(2, 3);
      GraftLogisticRegression.CostTrainer trainer = model.costTrainer(Optimizers.adam(1e-3f));
      assertEquals(0, bytesOver(() -> model.predictions(x, into)), "predictions(x, into)");
      assertEquals(0, bytesOver(() -> model.cost(x, y)), "cost(x, y)");
      assertEquals(0, bytesOver(() -> trainer.step(x, y)), "step(x, y)");
    }
  }

  private static long bytesOver(Runnable call) {
    return Allocations.fewestBytesOver(call, 10_000, 2_000, 100);
  }
}
