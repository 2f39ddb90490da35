package dev.graft.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final float[] PROBABILITIES = {0.1f, 0.2f, 0.3f, 0.4f};

  @Test
  void samplesFollowTheProbabilities() {
    assertMatches(PROBABILITIES, counts(new Sampler(1f, 0, 7), PROBABILITIES, false));
    float[] logits = new float[PROBABILITIES.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(PROBABILITIES[i]) + 3; // a shift does not change the softmax
    }
    assertMatches(PROBABILITIES, counts(new Sampler(1f, 0, 8), logits, true));
  }

  @Test
  void temperatureRaisesProbabilitiesToOneOverT() {
    double[] expected = new double[4];
    for (int i = 0; i < 4; i++) {
      expected[i] = Math.sqrt(PROBABILITIES[i]); // T = 2
    }
    assertMatches(toFloats(expected), counts(new Sampler(2f, 0, 9), PROBABILITIES, false));
  }

  @Test
  void topKDrawsOnlyAmongTheMostLikely() {
    long[] counts = counts(new Sampler(1f, 2, 10), PROBABILITIES, false);
    assertEquals(0, counts[0] + counts[1]);
    assertMatches(new float[] {0, 0, 3, 4}, counts);
  }

  @Test
  void topOneAndZeroTemperatureAreArgmax() {
    float[] row = {0.3f, 0.1f, 0.45f, 0.15f};
    for (Sampler sampler : List.of(new Sampler(1f, 1, 1), new Sampler(0f, 0, 2), new Sampler(1e-3f, 0, 3))) {
      for (int i = 0; i < 200; i++) {
        assertEquals(2, sampler.fromProbabilities(row), sampler + " draw " + i);
        assertEquals(2, sampler.fromLogits(row));
      }
    }
    assertEquals(1, new Sampler(0f, 0, 1).fromProbabilities(new float[] {0.2f, 0.4f, 0.4f}), "ties: lowest id");
  }

  @Test
  void theSameSeedGivesTheSameTokens() {
    Sampler a = new Sampler(0.8f, 3, 42);
    Sampler b = new Sampler(0.8f, 3, 42);
    int[] first = new int[50];
    int[] second = new int[50];
    for (int i = 0; i < 50; i++) {
      first[i] = a.fromProbabilities(PROBABILITIES);
      second[i] = b.fromProbabilities(PROBABILITIES);
    }
    assertArrayEquals(first, second);
  }

  @Test
  void topListsTokensByDescendingProbability() {
    Vocabulary vocabulary = Vocabulary.words("b b a c c c", 1, 10); // <unk> <eos> c b a
    List<Sampler.Candidate> top = Sampler.top(new float[] {0.1f, 0.1f, 0.2f, 0.4f, 0.2f}, 3, vocabulary);
    assertEquals(List.of(new Sampler.Candidate(3, "b", 0.4f), new Sampler.Candidate(2, "c", 0.2f),
        new Sampler.Candidate(4, "a", 0.2f)), top);
    assertEquals(5, Sampler.top(new float[] {1, 1, 1, 1, 1}, 9, vocabulary).size(), "k is capped at the size");
    assertThrows(IllegalArgumentException.class, () -> Sampler.top(new float[4], 2, vocabulary));
  }

  @Test
  void invalidRowsAndSettingsAreRejected() {
    Sampler sampler = new Sampler(1f, 0, 1);
    assertThrows(IllegalArgumentException.class, () -> sampler.fromProbabilities(new float[] {0.5f, -0.1f}));
    assertThrows(IllegalArgumentException.class, () -> sampler.fromProbabilities(new float[] {0f, 0f}));
    assertThrows(IllegalArgumentException.class, () -> sampler.fromLogits(new float[] {1f, Float.NaN}));
    assertThrows(IllegalArgumentException.class, () -> new Sampler(-1f, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, -1, 1));
  }

  private static long[] counts(Sampler sampler, float[] row, boolean logits) {
    long[] counts = new long[row.length];
    for (int i = 0; i < 20_000; i++) {
      counts[logits ? sampler.fromLogits(row) : sampler.fromProbabilities(row)]++;
    }
    return counts;
  }

  /** A chi-square goodness-of-fit test over the tokens with non-zero probability. */
  private static void assertMatches(float[] weights, long[] counts) {
    int n = 0;
    for (float w : weights) {
      n += w > 0 ? 1 : 0;
    }
    double[] expected = new double[n];
    long[] observed = new long[n];
    for (int i = 0, j = 0; i < weights.length; i++) {
      if (weights[i] > 0) {
        expected[j] = weights[i];
        observed[j++] = counts[i];
      }
    }
    double p = new ChiSquareTest().chiSquareTest(expected, observed);
    assertTrue(p > 0.001, "p = " + p + " for counts " + java.util.Arrays.toString(counts));
  }

  private static float[] toFloats(double[] values) {
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = (float) values[i];
    }
    return floats;
  }
}
