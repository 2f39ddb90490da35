package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two steps of each optimizer on {@code cost = mean((x w + b - y)^2)} against the update rule
 * computed by hand in double precision.
 */
class OptimizersTest {
  private static final double[] X = {1, 2};
  private static final double[] Y = {1, 3};
  private Session session;

  /** One hand-computed update of parameters {w, b} with gradient g at step t (from 1). */
  interface Rule {
    void update(double[] p, double[] g, int t);
  }

  @AfterEach
  void close() {
    session.close();
  }

  private Trainer trainer(Optimizer optimizer) {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 1));
    session.initialize(0);
    session.assign("w", NDArray.of(new float[] {0.5f}, 1, 1));
    session.assign("b", NDArray.of(new float[] {0f}, 1));
    return session.trainer("cost", optimizer);
  }

  private static double[] gradient(double[] p) {
    double[] g = new double[2];
    for (int r = 0; r < X.length; r++) {
      double e = X[r] * p[0] + p[1] - Y[r];
      g[0] += 2 * e * X[r] / X.length;
      g[1] += 2 * e / X.length;
    }
    return g;
  }

  private void assertTwoSteps(Trainer trainer, Rule rule) {
    double[] p = {0.5, 0};
    NDArray x = NDArray.of(new float[] {1, 2}, 2, 1);
    NDArray y = NDArray.of(new float[] {1, 3}, 2, 1);
    for (int t = 1; t <= 2; t++) {
      rule.update(p, gradient(p), t);
      trainer.step(x, y);
      assertEquals(p[0], session.variable("w").floatValue(), 1e-6, "w after step " + t);
      assertEquals(p[1], session.variable("b").floatValue(), 1e-6, "b after step " + t);
      if (t == 1) {
        trainer.optimizer().setLearningRate(trainer.optimizer().learningRate() / 2);
      }
    }
    assertTrue(p[0] != 0.5 && p[1] != 0, "the parameters moved");
  }

  @Test
  void momentumAccumulatesGradients() {
    double[] a = new double[2];
    double[] lr = {0.1, 0.05};
    assertTwoSteps(trainer(Optimizers.momentum(0.1f, 0.9f)), (p, g, t) -> {
      for (int i = 0; i < 2; i++) {
        a[i] = 0.9 * a[i] + g[i];
        p[i] -= lr[t - 1] * a[i];
      }
    });
  }

  @Test
  void adagradStartsItsAccumulatorAtOneTenth() {
    double[] a = {0.1, 0.1};
    double[] lr = {0.1, 0.05};
    assertTwoSteps(trainer(Optimizers.adagrad(0.1f)), (p, g, t) -> {
      for (int i = 0; i < 2; i++) {
        a[i] += g[i] * g[i];
        p[i] -= lr[t - 1] * g[i] / Math.sqrt(a[i]);
      }
    });
  }

  @Test
  void rmspropStartsItsMeanSquareAtOne() {
    double[] ms = {1, 1};
    double[] lr = {0.01, 0.005};
    assertTwoSteps(trainer(Optimizers.rmsprop(0.01f)), (p, g, t) -> {
      for (int i = 0; i < 2; i++) {
        ms[i] = 0.9 * ms[i] + 0.1 * g[i] * g[i];
        p[i] -= lr[t - 1] * g[i] / Math.sqrt(ms[i] + 1e-10);
      }
    });
  }

  @Test
  void sgdUsesTheLearningRateSetBetweenSteps() {
    double[] lr = {0.1, 0.05};
    assertTwoSteps(trainer(Optimizers.sgd(0.1f)), (p, g, t) -> {
      p[0] -= lr[t - 1] * g[0];
      p[1] -= lr[t - 1] * g[1];
    });
  }

  @Test
  void clippingScalesEveryGradientByTheGlobalNorm() {
    Trainer trainer = trainer(Optimizers.sgd(1f)).clipGlobalNorm(0.5f);
    assertTrue(Float.isNaN(trainer.lastGlobalNorm()));
    double[] g = gradient(new double[] {0.5, 0}); // {-5, -3}: norm sqrt(34) > 0.5
    double norm = Math.hypot(g[0], g[1]);

    trainer.step(NDArray.of(new float[] {1, 2}, 2, 1), NDArray.of(new float[] {1, 3}, 2, 1));

    assertEquals(norm, trainer.lastGlobalNorm(), 1e-5, "the norm before clipping");
    assertEquals(0.5 - g[0] * 0.5 / norm, session.variable("w").floatValue(), 1e-6);
    assertEquals(0 - g[1] * 0.5 / norm, session.variable("b").floatValue(), 1e-6);
  }

  @Test
  void aGradientBelowTheClipNormIsUnchanged() {
    Trainer trainer = trainer(Optimizers.sgd(0.1f)).clipGlobalNorm(100f);
    double[] g = gradient(new double[] {0.5, 0});
    trainer.step(NDArray.of(new float[] {1, 2}, 2, 1), NDArray.of(new float[] {1, 3}, 2, 1));
    assertEquals(0.5 - 0.1 * g[0], session.variable("w").floatValue(), 1e-6);
    assertEquals(Math.hypot(g[0], g[1]), trainer.lastGlobalNorm(), 1e-5);
    assertThrows(IllegalArgumentException.class, () -> trainer.clipGlobalNorm(0));
    assertThrows(IllegalArgumentException.class, () -> trainer.clipGlobalNorm(Float.NaN));
  }

  @Test
  void anOptimizerWithStateBelongsToOneTrainer() {
    Optimizer momentum = Optimizers.momentum(0.1f, 0.9f);
    NDArray x = NDArray.of(new float[] {1}, 1, 1);
    trainer(momentum).step(x, x);
    assertThrows(IllegalStateException.class, () -> session.trainer("cost", momentum).step(x, x));
  }

  @Test
  void invalidHyperparametersAreRejected() {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 1));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.momentum(0.1f, 1f));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.adagrad(0f));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.rmsprop(0.1f, 0.9f, 0f));
    var e = assertThrows(IllegalArgumentException.class, () -> Optimizers.sgd(0.1f).setLearningRate(Float.NaN));
    assertEquals("learning rate must be positive and finite, got NaN", e.getMessage());
  }

  @Test
  void stepDecayFollowsThePtbSchedule() {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 1));
    LearningRate schedule = LearningRate.stepDecay(1f, 4, 0.5f);
    float[] expected = {1, 1, 1, 1, 0.5f, 0.25f, 0.125f};
    for (int epoch = 0; epoch < expected.length; epoch++) {
      assertEquals(expected[epoch], schedule.at(epoch), "epoch " + epoch);
    }
    assertEquals(0.5f, LearningRate.stepDecay(1f, 0, 0.5f).at(0));
    assertEquals(0.3f, LearningRate.constant(0.3f).at(100));
    assertTrue(LearningRate.stepDecay(1f, 0, 0.5f).at(100_000) > 0, "stays a valid learning rate");
    assertThrows(IllegalArgumentException.class, () -> LearningRate.stepDecay(1f, 4, 1.5f));
    assertThrows(IllegalArgumentException.class, () -> LearningRate.stepDecay(1f, -1, 0.5f));
    assertThrows(IllegalArgumentException.class, () -> schedule.at(-1));
  }
}
