package dev.graft.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.examples.Main.UsageException;
import dev.graft.examples.lm.TrainOptions.Level;
import dev.graft.examples.lm.TrainOptions.Optimizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainOptionsTest {
  private static TrainOptions parse(String... args) {
    return TrainOptions.parse(args);
  }

  private static String error(String... args) {
    return assertThrows(UsageException.class, () -> parse(args)).getMessage();
  }

  @Test
  void theDefaultsAreThePtbSmallConfiguration() {
    TrainOptions o = parse("--corpus", "train.txt");
    assertEquals(Path.of("train.txt"), o.corpus());
    assertEquals(Level.WORD, o.level());
    assertEquals(Cell.LSTM, o.cell());
    assertEquals(2, o.layers());
    assertEquals(200, o.hidden());
    assertEquals(20, o.steps());
    assertEquals(20, o.batch());
    assertEquals(13, o.epochs());
    assertEquals(1.0f, o.learningRate());
    assertEquals(Optimizer.SGD, o.optimizer());
    assertEquals(5f, o.clip());
    assertEquals(4, o.decayAfter());
    assertEquals(0.5f, o.decay());
    assertEquals(0f, o.dropout());
    assertEquals(0.1f, o.initScale());
    assertNull(o.valid());
    assertNull(o.save());
    assertEquals(0, o.maxMinutes());
  }

  @Test
  void theMediumPresetMatchesTheTutorialAndExplicitOptionsOverrideIt() {
    TrainOptions o = parse("--hidden", "64", "--config", "medium");
    assertEquals(64, o.hidden());
    assertEquals(35, o.steps());
    assertEquals(39, o.epochs());
    assertEquals(6, o.decayAfter());
    assertEquals(0.8f, o.decay());
    assertEquals(0.5f, o.dropout());
    assertEquals(0.05f, o.initScale());
    TrainOptions s = parse("--config=small", "--cell=gru", "--level", "char", "--optimizer", "ADAM", "--lr", "0.002",
        "--max-minutes", "1.5", "--metrics", "m.jsonl", "--save", "out");
    assertEquals(200, s.hidden());
    assertEquals(Cell.GRU, s.cell());
    assertEquals(Level.CHAR, s.level());
    assertEquals(Optimizer.ADAM, s.optimizer());
    assertEquals(0.002f, s.learningRate());
    assertEquals(1.5, s.maxMinutes());
    assertEquals(Path.of("m.jsonl"), s.metrics());
    assertEquals(Path.of("out"), s.save());
  }

  @Test
  void withoutACorpusTrainUsesTheDemoSettings() {
    assertEquals(TrainOptions.DEMO.level(), TrainOptions.parse("train", new String[0], TrainOptions.DEMO).level());
    assertEquals(Level.CHAR, TrainOptions.DEMO.level());
    assertTrue(TrainOptions.DEMO.maxMinutes() > 0 && TrainOptions.DEMO.maxMinutes() <= 2);
  }

  @Test
  void badValuesNameTheOptionAndTheValue() {
    assertEquals("train: --hidden needs a positive integer, got 'wide'", error("--hidden", "wide"));
    assertEquals("train: --cell needs lstm or gru or rnn, got 'transformer'", error("--cell", "transformer"));
    assertEquals("train: --level needs word or char, got 'byte'", error("--level", "byte"));
    assertEquals("train: --dropout needs a probability in [0, 1), got '1'", error("--dropout", "1"));
    assertEquals("train: --decay needs a number in (0, 1], got '1.5'", error("--decay", "1.5"));
    assertEquals("train: --lr needs a positive number, got '-1'", error("--lr", "-1"));
    assertEquals("train: --config needs small or medium, got 'large'", error("--config", "large"));
    assertEquals("train: unknown option '--learning-rate'", error("--learning-rate", "1"));
    assertEquals("train: --steps needs a value", error("--steps"));
    assertEquals("train: --batch is given twice", error("--batch", "2", "--batch", "3"));
    String layers = error("--layers", "3");
    assertTrue(layers.contains("--layers 3 is not supported") && layers.contains("[2]"), layers);
  }
}
