package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionTest {
  private final GraftLinearModel model = new GraftLinearModel();
  private Session session;

  private Session open(int features) {
    session = Session.open(model, Device.cpu(2), Dims.of("features", features));
    return session;
  }

  @AfterEach
  void close() {
    if (session != null) {
      session.close();
    }
  }

  private static NDArray x150by4() {
    return NDArray.zeros(150, 4);
  }

  @Test
  void runsAnEntryWithFeeds() {
    open(2).initialize(7);
    session.assign("w", NDArray.of(new float[] {1, 2}, 2, 1));
    session.assign("b", NDArray.of(new float[] {0.5f}, 1));
    NDArray x = NDArray.of(new float[] {1, 1, 2, 3, 0, -1}, 3, 2);

    NDArray predictions = session.run("predictions", Feeds.of("x", x));

    assertEquals(NDArray.of(new float[] {3.5f, 8.5f, -1.5f}, 3, 1), predictions);
    assertEquals(predictions, session.run(GraftLinearModel.PREDICTIONS, x));
    NDArray y = NDArray.of(new float[] {3.5f, 8.5f, 0.5f}, 3, 1);
    assertEquals(4f / 3, session.eval("cost", Feeds.of("x", x, "y", y)), 1e-6f);
    NDArray picked = session.run("pick", Feeds.of("idx", NDArray.ofInts(new int[] {1, 0, 1}, 3)));
    assertEquals(NDArray.of(new float[] {2, 1, 2}, 3), picked);
  }

  @Test
  void opensTheGeneratedClassByTheNamingRule() {
    assertEquals("dev.graft.runtime.GraftLinearModel", Session.compiledClassName(LinearModel.class));
    assertEquals("dev.graft.runtime.GraftLinearModel_Nested", Session.compiledClassName(LinearModel.Nested.class));
    try (Session nested = Session.open(LinearModel.Nested.class, Device.cpu(1), Dims.of("features", 3))) {
      assertEquals(List.of("w", "b", "scale"), nested.variableNames());
      assertEquals("cpu(1 thread)", nested.device().toString());
    }
  }

  @Test
  void aModelWithoutGeneratedClassExplainsHowToEnableTheProcessor() {
    var e = assertThrows(IllegalStateException.class, () -> Session.open(SessionTest.class, Device.cpu(1)));
    assertTrue(e.getMessage().contains("dev.graft.runtime.GraftSessionTest"), e.getMessage());
    assertTrue(e.getMessage().contains("not compiled by the Graft annotation processor"), e.getMessage());
    assertTrue(e.getMessage().contains("annotationProcessorPaths"), e.getMessage());
  }

  @Test
  void sessionSymbolsUsedByVariablesMustBeBound() {
    var missing = assertThrows(IllegalArgumentException.class, () -> Session.open(model, Device.cpu(1), Dims.none()));
    assertEquals("variable 'w' has shape [features, 1]: bind 'features' in the Dims given to Session.open",
        missing.getMessage());

    var unknown = assertThrows(IllegalArgumentException.class,
        () -> Session.open(model, Device.cpu(1), Dims.of("features", 2, "hidden", 3)));
    assertEquals("Dims binds 'hidden', which is not a symbol of model 'LinearModel'; its symbols: [batch, features]",
        unknown.getMessage());
  }

  @Test
  void aSessionDimAlsoConstrainsTheFeeds() {
    session = Session.open(model, Device.cpu(1), Dims.of("features", 4, "batch", 10));
    session.initialize(1);
    var e = assertThrows(IllegalArgumentException.class, () -> session.run("predictions", Feeds.of("x", x150by4())));
    assertEquals("input 'x' of 'predictions': expected [batch, features] (batch = 10 from the session Dims, "
        + "features = 4 from the session Dims), got [150, 4]", e.getMessage());
  }

  @Test
  void runningBeforeInitializeFails() {
    open(4);
    var e = assertThrows(IllegalStateException.class, () -> session.run("predictions", Feeds.of("x", x150by4())));
    assertTrue(e.getMessage().endsWith("call initialize(seed) first"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> session.variable("w"));
  }

  @Test
  void assigningEveryVariableAlsoMakesTheSessionReady() {
    open(1);
    session.assign("w", NDArray.of(new float[] {2}, 1, 1));
    session.assign("b", NDArray.of(new float[] {1}, 1));
    assertThrows(IllegalStateException.class, () -> session.run("predictions", Feeds.of("x", NDArray.zeros(1, 1))));
    session.assign("scale", NDArray.scalar(3));
    assertEquals(NDArray.of(new float[] {9}, 1, 1),
        session.run("predictions", Feeds.of("x", NDArray.of(new float[] {1}, 1, 1))));
  }

  @Test
  void feedValidationNamesTheInputAndTheShapes() {
    open(4).initialize(3);
    NDArray x = x150by4();

    assertMessage("input 'x' of 'predictions': expected [batch, features] (batch = 150 from 'x', "
        + "features = 4 from the session Dims), got [150, 5]", () -> session.run("predictions",
        Feeds.of("x", NDArray.zeros(150, 5))));
    assertMessage("input 'y' of 'cost': expected [batch, 1] (batch = 150 from 'x'), got [100, 1]",
        () -> session.run("cost", Feeds.of("x", x, "y", NDArray.zeros(100, 1))));
    assertMessage("input 'y' of 'cost': expected [batch, 1] (batch = 150 from 'x'), got [150]",
        () -> session.run("cost", Feeds.of("x", x, "y", NDArray.zeros(150))));
    assertMessage("input 'idx' of 'pick': expected INT32 [batch], got FLOAT32 [3]",
        () -> session.run("pick", Feeds.of("idx", NDArray.zeros(3))));
    assertMessage("entry 'cost' needs input 'y', which is not fed; inputs: x FLOAT32 [batch, features], "
        + "y FLOAT32 [batch, 1]", () -> session.run("cost", Feeds.of("x", x)));
    assertMessage("entry 'predictions' has no input 'y'; inputs: x FLOAT32 [batch, features]",
        () -> session.run("predictions", Feeds.of("x", x, "y", NDArray.zeros(150, 1))));
    assertMessage("entry 'cost' takes 2 inputs, got 1; inputs: x FLOAT32 [batch, features], y FLOAT32 [batch, 1]",
        () -> session.run(GraftLinearModel.COST, x));
    assertMessage("model 'LinearModel' has no entry 'loss'; entries: [predictions, cost, pick, both]",
        () -> session.run("loss", Feeds.of("x", x)));
    assertEquals(0, model.runs, "nothing ran");
  }

  @Test
  void aFailedCallOrStepChangesNoVariable() {
    open(4).initialize(3);
    List<NDArray> before = List.of(session.variable("w"), session.variable("b"));
    Trainer trainer = session.trainer("cost", Optimizers.sgd(0.1f));

    assertThrows(IllegalArgumentException.class,
        () -> trainer.step(Feeds.of("x", x150by4(), "y", NDArray.zeros(150, 2))));
    assertThrows(IllegalArgumentException.class,
        () -> session.assign("w", NDArray.zeros(3, 1)));

    assertEquals(before, List.of(session.variable("w"), session.variable("b")));
    assertEquals(0, trainer.steps());
  }

  @Test
  void assignRejectsAWrongShapeNamingTheVariable() {
    open(4);
    assertMessage("variable 'w': expected FLOAT32 [features, 1] = [4, 1], got FLOAT32 [3, 1]",
        () -> session.assign("w", NDArray.zeros(3, 1)));
    assertMessage("variable 'w': expected FLOAT32 [features, 1] = [4, 1], got INT32 [4, 1]",
        () -> session.assign("w", NDArray.ofInts(new int[4], 4, 1)));
    assertMessage("model 'LinearModel' has no variable 'v'; variables: [w, b, scale]",
        () -> session.assign("v", NDArray.zeros(1)));
  }

  @Test
  void sgdReducesALeastSquaresLoss() {
    open(3).initialize(11);
    Random random = new Random(5);
    int batch = 64;
    float[] xs = new float[batch * 3];
    float[] ys = new float[batch];
    float[] trueW = {0.5f, -2f, 1f};
    for (int r = 0; r < batch; r++) {
      for (int f = 0; f < 3; f++) {
        xs[r * 3 + f] = (float) random.nextGaussian();
        ys[r] += trueW[f] * xs[r * 3 + f];
      }
      ys[r] += 0.25f;
    }
    Feeds feeds = Feeds.of("x", NDArray.of(xs, batch, 3), "y", NDArray.of(ys, batch, 1));
    Trainer trainer = session.trainer("cost", Optimizers.sgd(0.1f));

    float first = trainer.step(feeds);
    float last = first;
    for (int i = 0; i < 200; i++) {
      last = trainer.step(feeds);
    }

    assertTrue(last < first * 1e-4f, "loss went from " + first + " to " + last);
    assertArrayEquals(trueW, session.variable("w").toFloatArray(), 1e-3f);
    assertEquals(0.25f, session.variable("b").floatValue(), 1e-3f);
    assertEquals(1f, session.variable("scale").floatValue(), "not trainable, not updated");
    assertEquals(201, trainer.steps());
  }

  @Test
  void adamMatchesAHandComputationForTwoSteps() {
    open(1).initialize(0);
    session.assign("w", NDArray.of(new float[] {0.5f}, 1, 1));
    NDArray x = NDArray.of(new float[] {1, 2}, 2, 1);
    NDArray y = NDArray.of(new float[] {1, 3}, 2, 1);
    float lr = 0.1f;
    Trainer trainer = session.trainer("cost", Optimizers.adam(lr));

    // Hand computation, in double: parameters {w, b}, cost = mean((x w + b - y)^2).
    double[] p = {0.5, 0};
    double[] m = new double[2];
    double[] v = new double[2];
    double[] xv = {1, 2};
    double[] yv = {1, 3};
    for (int t = 1; t <= 2; t++) {
      double loss = 0;
      double[] g = new double[2];
      for (int r = 0; r < 2; r++) {
        double e = xv[r] * p[0] + p[1] - yv[r];
        loss += e * e / 2;
        g[0] += e * xv[r];
        g[1] += e;
      }
      assertEquals(loss, trainer.step(x, y), 1e-5, "loss at step " + t);
      for (int i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        double mHat = m[i] / (1 - Math.pow(0.9, t));
        double vHat = v[i] / (1 - Math.pow(0.999, t));
        p[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
      }
      assertEquals(p[0], session.variable("w").floatValue(), 1e-5, "w after step " + t);
      assertEquals(p[1], session.variable("b").floatValue(), 1e-5, "b after step " + t);
    }
    assertNotEquals(0.5, p[0]);
  }

  @Test
  void aNonFiniteGradientOrLossStopsTheStepBeforeAnyUpdate() {
    open(2).initialize(9);
    List<NDArray> before = List.of(session.variable("w"), session.variable("b"));
    Trainer trainer = session.trainer("cost", Optimizers.adam(0.01f));
    NDArray x = NDArray.of(new float[] {1, 2, 3, 4}, 2, 2);
    NDArray y = NDArray.zeros(2, 1);

    model.poisonBiasGradient = true;
    var e = assertThrows(ArithmeticException.class, () -> trainer.step(x, y));
    assertTrue(e.getMessage().startsWith("the gradient of variable 'b' is not finite"), e.getMessage());

    model.poisonBiasGradient = false;
    NDArray nanX = NDArray.of(new float[] {1, Float.NaN, 3, 4}, 2, 2);
    var nanLoss = assertThrows(ArithmeticException.class, () -> trainer.step(nanX, y));
    assertTrue(nanLoss.getMessage().startsWith("loss 'cost' is NaN"), nanLoss.getMessage());

    assertEquals(before, List.of(session.variable("w"), session.variable("b")));
    assertEquals(0, trainer.steps());
  }

  @Test
  void aTrainerNeedsALossEntry() {
    open(2);
    assertMessage("entry 'predictions' is an OUTPUT; a trainer needs a @Loss entry: [cost]",
        () -> session.trainer("predictions", Optimizers.sgd(0.1f)));
  }

  @Test
  void anAdamOptimizerBelongsToOneTrainer() {
    open(1).initialize(1);
    Optimizer adam = Optimizers.adam(0.1f);
    NDArray x = NDArray.of(new float[] {1}, 1, 1);
    session.trainer("cost", adam).step(x, x);
    assertThrows(IllegalStateException.class, () -> session.trainer("cost", adam).step(x, x));
  }

  @Test
  void initializeIsReproducibleBySeed() {
    open(50).initialize(42);
    NDArray first = session.variable("w");
    session.initialize(43);
    assertNotEquals(first, session.variable("w"));
    session.initialize(42);
    assertEquals(first, session.variable("w"));
    assertEquals(NDArray.of(new float[] {0}, 1), session.variable("b"));
    assertEquals(NDArray.scalar(1), session.variable("scale"));
  }

  @Test
  void aClosedSessionRefusesWork() {
    open(2).initialize(1);
    Trainer trainer = session.trainer("cost", Optimizers.sgd(0.1f));
    session.close();
    session.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> session.run("predictions", Feeds.of("x", NDArray.zeros(1, 2))));
    assertThrows(IllegalStateException.class, () -> trainer.step(NDArray.zeros(1, 2), NDArray.zeros(1, 1)));
    assertThrows(IllegalStateException.class, () -> session.initialize(1));
    assertThrows(IllegalStateException.class, () -> session.variable("w"));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
