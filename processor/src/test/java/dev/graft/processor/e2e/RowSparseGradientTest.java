package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.runtime.Device;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gradient of an embedding lookup is row-sparse: the spec says which input's ids name its
 * rows, the generated code adds into those rows of an array that arrives zero, and the trainer
 * checks, clips and applies only those rows and leaves the array zero for the next step. Every
 * expectation here is worked out by hand from the loss: for {@code reduceSum(gather(table, ids)
 * * x)}, the gradient of table row r is the sum of the rows of x whose id is r.
 */
class RowSparseGradientTest {
  private static final String SOURCE = """
      package e2e;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      @Model
      abstract class Embedding {
        @Variable(shape = "6, 2", init = Init.UNIFORM, min = -1, max = 1) Tensor table;
        @Variable(shape = "2", init = Init.ONES) Tensor scale;

        @Loss Tensor lookup(@Input(shape = "n", dtype = DType.INT32) Tensor ids, @Input(shape = "n, 2") Tensor x) {
          return reduceSum(gather(table, ids).mul(x)).add(reduceSum(scale.mul(scale)));
        }

        @Loss Tensor lookupAndDense(@Input(shape = "n, 2") Tensor x, @Input(shape = "n", dtype = DType.INT32) Tensor ids) {
          return reduceSum(gather(table, ids).mul(x)).add(reduceSum(table.mul(table)));
        }
      }
      """;

  private static ModelCompilation compiled;

  @BeforeAll
  static void compile() {
    compiled = ModelCompilation.compile(Map.of("e2e.Embedding", SOURCE)).requireSuccess();
  }

  private static Session open() throws ClassNotFoundException {
    Session s = Session.open(compiled.result.classLoader().loadClass("e2e.Embedding"), Device.cpu(1));
    s.initialize(11);
    return s;
  }

  private static NDArray ids(int... ids) {
    return NDArray.ofInts(ids, ids.length);
  }

  /** table - lr · (sum of the rows of x at each id), row by row. */
  private static float[] sgdExpected(float[] table, int[] ids, float[] x, float lr) {
    float[] expected = table.clone();
    float[] g = new float[table.length];
    for (int i = 0; i < ids.length; i++) {
      g[2 * ids[i]] += x[2 * i];
      g[2 * ids[i] + 1] += x[2 * i + 1];
    }
    for (int j = 0; j < expected.length; j++) expected[j] -= lr * g[j];
    return expected;
  }

  @Test
  void theSpecNamesTheIdsOfAnEmbeddingGradientOnly() throws Exception {
    try (Session s = open()) {
      // trainable variables: table, scale; lookup's ids are its input 0
      assertEquals(List.of(0, -1), s.spec().entries().get(0).gradientRowIds());
      // table is also used whole: its gradient is dense, and so is every other one
      assertEquals(List.of(), s.spec().entries().get(1).gradientRowIds());
    }
    String generated = compiled.result.generatedSources().get("e2e.GraftEmbedding");
    assertTrue(generated.contains("new ModelSpec.EntrySpec(\"lookup\"") && generated.contains("List.of(0, -1)"), generated);
  }

  @Test
  void gradientDescentUpdatesTheLookedUpRowsStepAfterStep() throws Exception {
    try (Session s = open()) {
      Trainer t = s.trainer("lookup", Optimizers.sgd(0.5f));
      int[][] idsPerStep = {{2, 4, 2}, {1, 1}, {5, 0, 3, 2}};
      float[][] xPerStep = {{1, 2, 3, 4, -1, 0.5f}, {0.25f, -2, 1, 1}, {1, 1, 2, 2, 3, 3, -4, 4}};
      for (int step = 0; step < idsPerStep.length; step++) {
        float[] before = s.variable("table").toFloatArray();
        int[] ids = idsPerStep[step];
        t.step(ids(ids), NDArray.of(xPerStep[step], ids.length, 2));
        // A row the step did not look up keeps its value exactly, and one from an earlier step
        // moves by this step's gradient alone: the trainer left the gradient zero in between.
        assertArrayEquals(sgdExpected(before, ids, xPerStep[step], 0.5f), s.variable("table").toFloatArray(), 1e-6f,
            "step " + step);
      }
      // the dense variable next to it: d/dscale of sum(scale²) = 2·scale, three steps of lr 0.5
      assertArrayEquals(new float[] {0, 0}, s.variable("scale").toFloatArray(), 0f);
    }
  }

  @Test
  void theGlobalNormCountsTheRowsOnceAndClippingScalesThem() throws Exception {
    try (Session s = open()) {
      float[] before = s.variable("table").toFloatArray();
      Trainer t = s.trainer("lookup", Optimizers.sgd(1)).clipGlobalNorm(1);
      int[] ids = {3, 3, 0};
      float[] x = {1, 2, 2, 2, 0, -1};
      t.step(ids(ids), NDArray.of(x, 3, 2));
      // row 3: (3, 4); row 0: (0, -1); scale: 2·(1, 1)
      double norm = Math.sqrt(9 + 16 + 1 + 4 + 4);
      assertEquals(norm, t.lastGlobalNorm(), 1e-5);
      float c = (float) (1 / norm);
      float[] clippedX = x.clone();
      for (int j = 0; j < x.length; j++) clippedX[j] *= c;
      assertArrayEquals(sgdExpected(before, ids, clippedX, 1), s.variable("table").toFloatArray(), 1e-6f);
      assertArrayEquals(new float[] {1 - 2 * c, 1 - 2 * c}, s.variable("scale").toFloatArray(), 1e-6f);
    }
  }

  @Test
  void adamSeesTheWholeGradientWithZeroRows() throws Exception {
    try (Session s = open()) {
      float[] before = s.variable("table").toFloatArray();
      Trainer t = s.trainer("lookup", Optimizers.adam(0.01f));
      t.step(ids(4, 1), NDArray.of(new float[] {2, -3, -0.5f, 1}, 2, 2));
      // Adam's first step moves each element by lr·g/(|g| + ε): lr·sign(g) where g ≠ 0, 0 where g = 0.
      float[] expected = before.clone();
      expected[8] -= 0.01f;
      expected[9] += 0.01f;
      expected[2] += 0.01f;
      expected[3] -= 0.01f;
      assertArrayEquals(expected, s.variable("table").toFloatArray(), 1e-5f);
    }
  }

  @Test
  void aFailedStepLeavesTheNextOneRight() throws Exception {
    try (Session s = open()) {
      Trainer t = s.trainer("lookup", Optimizers.sgd(1));
      float[] before = s.variable("table").toFloatArray();
      ArithmeticException nan = assertThrows(ArithmeticException.class,
          () -> t.step(ids(2, 5), NDArray.of(new float[] {Float.NaN, 1, 1, 1}, 2, 2)));
      assertTrue(nan.getMessage().contains("no variable was updated"), nan.getMessage());
      assertThrows(RuntimeException.class, () -> t.step(ids(2, 6), NDArray.of(new float[] {1, 1, 1, 1}, 2, 2)));
      assertArrayEquals(before, s.variable("table").toFloatArray(), 0f, "nothing updated");
      // rows 2 and 5 received gradients in the failed steps; they must not leak into this one
      t.step(ids(1), NDArray.of(new float[] {1, -1}, 1, 2));
      assertArrayEquals(sgdExpected(before, new int[] {1}, new float[] {1, -1}, 1), s.variable("table").toFloatArray(),
          1e-6f);
    }
  }

  @Test
  void aDenseUseOfTheTableKeepsItsGradientDense() throws Exception {
    try (Session s = open()) {
      float[] before = s.variable("table").toFloatArray();
      Trainer t = s.trainer("lookupAndDense", Optimizers.sgd(0.25f));
      float[] x = {1, 2, 3, 4};
      t.step(NDArray.of(x, 2, 2), ids(0, 0));
      float[] expected = sgdExpected(before, new int[] {0, 0}, x, 0.25f);
      for (int j = 0; j < expected.length; j++) expected[j] -= 0.25f * 2 * before[j]; // d sum(table²) = 2·table
      assertArrayEquals(expected, s.variable("table").toFloatArray(), 1e-6f);
    }
  }

  @Test
  void aWarmStepAllocatesNothing() throws Exception {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation counting unsupported");
    threads.setThreadAllocatedMemoryEnabled(true);
    try (Session s = open()) {
      Trainer t = s.trainer("lookup", Optimizers.sgd(1e-3f));
      NDArray[] inputs = {ids(5, 1, 5, 0), NDArray.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)};
      long fewest = Long.MAX_VALUE;
      for (int round = 0; round < 30 && fewest > 0; round++) {
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1000; i++) t.step(inputs);
        fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
      }
      assertEquals(0, fewest, "bytes over 1000 warm steps");
    }
  }
}
