package dev.graft.examples.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.runtime.NDArray;
import dev.graft.runtime.text.Sampler;
import dev.graft.runtime.text.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@link Generation} reuses its arrays from token to token; these tests hold it to a plain loop
 * that makes new ones at every step ({@link LanguageModel#next}, that is {@code runAll}): the same
 * logits, bit for bit, at every step, and so the same tokens and text for a seed.
 */
class GenerationTest {
  private static final String TEXT = "the cat sat on the mat; the dog sat on the log.\n";
  private static final int TOKENS = 60;
  /**
   * The same kernels can round an ulp apart from one call to the next, once the JIT has compiled
   * the Vector API's lanewise EXP; logits are of order 1 to 10.
   */
  private static final float LOGIT_TOLERANCE = 1e-5f;

  /** The tokens a sampler seeded with {@code seed} draws after {@code prompt}, and the logits each was drawn from. */
  private record Reference(int[] ids, float[][] logits) {}

  private static Reference reference(LanguageModel model, int[] prompt, long seed, boolean noUnknown) {
    Sampler sampler = new Sampler(1f, 0, seed);
    int[] ids = new int[TOKENS];
    float[][] logits = new float[TOKENS + 1][];
    NDArray[] next = model.next(NDArray.ofInts(prompt, prompt.length, 1), model.zeroState(1));
    for (int i = 0; i <= TOKENS; i++) {
      logits[i] = next[0].toFloatArray();
      if (i == TOKENS) break;
      float[] row = logits[i].clone();
      if (noUnknown) row[Vocabulary.UNK_ID] = Float.NEGATIVE_INFINITY;
      ids[i] = sampler.fromLogits(row);
      next = model.next(NDArray.ofInts(new int[] {ids[i]}, 1, 1), next[1]);
    }
    return new Reference(ids, logits);
  }

  @Test
  void everyStepGivesTheLogitsAndTokensOfAPlainLoop() {
    Vocabulary vocabulary = Vocabulary.characters(TEXT);
    int[] prompt = vocabulary.encode("the ");
    for (Cell cell : Cell.values()) {
      try (LanguageModel model = LanguageModel.open(cell, 2, vocabulary.size(), 16, 1)) {
        model.initialize(13, 0.5f); // wide weights: logits far from uniform, and sensitive to the state
        for (boolean noUnknown : new boolean[] {false, true}) {
          Reference expected = reference(model, prompt, 21, noUnknown);
          Generation g = new Generation(model, prompt);
          Sampler sampler = new Sampler(1f, 0, 21);
          for (int i = 0; i < TOKENS; i++) {
            assertArrayEquals(expected.logits()[i], g.logits(), LOGIT_TOLERANCE, cell + " logits before token " + i);
            assertEquals(expected.ids()[i], g.next(sampler, noUnknown), cell + " token " + i);
          }
          assertArrayEquals(expected.logits()[TOKENS], g.logits(), LOGIT_TOLERANCE, cell + " logits after the last token");
        }
      }
    }
  }

  @Test
  void theGeneratedTextIsThatOfAPlainLoop() {
    Vocabulary vocabulary = Vocabulary.characters(TEXT);
    String prompt = "the ";
    try (LanguageModel model = LanguageModel.open(Cell.LSTM, 2, vocabulary.size(), 16, 1)) {
      model.initialize(17, 0.5f);
      int[] ids = reference(model, vocabulary.encode(prompt), 5, true).ids(); // a character model never writes <unk>
      StringBuilder expected = new StringBuilder(prompt);
      for (int id : ids) expected.append(vocabulary.token(id));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      String text = Generation.generate(model, vocabulary, prompt, TOKENS, new Sampler(1f, 0, 5),
          new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
      assertEquals(expected.toString(), text);
      assertEquals(expected + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    }
  }
}
