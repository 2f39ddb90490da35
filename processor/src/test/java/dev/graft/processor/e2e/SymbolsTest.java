package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.CompiledModel;
import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dimension symbols end to end: {@code hidden} sizes variables and is bound when the session
 * opens; {@code batch} is bound by each call's feeds, so one session serves any batch size.
 */
class SymbolsTest {
  private static final String MODEL = """
      package e2e;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      @Model
      abstract class Hidden {
        @Variable(shape = "4, hidden", init = Init.UNIFORM, min = -1, max = 1) Tensor w;
        @Variable(shape = "hidden") Tensor b;
        @Variable(shape = "hidden, 2", init = Init.GLOROT_UNIFORM) Tensor v;

        @Output Tensor out(@Input(shape = "batch, 4") Tensor x) {
          return tanh(matmul(x, w).add(b)).matmul(v);
        }

        @Loss Tensor loss(@Input(shape = "batch, 4") Tensor x, @Input(shape = "batch, 2") Tensor y) {
          return reduceMean(square(out(x).sub(y)));
        }
      }
      """;

  private static ModelCompilation compiled;

  @BeforeAll
  static void compile() {
    compiled = ModelCompilation.compile(Map.of("e2e.Hidden", MODEL)).requireSuccess();
  }

  private static CompiledModel model() {
    return compiled.instantiate("e2e.Hidden");
  }

  /** {@code tanh(x w + b) v} from the session's current variables. */
  private static Nd reference(Session s, NDArray x) {
    return Nd.of(x).matmul(Nd.of(s.variable("w"))).add(Nd.of(s.variable("b"))).map(Math::tanh).matmul(Nd.of(s.variable("v")));
  }

  private static void assertClose(Nd expected, NDArray actual) {
    assertArrayEquals(expected.shape, actual.shape());
    float[] a = actual.toFloatArray();
    for (int i = 0; i < a.length; i++) assertEquals(expected.data[i], a[i], 1e-5 * (1 + Math.abs(expected.data[i])));
  }

  @Test
  void oneSessionRunsAndTrainsBatchesOfOneAndFive() {
    Random r = new Random(5);
    try (Session s = Session.open(model(), Device.cpu(2), Dims.of("hidden", 7))) {
      s.initialize(1);
      assertArrayEquals(new int[] {4, 7}, s.variable("w").shape());
      assertArrayEquals(new int[] {7, 2}, s.variable("v").shape());
      NDArray x5 = Nd.uniform(r, 1, 5, 4), y5 = Nd.uniform(r, 1, 5, 2), x1 = Nd.uniform(r, 1, 1, 4), y1 = Nd.uniform(r, 1, 1, 2);
      assertClose(reference(s, x5), s.run("out", Feeds.of("x", x5)));
      assertClose(reference(s, x1), s.run("out", Feeds.of("x", x1)));
      assertClose(reference(s, x5), s.run("out", Feeds.of("x", x5))); // the larger workspace again

      Trainer t = s.trainer("loss", Optimizers.sgd(0.1f));
      float first = s.eval("loss", Feeds.of("x", x5, "y", y5));
      for (int i = 0; i < 30; i++) {
        t.step(Feeds.of("x", x1, "y", y1));
        t.step(Feeds.of("x", x5, "y", y5));
      }
      assertTrue(s.eval("loss", Feeds.of("x", x5, "y", y5)) < first / 2, "training on both batch sizes helps");
      Nd e = reference(s, x5).zip(Nd.of(y5), (p, q) -> (p - q) * (p - q)).reduce(Nd.Reduction.MEAN, false);
      assertEquals(e.data[0], s.eval("loss", Feeds.of("x", x5, "y", y5)), 1e-5);
      assertClose(reference(s, x1), s.run("out", Feeds.of("x", x1)));
    }
  }

  @Test
  void aMissingSessionSymbolIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Session.open(model(), Device.cpu(1), Dims.none()));
    assertTrue(e.getMessage().contains("variable 'w'") && e.getMessage().contains("[4, hidden]")
        && e.getMessage().contains("bind 'hidden' in the Dims given to Session.open"), e.getMessage());

    // The typed facade's open without Dims fails the same way.
    InvocationTargetException f = assertThrows(InvocationTargetException.class,
        () -> model().getClass().getMethod("open", Device.class).invoke(null, Device.cpu(1)));
    assertEquals(e.getMessage(), f.getCause().getMessage());

    IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
        () -> Session.open(model(), Device.cpu(1), Dims.of("hiden", 7)));
    assertTrue(typo.getMessage().contains("'hiden', which is not a symbol of model 'Hidden'"), typo.getMessage());
  }

  @Test
  void feedsThatDisagreeOnBatchAreRejectedBeforeRunning() {
    try (Session s = Session.open(model(), Device.cpu(1), Dims.of("hidden", 3))) {
      s.initialize(2);
      NDArray w = s.variable("w");
      Random r = new Random(6);
      Trainer t = s.trainer("loss", Optimizers.sgd(1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.step(Feeds.of("x", Nd.uniform(r, 1, 5, 4), "y", Nd.uniform(r, 1, 4, 2))));
      assertTrue(e.getMessage().contains("input 'y' of 'loss'") && e.getMessage().contains("batch = 5 from 'x'"),
          e.getMessage());
      assertEquals(w, s.variable("w"), "nothing changed");
    }
  }
}
