package dev.graft.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.NDArray;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {
  /** Needs the model compiled by the Graft processor. */
  @Test
  void defaultsReachMoreThan95PercentTrainingAccuracy() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LogisticRegressionExample.Result result = LogisticRegressionExample.train(LogisticRegressionExample.Options.DEFAULTS,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String log = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(result.accuracy() > 0.95, log);
    assertTrue(result.finalLoss() < result.initialLoss() / 4, log);
    assertTrue(log.contains("standardized"), log);
  }

  @Test
  void accuracyCountsArgmaxHits() {
    NDArray p = NDArray.of(new float[] {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f, 0.2f, 0.5f, 0.3f, 0.4f, 0.4f, 0.2f}, 4, 3);
    assertEquals(0.75, LogisticRegressionExample.accuracy(p, new int[] {0, 2, 1, 1}));
  }

  @Test
  void optionsRejectNonsense() {
    assertArrayEquals(new Object[] {500, 0.5f, 42L}, new Object[] {LogisticRegressionExample.Options.DEFAULTS.epochs(),
        LogisticRegressionExample.Options.DEFAULTS.learningRate(), LogisticRegressionExample.Options.DEFAULTS.seed()});
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new LogisticRegressionExample.Options(0, 0.5f, 1));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new LogisticRegressionExample.Options(10, Float.NaN, 1));
  }
}
