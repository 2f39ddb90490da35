package dev.graft.examples.lm;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.ModelSpec;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizer;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.util.Arrays;

/**
 * A recurrent language model opened on the CPU: one of the compiled {@link Cell} models with
 * its vocabulary size and width bound, and the calls a training loop and a generator make.
 * Ids are time-major ([time, batch]); the recurrent state is one packed FLOAT32 array
 * [layers * statesPerLayer, batch, hidden].
 *
 * <p>The model's entries: {@code loss(ids, targets, initial, keepInput, keepBetween, keepOutput)}
 * returning {loss, final state} and {@code next(ids, initial)} returning {the next token's
 * logits, final state}, each in one pass.
 */
public final class LanguageModel implements AutoCloseable {
  static final String LOSS = "loss";
  static final String NEXT = "next";

  private final Session session;
  private final Cell cell;
  private final int layers;
  private final int vocab;
  private final int hidden;
  private final int lossEntry;
  private final int nextEntry;

  private LanguageModel(Session session, Cell cell, int layers, int vocab, int hidden) {
    this.session = session;
    this.cell = cell;
    this.layers = layers;
    this.vocab = vocab;
    this.hidden = hidden;
    this.lossEntry = entry(LOSS);
    this.nextEntry = entry(NEXT);
  }

  /**
   * Opens the model of {@code cell} for a vocabulary of {@code vocab} tokens and width
   * {@code hidden}; its variables have no value until {@link #initialize} or a restore.
   */
  public static LanguageModel open(Cell cell, int layers, int vocab, int hidden, int threads) {
    if (!TrainOptions.SUPPORTED_LAYERS.contains(layers)) {
      throw new IllegalArgumentException("the compiled models have " + TrainOptions.SUPPORTED_LAYERS
          + " layers, not " + layers);
    }
    Session session = Session.open(cell.model(), Device.cpu(threads), Dims.of("vocab", vocab, "hidden", hidden));
    return new LanguageModel(session, cell, layers, vocab, hidden);
  }

  private int entry(String name) {
    var entries = session.spec().entries();
    for (int e = 0; e < entries.size(); e++) {
      if (entries.get(e).name().equals(name)) return e;
    }
    throw new IllegalStateException("model " + session.spec().name() + " has no entry " + name);
  }

  /**
   * Initializes the variables from {@code seed}: weights uniform in [-initScale, initScale)
   * (the models declare ±0.1 and are rescaled here), biases 0.
   */
  public void initialize(long seed, float initScale) {
    session.initialize(seed);
    if (initScale != 0.1f) {
      float factor = initScale / 0.1f;
      for (ModelSpec.VariableSpec v : session.spec().variables()) {
        NDArray value = session.variable(v.name());
        float[] data = value.toFloatArray();
        for (int i = 0; i < data.length; i++) data[i] *= factor;
        session.assign(v.name(), NDArray.of(data, value.shape()));
      }
    }
  }

  /** The state rows: layers times states per layer. */
  public int stateRows() {
    return layers * cell.statesPerLayer();
  }

  /** The initial state of a batch: zeros [stateRows, batch, hidden]. */
  public NDArray zeroState(int batch) {
    return NDArray.zeros(stateRows(), batch, hidden);
  }

  /** Ones [time, batch, hidden]: the dropout masks that keep everything. */
  public NDArray ones(int time, int batch) {
    float[] ones = new float[time * batch * hidden];
    Arrays.fill(ones, 1f);
    return NDArray.of(ones, time, batch, hidden);
  }

  /**
   * A trainer of the loss; its inputs are those of {@link #lossAndState}, and after each step
   * {@code output(1)} is the state after the window (the trainer's array: copy it before the
   * next step, for which it is an input).
   */
  public Trainer trainer(Optimizer optimizer) {
    return session.trainer(lossEntry, optimizer);
  }

  /** {the mean cross-entropy in nats per token (a scalar), the packed state after {@code ids}}, without updating anything. */
  public NDArray[] lossAndState(NDArray ids, NDArray targets, NDArray state, NDArray keepInput, NDArray keepBetween,
      NDArray keepOutput) {
    return session.runAll(lossEntry, ids, targets, state, keepInput, keepBetween, keepOutput);
  }

  /** {the logits [batch, vocab] of the token that follows {@code ids}, the packed state after them}. */
  public NDArray[] next(NDArray ids, NDArray state) {
    return session.runAll(nextEntry, ids, state);
  }

  /**
   * {@link #next} into {@code into} = {logits, state} (overwritten; the state array must not be
   * {@code state}): one generation step without allocating, given a reused {@code inputs} array
   * {ids, state}.
   */
  public NDArray[] nextInto(NDArray[] into, NDArray[] inputs) {
    return session.runAllInto(nextEntry, into, inputs);
  }

  public Session session() {
    return session;
  }

  public Cell cell() {
    return cell;
  }

  public int layers() {
    return layers;
  }

  public int vocab() {
    return vocab;
  }

  public int hidden() {
    return hidden;
  }

  /** The number of trainable parameters. */
  public long parameters() {
    long n = 0;
    for (ModelSpec.VariableSpec v : session.spec().variables()) {
      n += session.variable(v.name()).size();
    }
    return n;
  }

  @Override
  public void close() {
    session.close();
  }

  /** [rows, cols] row-major as [cols, rows]: BatchedStream's [batch, steps] windows as time-major ids. */
  static NDArray timeMajor(NDArray batchMajor) {
    int rows = batchMajor.dim(0);
    int cols = batchMajor.dim(1);
    int[] in = batchMajor.toIntArray();
    int[] out = new int[in.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) out[c * rows + r] = in[r * cols + c];
    }
    return NDArray.ofInts(out, cols, rows);
  }
}
