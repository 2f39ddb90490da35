package dev.graft.bench;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The PTB small configuration ({@link PtbLstm} with vocab 10000, hidden 200): one training step
 * on a batch of 20 sequences of 20 words (400 words: words per second = 400 / the step time),
 * as the PTB tutorial trains it (SGD, gradients clipped to global norm 5, the final state carried
 * to the next batch by running {@code finalState}); and one generation step at batch 1 (the
 * next-word logits and the next state for one word).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LanguageModelBenchmark {
  static final int VOCAB = 10000;
  static final int HIDDEN = 200;
  static final int BATCH = 20;
  static final int STEPS = 20;

  @Param({"1", "2"})
  int threads;

  private Session session;
  private Trainer trainer;
  private NDArray ids;
  private NDArray targets;
  private NDArray state;
  private NDArray word;
  private NDArray wordState;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    int[] stream = new int[STEPS * BATCH + BATCH];
    for (int i = 0; i < stream.length; i++) stream[i] = random.nextInt(VOCAB);
    int[] x = new int[STEPS * BATCH];
    int[] y = new int[STEPS * BATCH];
    System.arraycopy(stream, 0, x, 0, x.length);
    System.arraycopy(stream, BATCH, y, 0, y.length);
    ids = NDArray.ofInts(x, STEPS, BATCH);
    targets = NDArray.ofInts(y, STEPS, BATCH);
    state = NDArray.of(new float[4 * BATCH * HIDDEN], 4, BATCH, HIDDEN);
    word = NDArray.ofInts(new int[] {17}, 1, 1);
    wordState = NDArray.of(new float[4 * HIDDEN], 4, 1, HIDDEN);
    session = Session.open(PtbLstm.class, Device.cpu(threads), Dims.of("vocab", VOCAB, "hidden", HIDDEN));
    session.initialize(42);
    trainer = session.trainer("cost", Optimizers.sgd(1f)).clipGlobalNorm(5);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    session.close();
  }

  /** Forward, BPTT, clipping and the SGD update for 400 words; returns the loss. */
  @Benchmark
  public float trainStep() {
    return trainer.step(ids, targets, state);
  }

  /** A training step as truncated BPTT runs it: the step, then the state for the next batch. */
  @Benchmark
  public NDArray trainStepCarryingState() {
    trainer.step(ids, targets, state);
    return session.run(1, ids, state);
  }

  /** One generated word at batch 1: the next-word logits and the next state. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public NDArray generationStep() {
    session.run(1, word, wordState);
    return session.run(2, word, wordState);
  }
}
