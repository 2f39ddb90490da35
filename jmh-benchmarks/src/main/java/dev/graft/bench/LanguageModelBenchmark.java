package dev.graft.bench;

import dev.graft.examples.lm.Cell;
import dev.graft.examples.lm.LanguageModel;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
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
 * The PTB small configuration of the language model {@code ./graft train} trains (the examples'
 * two-layer LSTM at vocab 10000, hidden 200): one training step on a batch of 20 sequences of 20
 * words (400 words: words per second = 400 / the step time) as the PTB tutorial trains it (SGD,
 * gradients clipped to global norm 5, no dropout, the final state computed in the same pass for
 * the next batch); and one generation step at batch 1 (the next-word logits and the next state
 * for one word).
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

  private LanguageModel model;
  private Trainer trainer;
  private NDArray[] trainInputs;
  private NDArray[] intoA;
  private NDArray[] intoB;
  private NDArray[] inputsA;
  private NDArray[] inputsB;
  private boolean flip;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    int[] stream = new int[STEPS * BATCH + BATCH];
    for (int i = 0; i < stream.length; i++) stream[i] = random.nextInt(VOCAB);
    int[] x = new int[STEPS * BATCH];
    int[] y = new int[STEPS * BATCH];
    System.arraycopy(stream, 0, x, 0, x.length);
    System.arraycopy(stream, BATCH, y, 0, y.length);
    model = LanguageModel.open(Cell.LSTM, 2, VOCAB, HIDDEN, threads);
    model.initialize(42, 0.1f);
    trainer = model.trainer(Optimizers.sgd(1f)).clipGlobalNorm(5);
    NDArray ones = model.ones(STEPS, BATCH);
    trainInputs = new NDArray[] {NDArray.ofInts(x, STEPS, BATCH), NDArray.ofInts(y, STEPS, BATCH), model.zeroState(BATCH),
        ones, ones, ones};
    NDArray word = NDArray.ofInts(new int[] {17}, 1, 1);
    NDArray stateA = model.zeroState(1);
    NDArray stateB = model.zeroState(1);
    intoA = new NDArray[] {NDArray.zeros(1, VOCAB), stateB};
    intoB = new NDArray[] {NDArray.zeros(1, VOCAB), stateA};
    inputsA = new NDArray[] {word, stateA};
    inputsB = new NDArray[] {word, stateB};
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
  }

  /** Forward, BPTT, clipping and the SGD update for 400 words, with the next state; returns the loss. */
  @Benchmark
  public float trainStep() {
    return trainer.step(trainInputs);
  }

  /**
   * One generated word at batch 1: the next-word logits and the next state, in one pass, into
   * reused arrays (the state alternates between two, as a generator's does).
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public NDArray[] generationStep() {
    NDArray[] into = flip ? intoB : intoA;
    NDArray[] inputs = flip ? inputsB : inputsA;
    flip = !flip;
    return model.nextInto(into, inputs);
  }
}
