package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.runtime.ModelSpec.EntrySpec;
import dev.graft.runtime.ModelSpec.Kind;
import dev.graft.runtime.ModelSpec.TensorSpec;
import dev.graft.runtime.ModelSpec.VariableSpec;
import dev.graft.runtime.kernel.Kernels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trainer keeps a row-sparse gradient's array all zero between steps, as the executor
 * expects it, whichever way a step ends. The executor here is written by hand so that it can
 * fail after it has added into the rows, and so that it checks what it receives.
 */
class RowSparseTrainerTest {
  /** loss = sum over i of table[ids[i]] · x[i]; table is [4, 2]; the gradient rows are x's. */
  private static final class LookupModel implements CompiledModel {
    private final List<Integer> rowIds;
    boolean failAfterAdding;
    int nonzeroArrivals;

    LookupModel(List<Integer> rowIds) {
      this.rowIds = rowIds;
    }

    @Override
    public ModelSpec spec() {
      return new ModelSpec("Lookup", List.of("n"),
          List.of(new VariableSpec("table", List.of("4", "2"), Init.ZEROS, 0f, 0f, 0f, 0f, 1f, true)),
          List.of(new EntrySpec("loss", Kind.LOSS,
              List.of(new TensorSpec("ids", DType.INT32, List.of("n")), new TensorSpec("x", DType.FLOAT32, List.of("n", "2"))),
              new TensorSpec("loss", DType.FLOAT32, List.of()), List.of(), rowIds)));
    }

    @Override
    public ModelExecutor newExecutor(Kernels kernels) {
      return (entry, dims, inputs, variables, output, gradients) -> {
        int[] ids = (int[]) inputs[0];
        float[] x = (float[]) inputs[1];
        float loss = 0;
        for (int i = 0; i < ids.length; i++) {
          if (ids[i] < 0 || ids[i] >= 4) {
            continue; // leaves bad ids to the trainer's check
          }
          loss += variables[0][2 * ids[i]] * x[2 * i] + variables[0][2 * ids[i] + 1] * x[2 * i + 1];
        }
        ((float[]) output)[0] = loss;
        float[] g = gradients[0];
        for (float v : g) {
          if (v != 0) {
            nonzeroArrivals++;
            break;
          }
        }
        for (int i = 0; i < ids.length; i++) {
          if (ids[i] < 0 || ids[i] >= 4) {
            continue;
          }
          g[2 * ids[i]] += x[2 * i];
          g[2 * ids[i] + 1] += x[2 * i + 1];
        }
        if (failAfterAdding) {
          throw new IllegalStateException("failed after adding");
        }
      };
    }
  }

  private static NDArray[] feed(int[] ids, float... x) {
    return new NDArray[] {NDArray.ofInts(ids, ids.length), NDArray.of(x, ids.length, 2)};
  }

  @Test
  void theGradientArrivesZeroAfterEveryKindOfStep() {
    LookupModel model = new LookupModel(List.of(0));
    try (Session s = Session.open(model, Device.cpu(1), Dims.none())) {
      s.initialize(1);
      Trainer t = s.trainer("loss", Optimizers.sgd(1));
      t.step(feed(new int[] {1, 1}, 1, 2, 3, 4));
      model.failAfterAdding = true;
      assertThrows(IllegalStateException.class, () -> t.step(feed(new int[] {2}, 5, 6)));
      model.failAfterAdding = false;
      IllegalArgumentException badId = assertThrows(IllegalArgumentException.class,
          () -> t.step(feed(new int[] {3, 9}, 7, 8, 1, 1)));
      assertEquals("input 'ids', the rows of variable 'table': id 9 is not a row of a table of 4; no variable was updated",
          badId.getMessage());
      t.step(feed(new int[] {0}, -1, 0.5f));
      assertEquals(0, model.nonzeroArrivals, "steps whose gradient array arrived with leftovers");
      // step 1 moved row 1 by -(4, 6); the failed steps moved nothing; step 4 moved row 0 by (1, -0.5)
      assertArrayEquals(new float[] {1, -0.5f, -4, -6, 0, 0, 0, 0}, s.variable("table").toFloatArray(), 0f);
      assertEquals(2, t.steps());
    }
  }

  /** Records what it is given; updates nothing. */
  private static final class Recorder implements Optimizer {
    float[] dense;
    int[] rows;
    int width;

    @Override
    public void apply(Kernels kernels, float[][] variables, float[][] gradients) {
      dense = gradients[0].clone();
    }

    @Override
    public void apply(Kernels kernels, float[][] variables, float[][] gradients, TouchedRows[] touched) {
      rows = new int[touched[0].count()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = touched[0].row(i);
      }
      width = touched[0].width();
      Optimizer.super.apply(kernels, variables, gradients, touched);
    }

    @Override
    public float learningRate() {
      return 1;
    }

    @Override
    public void setLearningRate(float learningRate) {}
  }

  @Test
  void anOptimizerSeesTheDistinctRowsInOrderAndTheWholeGradient() {
    Recorder recorder = new Recorder();
    try (Session s = Session.open(new LookupModel(List.of(0)), Device.cpu(1), Dims.none())) {
      s.initialize(1);
      s.trainer("loss", recorder).step(feed(new int[] {3, 0, 3, 2}, 1, 2, 3, 4, 5, 6, 7, 8));
    }
    assertArrayEquals(new int[] {0, 2, 3}, recorder.rows);
    assertEquals(2, recorder.width);
    // the default apply passes the dense gradient: zero in row 1, x summed per id elsewhere
    assertArrayEquals(new float[] {3, 4, 0, 0, 7, 8, 6, 8}, recorder.dense, 0f);
  }

  @Test
  void rowIdsThatNameNoIntInputAreAMalformedSpec() {
    try (Session s = Session.open(new LookupModel(List.of(1)), Device.cpu(1), Dims.none())) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.trainer("loss", Optimizers.sgd(1)));
      assertTrue(e.getMessage().contains("malformed spec of model 'Lookup'")
          && e.getMessage().contains("row ids of variable 'table' from input 1"), e.getMessage());
    }
  }
}
