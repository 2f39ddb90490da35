package dev.graft.examples.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Trainer;
import dev.graft.runtime.text.BatchedStream;
import dev.graft.runtime.text.Perplexity;
import dev.graft.runtime.text.Vocabulary;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training, state carrying and saving of the compiled recurrent models. */
class LanguageModelTest {
  /**
   * Trains {@code model} on {@code ids} with stateful truncated BPTT until an epoch's mean loss
   * is below {@code target} or {@code seconds} pass; returns the last epoch's mean loss.
   */
  static double trainUntil(LanguageModel model, int[] ids, int batch, int steps, float lr, double target,
      double seconds) {
    Trainer trainer = model.trainer(Optimizers.adam(lr)).clipGlobalNorm(5f);
    BatchedStream stream = new BatchedStream(ids, batch, steps);
    NDArray ones = model.ones(steps, batch);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    double loss = Double.NaN;
    while (System.nanoTime() < deadline) {
      NDArray state = model.zeroState(batch);
      Perplexity epoch = new Perplexity();
      for (BatchedStream.Window w : stream) {
        NDArray in = LanguageModel.timeMajor(w.inputs());
        NDArray targets = LanguageModel.timeMajor(w.targets());
        epoch.add(trainer.step(in, targets, state, ones, ones, ones), (long) batch * steps);
        state = NDArray.of(trainer.output(1).toFloatArray(), state.shape());
      }
      loss = epoch.meanNats();
      if (loss < target) break;
    }
    return loss;
  }

  /** The mean loss over {@code ids}, carrying the state between windows or resetting it for each. */
  static double evaluate(LanguageModel model, int[] ids, int batch, int steps, boolean carry) {
    BatchedStream stream = new BatchedStream(ids, batch, steps);
    NDArray ones = model.ones(steps, batch);
    NDArray state = model.zeroState(batch);
    Perplexity p = new Perplexity();
    for (BatchedStream.Window w : stream) {
      NDArray in = LanguageModel.timeMajor(w.inputs());
      NDArray targets = LanguageModel.timeMajor(w.targets());
      NDArray[] lossAndState = model.lossAndState(in, targets, state, ones, ones, ones);
      p.add(lossAndState[0].floatValue(), (long) batch * steps);
      state = carry ? lossAndState[1] : model.zeroState(batch);
    }
    return p.meanNats();
  }

  @Test
  void aTinyLstmLearnsATinyCorpusByHeart() {
    String text = "graft trains recurrent networks in java. ".repeat(16);
    Vocabulary vocabulary = Vocabulary.characters(text);
    try (LanguageModel model = LanguageModel.open(Cell.LSTM, 2, vocabulary.size(), 32, 2)) {
      model.initialize(7, 0.1f);
      long start = System.nanoTime();
      double loss = trainUntil(model, vocabulary.encode(text), 4, 16, 0.01f, 0.1, 30);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(loss < 0.1, "mean loss " + loss + " nats after " + seconds + " s");
    }
  }

  @Test
  void everyCellLearns() {
    String text = "abcdefgh".repeat(40);
    Vocabulary vocabulary = Vocabulary.characters(text);
    for (Cell cell : Cell.values()) {
      try (LanguageModel model = LanguageModel.open(cell, 2, vocabulary.size(), 16, 1)) {
        model.initialize(3, 0.1f);
        double loss = trainUntil(model, vocabulary.encode(text), 4, 8, 0.02f, 0.1, 20);
        assertTrue(loss < 0.1, cell + ": mean loss " + loss);
      }
    }
  }

  /**
   * In "aXbX..." the token after X is b after "aX" and a after "bX". With windows of one token,
   * only the state carried from the previous window can tell which: trained with the state
   * carried, the model predicts it; with the state reset at every window, the best it can do at
   * an X is a coin flip, ln 2 nats (a quarter of the tokens ... half of ln 2 on average).
   */
  @Test
  void theStateCarriesAcrossWindows() {
    String text = "aXbX".repeat(200);
    Vocabulary vocabulary = Vocabulary.characters(text);
    int[] ids = vocabulary.encode(text);
    try (LanguageModel model = LanguageModel.open(Cell.LSTM, 2, vocabulary.size(), 16, 1)) {
      model.initialize(11, 0.1f);
      double trained = trainUntil(model, ids, 4, 1, 0.02f, 0.05, 40);
      assertTrue(trained < 0.1, "loss with the state carried: " + trained);
      double carried = evaluate(model, ids, 4, 1, true);
      double reset = evaluate(model, ids, 4, 1, false);
      assertTrue(carried < 0.1, "carried " + carried);
      assertTrue(reset > 0.25, "reset " + reset + " (carried " + carried + ")");
    }
  }

  @Test
  void aSavedModelLoadsIntoAFreshSessionWithTheSameProbabilities(@TempDir Path dir) throws Exception {
    String text = "to be or not to be, that is the question. ".repeat(8);
    Vocabulary vocabulary = Vocabulary.characters(text);
    Path saved = dir.resolve("model");
    float[] before;
    Map<String, float[]> weights = new HashMap<>();
    int[] prompt = vocabulary.encode("to be or");
    try (LanguageModel model = LanguageModel.open(Cell.GRU, 2, vocabulary.size(), 24, 1)) {
      model.initialize(5, 0.1f);
      trainUntil(model, vocabulary.encode(text), 2, 10, 0.01f, 0, 1);
      before = new Generation(model, prompt).probabilities();
      for (String name : model.session().variableNames()) {
        weights.put(name, model.session().variable(name).toFloatArray());
      }
      SavedModel.save(saved, model, vocabulary, Map.of("note", "test"));
      SavedModel.save(saved, model, vocabulary, Map.of("note", "replaced")); // replacing works too
    }
    SavedModel.Loaded loaded = SavedModel.load(saved, 2);
    try (LanguageModel model = loaded.model()) {
      assertEquals(Cell.GRU, model.cell());
      assertEquals(24, model.hidden());
      assertEquals("replaced", loaded.config().get("note"));
      assertEquals(vocabulary.tokens(), loaded.vocabulary().tokens());
      for (String name : model.session().variableNames()) {
        assertArrayEquals(weights.get(name), model.session().variable(name).toFloatArray(), name);
      }
      assertEquals(weights.keySet(), new HashSet<>(model.session().variableNames()));
      // The weights must be bit-exact; the probabilities only to float tolerance. CI once saw
      // them an ulp apart (3.267206E-7 against 3.2672068E-7): the loaded session has two threads
      // instead of one, and the Vector API's lanewise EXP can round differently before and after
      // the JIT compiles a kernel.
      float[] after = new Generation(model, prompt).probabilities();
      assertEquals(before.length, after.length);
      for (int i = 0; i < before.length; i++) {
        assertEquals(before[i], after[i], 1e-5f * before[i] + 1e-9f, "probability of token " + i);
      }
    }
    try (var files = java.nio.file.Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary directory is left behind");
    }
  }
}
