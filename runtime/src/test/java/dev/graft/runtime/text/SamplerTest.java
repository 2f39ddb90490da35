package dev.graft.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
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

  /**
   * The draws of fixed seeds from fixed rows are those of {@link #referenceDraws}, a plain
   * sampler written here: they hold the sampler to its order of candidates (value, then lower id
   * among ties, 0 tying with -0), its weights, its top k and its use of the generator, over rows
   * of two widths in turn; and the rows are not written.
   */
  @Test
  void drawsMatchAReferenceSamplerAcrossRowWidths() {
    SplittableRandom random = new SplittableRandom(3);
    float[] wide = new float[1000];
    for (int i = 0; i < wide.length; i++) {
      wide[i] = Math.round(random.nextGaussian() * 4) / 4f; // quarters: many ties
    }
    wide[10] = -0f;
    wide[11] = 0f;
    wide[12] = Float.NEGATIVE_INFINITY;
    float[] narrow = {0.5f, -1f, 0.5f, 2f, -0f, 0f, 1.25f};
    float[] positiveWide = new float[wide.length];
    for (int i = 0; i < wide.length; i++) {
      positiveWide[i] = (float) Math.exp(wide[i]);
    }
    float[] positiveNarrow = {0.2f, 0.1f, 0.2f, 0.4f, 0f, 0.05f, 0.05f};
    float[] wideBefore = wide.clone();
    Sampler all = new Sampler(0.9f, 0, 5);
    Sampler topK = new Sampler(1.3f, 50, 6);
    Sampler probabilities = new Sampler(0.7f, 0, 7);
    int[][] draws = new int[3][24];
    float[][] logitRows = new float[24][];
    float[][] probabilityRows = new float[24][];
    for (int i = 0; i < 24; i++) {
      boolean isWide = i % 3 != 2;
      logitRows[i] = isWide ? wide : narrow;
      probabilityRows[i] = isWide ? positiveWide : positiveNarrow;
      draws[0][i] = all.fromLogits(logitRows[i]);
      draws[1][i] = topK.fromLogits(logitRows[i]);
      draws[2][i] = probabilities.fromProbabilities(probabilityRows[i]);
    }
    assertArrayEquals(referenceDraws(logitRows, false, 0.9f, 0, 5), draws[0], "all candidates, logits");
    assertArrayEquals(referenceDraws(logitRows, false, 1.3f, 50, 6), draws[1], "top 50, logits");
    assertArrayEquals(referenceDraws(probabilityRows, true, 0.7f, 0, 7), draws[2], "all candidates, probabilities");
    assertArrayEquals(wideBefore, wide, "the row is not written");
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

  /**
   * The draws of a sampler seeded with {@code seed} from {@code rows} in turn, computed plainly
   * (see {@link #referenceDraw}) with one generator for all the rows.
   */
  private static int[] referenceDraws(float[][] rows, boolean probabilities, float temperature, int topK, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] draws = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      draws[i] = referenceDraw(rows[i], probabilities, temperature, topK, random);
    }
    return draws;
  }

  /**
   * One draw, computed plainly: the ids sorted as boxed Integers by value, largest first, then by
   * lower id (+ 0f makes -0 tie with 0); the first {@code topK} kept (all for 0); each weighted
   * relative to the largest value, {@code exp((v - max) / T)} for logits or {@code (v / max)^(1/T)}
   * for probabilities; then {@code nextDouble() * total} walked down the weights in rank order,
   * the most likely id if rounding walks past the end. Temperature 0, or a row whose largest value
   * is -infinity, gives the most likely id without using the generator.
   */
  private static int referenceDraw(float[] row, boolean probabilities, float temperature, int topK,
      SplittableRandom random) {
    Integer[] ids = new Integer[row.length];
    for (int id = 0; id < row.length; id++) {
      ids[id] = id;
    }
    Arrays.sort(ids, (a, b) -> {
      int byValue = Float.compare(row[b] + 0f, row[a] + 0f); // descending
      return byValue != 0 ? byValue : Integer.compare(a, b);
    });
    int candidates = topK == 0 ? row.length : Math.min(topK, row.length);
    float max = row[ids[0]];
    if (temperature == 0 || max == Float.NEGATIVE_INFINITY) {
      return ids[0];
    }
    double[] weights = new double[candidates];
    double total = 0;
    for (int i = 0; i < candidates; i++) {
      float value = row[ids[i]];
      weights[i] = probabilities ? Math.pow((double) value / max, 1.0 / temperature) : Math.exp((value - max) / temperature);
      total += weights[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < candidates; i++) {
      u -= weights[i];
      if (u < 0) {
        return ids[i];
      }
    }
    return ids[0];
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
    assertTrue(p > 0.001, "p = " + p + " for counts " + Arrays.toString(counts));
  }

  private static float[] toFloats(double[] values) {
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = (float) values[i];
    }
    return floats;
  }
}
