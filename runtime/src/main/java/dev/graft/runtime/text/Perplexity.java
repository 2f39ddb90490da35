package dev.graft.runtime.text;

/**
 * Accumulates a language model's loss over an epoch and reports its perplexity,
 * {@code exp(total nats / tokens)}: add the mean cross-entropy (in nats per token) of each batch
 * with its number of tokens.
 *
 * <pre>{@code
 * Perplexity perplexity = new Perplexity();
 * for (BatchedStream.Window w : stream) {
 *   perplexity.add(trainer.step(w.inputs(), w.targets()), batch * steps);
 * }
 * System.out.println(perplexity.value());
 * }</pre>
 */
public final class Perplexity {
  private double nats;
  private long tokens;

  /** {@code exp(meanNats)}: the perplexity of a mean cross-entropy in nats per token. */
  public static double of(double meanNats) {
    return Math.exp(meanNats);
  }

  /**
   * Adds a batch of {@code tokens} tokens whose mean cross-entropy is {@code meanNats}.
   *
   * @throws IllegalArgumentException if {@code meanNats} is negative or not finite, or
   *     {@code tokens} is not positive
   */
  public void add(double meanNats, long tokens) {
    if (!(meanNats >= 0) || Double.isInfinite(meanNats) || tokens < 1) {
      throw new IllegalArgumentException("expected a finite, non-negative mean loss over a positive number of "
          + "tokens, got " + meanNats + " over " + tokens);
    }
    this.nats += meanNats * tokens;
    this.tokens += tokens;
  }

  /** The mean cross-entropy so far, in nats per token. */
  public double meanNats() {
    if (tokens == 0) {
      throw new IllegalStateException("no tokens were added");
    }
    return nats / tokens;
  }

  /** The perplexity so far: {@code exp(meanNats())}. */
  public double value() {
    return of(meanNats());
  }

  /** The number of tokens added. */
  public long tokens() {
    return tokens;
  }

  /** Forgets everything added, for the next epoch. */
  public void reset() {
    nats = 0;
    tokens = 0;
  }
}
