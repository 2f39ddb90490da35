package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.Device;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the README's annotation table promises, end to end: names, initializers, trainable, input dtypes. */
class DeclarationsTest {
  private static final String SOURCE = """
      package e2e;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      class Outer {
        @Model
        abstract static class Inner {
          @Variable(shape = "2, 3", init = Init.ONES) Tensor w;
          @Variable(shape = "3", init = Init.CONSTANT, value = 0.25f, trainable = false) Tensor frozen;
          @Variable(shape = "40, 50", init = Init.NORMAL, mean = 3, stddev = 0.5f, trainable = false) Tensor noise;
          @Variable(shape = "40, 50", init = Init.UNIFORM, min = 2, max = 4, trainable = false) Tensor uniform;

          @Output Tensor out(@Input(shape = "batch, 2") Tensor x, @Input(shape = "batch", dtype = DType.INT32) Tensor ids) {
            return matmul(x, w).add(frozen).add(oneHot(ids, 3));
          }

          @Loss Tensor loss(@Input(shape = "batch, 2") Tensor x, @Input(shape = "batch", dtype = DType.INT32) Tensor ids) {
            return reduceSum(out(x, ids));
          }
        }
      }
      """;

  private static ModelCompilation compiled;

  @BeforeAll
  static void compile() {
    compiled = ModelCompilation.compile(Map.of("e2e.Outer", SOURCE)).requireSuccess();
  }

  private static Session open() throws ClassNotFoundException {
    return Session.open(compiled.result.classLoader().loadClass("e2e.Outer$Inner"), Device.cpu(1));
  }

  @Test
  void nestedModelsCompileToAFlattenedName() {
    assertTrue(compiled.result.generatedSources().containsKey("e2e.GraftOuter_Inner"),
        "generated: " + compiled.result.generatedSources().keySet());
  }

  @Test
  void initializersAndFrozenVariables() throws Exception {
    try (Session s = open()) {
      s.initialize(3);
      assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, s.variable("w").toFloatArray());
      assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f}, s.variable("frozen").toFloatArray());
      double[] n = moments(s.variable("noise").toFloatArray());
      assertEquals(3, n[0], 0.1, "normal mean");
      assertEquals(0.5, n[1], 0.05, "normal stddev");
      for (float u : s.variable("uniform").toFloatArray()) assertTrue(u >= 2 && u <= 4, "uniform " + u);
      assertEquals(3, moments(s.variable("uniform").toFloatArray())[0], 0.1, "uniform mean");

      NDArray x = NDArray.of(new float[] {1, 2, -1, 0.5f}, 2, 2);
      NDArray ids = NDArray.ofInts(new int[] {2, 0}, 2);
      // out = x w + 0.25 + oneHot: each row sums x over columns, for each of 3 columns
      assertArrayEquals(new float[] {3.25f, 3.25f, 4.25f, 0.75f, -0.25f, -0.25f},
          s.run("out", Feeds.of("x", x, "ids", ids)).toFloatArray(), 1e-6f);
      Trainer t = s.trainer("loss", Optimizers.sgd(1));
      t.step(Feeds.of("x", x, "ids", ids));
      // d loss / d w[k][j] = sum over rows of x[row][k]
      assertArrayEquals(new float[] {1, 1, 1, -1.5f, -1.5f, -1.5f}, s.variable("w").toFloatArray(), 1e-6f);
      assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f}, s.variable("frozen").toFloatArray(), "not trainable");
    }
  }

  @Test
  void aFeedOfTheWrongDtypeIsRejected() throws Exception {
    try (Session s = open()) {
      s.initialize(3);
      NDArray x = NDArray.of(new float[] {1, 2}, 1, 2);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.run("out", Feeds.of("x", x, "ids", NDArray.of(new float[] {1}, 1))));
      assertTrue(e.getMessage().contains("input 'ids' of 'out': expected INT32 [batch]")
          && e.getMessage().contains("got FLOAT32 [1]"), e.getMessage());
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> s.run("out", Feeds.of("x", x)));
      assertTrue(missing.getMessage().contains("needs input 'ids'"), missing.getMessage());
    }
  }

  private static double[] moments(float[] v) {
    double mean = 0, squares = 0;
    for (float f : v) mean += f;
    mean /= v.length;
    for (float f : v) squares += (f - mean) * (f - mean);
    return new double[] {mean, Math.sqrt(squares / v.length)};
  }
}
