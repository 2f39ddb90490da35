package dev.graft.runtime.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws the next token from a model's output row, for text generation. The row is either
 * probabilities (a softmax output) or logits; the sampler sharpens or flattens it with a
 * temperature ({@code p^(1/T)}, renormalized, or equivalently {@code softmax(logits / T)}),
 * optionally keeps only the {@code topK} most likely tokens, and draws with its own seeded
 * generator: the same seed and the same rows give the same tokens. Temperature 0 always picks
 * the most likely token (the lowest id among ties).
 *
 * <p>A sampler is not thread-safe: its generator advances with every draw.
 */
public final class Sampler {
  private final float temperature;
  private final int topK;
  private final SplittableRandom random;

  /** A token and its probability, as {@link #top} returns them. */
  public record Candidate(int id, String token, float probability) {}

  /**
   * @param temperature 1 draws from the row as is; below 1 favours likely tokens, above 1
   *     flattens; 0 is greedy
   * @param topK draw only among the {@code topK} most likely tokens; 0 for all
   * @param seed the generator's seed
   * @throws IllegalArgumentException if {@code temperature} is negative or not finite, or
   *     {@code topK} is negative
   */
  public Sampler(float temperature, int topK, long seed) {
    if (!(temperature >= 0) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and non-negative, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be 0 (all tokens) or positive, got " + topK);
    }
    this.temperature = temperature;
    this.topK = topK;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Draws a token id from a row of probabilities (non-negative, not all zero; they need not sum
   * to exactly 1).
   */
  public int fromProbabilities(float[] probabilities) {
    checkProbabilities(probabilities);
    return draw(probabilities, true);
  }

  /** Draws a token id from a row of logits (finite, or -infinity for an excluded token). */
  public int fromLogits(float[] logits) {
    for (int i = 0; i < logits.length; i++) {
      if (Float.isNaN(logits[i]) || logits[i] == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("logit " + i + " is " + logits[i]);
      }
    }
    return draw(logits, false);
  }

  private int draw(float[] row, boolean probabilities) {
    int[] candidates = best(row, topK == 0 ? row.length : Math.min(topK, row.length));
    float max = row[candidates[0]];
    if (temperature == 0 || max == Float.NEGATIVE_INFINITY) {
      return candidates[0];
    }
    // Weights relative to the most likely candidate, so that nothing overflows.
    double[] weights = new double[candidates.length];
    double total = 0;
    for (int i = 0; i < candidates.length; i++) {
      float value = row[candidates[i]];
      weights[i] = probabilities ? Math.pow((double) value / max, 1.0 / temperature) : Math.exp((value - max) / temperature);
      total += weights[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < candidates.length; i++) {
      u -= weights[i];
      if (u < 0) {
        return candidates[i];
      }
    }
    return candidates[0]; // only reached through rounding; the first candidate is the most likely
  }

  /**
   * The {@code k} most likely tokens of a row of probabilities, most likely first (ties by
   * lower id), with their tokens from {@code vocabulary}.
   *
   * @throws IllegalArgumentException if the row is not as long as the vocabulary, holds a
   *     negative or NaN value, or {@code k} is not positive
   */
  public static List<Candidate> top(float[] probabilities, int k, Vocabulary vocabulary) {
    if (probabilities.length != vocabulary.size()) {
      throw new IllegalArgumentException("the row has " + probabilities.length + " probabilities for a vocabulary of "
          + vocabulary.size() + " tokens");
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be positive, got " + k);
    }
    checkProbabilities(probabilities);
    List<Candidate> top = new ArrayList<>();
    for (int id : best(probabilities, Math.min(k, probabilities.length))) {
      top.add(new Candidate(id, vocabulary.token(id), probabilities[id]));
    }
    return Collections.unmodifiableList(top);
  }

  /** The indices of the {@code k} largest values (no NaN), largest first, ties by lower index. */
  private static int[] best(float[] row, int k) {
    if (row.length == 0) {
      throw new IllegalArgumentException("the row is empty");
    }
    float[] sorted = row.clone();
    Arrays.sort(sorted);
    float threshold = sorted[row.length - k];
    Integer[] chosen = new Integer[k];
    int count = 0;
    for (int i = 0; i < row.length && count < k; i++) {
      if (row[i] > threshold) {
        chosen[count++] = i;
      }
    }
    for (int i = 0; i < row.length && count < k; i++) {
      if (row[i] == threshold) {
        chosen[count++] = i;
      }
    }
    Arrays.sort(chosen, (a, b) -> row[a] != row[b] ? Float.compare(row[b], row[a]) : Integer.compare(a, b));
    int[] indices = new int[k];
    for (int i = 0; i < k; i++) {
      indices[i] = chosen[i];
    }
    return indices;
  }

  private static void checkProbabilities(float[] probabilities) {
    double sum = 0;
    for (int i = 0; i < probabilities.length; i++) {
      if (!(probabilities[i] >= 0) || Float.isInfinite(probabilities[i])) {
        throw new IllegalArgumentException("probability " + i + " is " + probabilities[i]);
      }
      sum += probabilities[i];
    }
    if (!(sum > 0)) {
      throw new IllegalArgumentException("the probabilities are all zero");
    }
  }
}
