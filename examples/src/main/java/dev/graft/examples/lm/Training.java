package dev.graft.examples.lm;

import dev.graft.examples.lm.TrainOptions.Level;
import dev.graft.runtime.LearningRate;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizer;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Trainer;
import dev.graft.runtime.text.BatchedStream;
import dev.graft.runtime.text.Perplexity;
import dev.graft.runtime.text.Vocabulary;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code graft train}: stateful truncated BPTT over a corpus, as TensorFlow's PTB tutorial
 * trains: the corpus is cut into {@code batch} rows ({@link BatchedStream}), each step trains
 * on the next {@code steps} tokens of every row, and the final state of a window is the initial
 * state of the next, so no gradient crosses windows but the state does. The state is reset at
 * the start of each epoch and of each evaluation.
 *
 * <p>The final state comes from the same pass as the loss: the loss entry returns {loss, state}
 * and the trainer hands the state over ({@code trainer.output(1)}).
 */
public final class Training {
  /** How long between two updates of the progress line. */
  private static final long PROGRESS_NANOS = 250_000_000L;

  private final TrainOptions o;
  private final PrintStream out;
  private final String unit;
  private final long start = System.nanoTime();
  private final long deadline;
  private long trainNanos;
  private long trainTokens;
  private long steps;

  /** The outcome of a run; NaN for what was not measured. */
  public record Result(int epochs, long steps, double trainLoss, double validLoss, double testLoss,
      double tokensPerSecond, boolean stoppedByTimeLimit) {}

  /** A corpus split for training, with its vocabulary. */
  public record Data(Vocabulary vocabulary, int[] train, int[] valid, int[] test) {}

  private Training(TrainOptions o, PrintStream out) {
    this.o = o;
    this.out = out;
    this.unit = o.level() == Level.CHAR ? "chars" : "words";
    this.deadline = o.maxMinutes() > 0 ? start + (long) (o.maxMinutes() * 60e9) : Long.MAX_VALUE;
  }

  /** Reads the data, trains, evaluates and saves as {@code options} say. */
  public static Result run(TrainOptions options, PrintStream out) throws IOException {
    Data data = load(options, out);
    try (LanguageModel model = LanguageModel.open(options.cell(), options.layers(), data.vocabulary().size(),
        options.hidden(), options.threads())) {
      model.initialize(options.seed(), options.initScale());
      return train(options, out, model, data);
    }
  }

  /** Trains an initialized {@code model} on {@code data}, evaluates and saves as {@code options} say. */
  public static Result train(TrainOptions options, PrintStream out, LanguageModel model, Data data) throws IOException {
    return new Training(options, out).train(model, data);
  }

  /** Reads the corpus (or the built-in one), builds the vocabulary and splits the ids. */
  public static Data load(TrainOptions o, PrintStream out) throws IOException {
    Vocabulary vocabulary;
    int[] corpus;
    if (o.corpus() == null) {
      String text = DemoCorpus.text();
      out.printf("corpus: the project's own documentation (built in, %,d characters); --corpus FILE trains on a "
          + "file%n", text.length());
      vocabulary = o.level() == Level.CHAR ? Vocabulary.characters(text) : Vocabulary.words(text, 1, Integer.MAX_VALUE);
      corpus = vocabulary.encode(text);
    } else {
      vocabulary = o.level() == Level.CHAR ? Vocabulary.characters(o.corpus())
          : Vocabulary.words(o.corpus(), 1, Integer.MAX_VALUE);
      corpus = vocabulary.encode(o.corpus());
      out.printf("corpus: %s (%,d %s)%n", o.corpus(), corpus.length, o.level() == Level.CHAR ? "characters" : "words");
    }
    int[] train = corpus;
    int[] valid;
    if (o.valid() == null) {
      int cut = corpus.length - corpus.length / 10;
      train = Arrays.copyOf(corpus, cut);
      valid = Arrays.copyOfRange(corpus, cut, corpus.length);
      out.printf("no --valid: holding out the last 10%% of the corpus (%,d tokens) for validation%n", valid.length);
    } else {
      valid = vocabulary.encode(o.valid());
    }
    int[] test = o.test() == null ? null : vocabulary.encode(o.test());
    int minimum = o.batch() * (o.steps() + 1);
    if (train.length < minimum) {
      throw new IllegalArgumentException("the training text has " + train.length + " tokens, fewer than one window of "
          + "--batch " + o.batch() + " rows of --steps " + o.steps() + " + 1 tokens (" + minimum + ")");
    }
    return new Data(vocabulary, train, valid, test);
  }

  private Result train(LanguageModel model, Data data) throws IOException {
    Vocabulary vocabulary = data.vocabulary();
    BatchedStream stream = new BatchedStream(data.train(), o.batch(), o.steps());
    Optimizer optimizer = o.optimizer() == TrainOptions.Optimizer.ADAM ? Optimizers.adam(o.learningRate())
        : Optimizers.sgd(o.learningRate());
    Trainer trainer = model.trainer(optimizer);
    if (o.clip() > 0) trainer.clipGlobalNorm(o.clip());
    LearningRate schedule = LearningRate.stepDecay(o.learningRate(), o.decayAfter(), o.decay());
    out.printf("model: %s, %d layers, hidden %d, vocabulary %,d %s, %,d parameters, %d threads (%s)%n",
        o.cell().id(), o.layers(), o.hidden(), vocabulary.size(), o.level() == Level.CHAR ? "characters" : "words",
        model.parameters(), o.threads(), model.session().kernels().description());
    out.printf("training: %d epochs of %,d windows (batch %d x steps %d), %s lr %s%s, clip %s, dropout %s%s%n",
        o.epochs(), stream.windows(), o.batch(), o.steps(), o.optimizer().name().toLowerCase(Locale.ROOT),
        number(o.learningRate()), o.decay() < 1 ? " decaying x" + number(o.decay()) + " after epoch " + o.decayAfter() : "",
        o.clip() > 0 ? number(o.clip()) : "off", number(o.dropout()),
        o.maxMinutes() > 0 ? ", at most " + number((float) o.maxMinutes()) + " minutes" : "");

    Masks masks = new Masks(model, o.steps(), o.batch(), o.dropout(), o.seed());
    double trainLoss = Double.NaN;
    double validLoss = Double.NaN;
    boolean stopped = false;
    int epoch = 0;
    while (epoch < o.epochs() && !stopped) {
      float lr = schedule.at(epoch);
      optimizer.setLearningRate(lr);
      Perplexity perplexity = new Perplexity();
      NDArray state = model.zeroState(o.batch());
      long epochStart = System.nanoTime();
      long lastProgress = 0;
      for (BatchedStream.Window w : stream) {
        long t0 = System.nanoTime();
        NDArray ids = LanguageModel.timeMajor(w.inputs());
        NDArray targets = LanguageModel.timeMajor(w.targets());
        masks.next();
        float loss = trainer.step(ids, targets, state, masks.input, masks.between, masks.output);
        state = NDArray.of(trainer.output(1).toFloatArray(), state.shape()); // the next step overwrites output(1)
        perplexity.add(loss, o.tokensPerWindow());
        steps++;
        long t1 = System.nanoTime();
        trainNanos += t1 - t0;
        trainTokens += o.tokensPerWindow();
        if (t1 >= deadline) {
          stopped = true;
          break;
        }
        if (t1 - lastProgress > PROGRESS_NANOS) {
          lastProgress = t1;
          progress(epoch, w.index() + 1, stream.windows(), perplexity, t1 - epochStart);
        }
      }
      epoch++;
      trainLoss = perplexity.meanNats();
      clearLine();
      validLoss = evaluate(model, data.valid(), "validation");
      clearLine();
      out.printf("epoch %d/%d%s: train perplexity %.2f, valid perplexity %.2f (lr %s, %s, %,.0f %s/s)%n", epoch,
          o.epochs(), stopped ? " (stopped by --max-minutes after " + percent(stream, steps, epoch) + ")" : "",
          Perplexity.of(trainLoss), Perplexity.of(validLoss), number(lr), duration(System.nanoTime() - start),
          tokensPerSecond(), unit);
      Map<String, Object> metrics = metrics(epoch);
      metrics.put("train_loss", trainLoss);
      metrics.put("train_perplexity", Perplexity.of(trainLoss));
      metrics.put("valid_loss", validLoss);
      metrics.put("valid_perplexity", Perplexity.of(validLoss));
      metrics.put("learning_rate", Double.parseDouble(Float.toString(lr)));
      appendMetrics(metrics);
      save(model, vocabulary, epoch, validLoss);
    }
    double testLoss = Double.NaN;
    if (data.test() != null) {
      testLoss = evaluate(model, data.test(), "test");
      clearLine();
      out.printf("test perplexity %.2f%n", Perplexity.of(testLoss));
      Map<String, Object> metrics = metrics(epoch);
      metrics.put("test_loss", testLoss);
      metrics.put("test_perplexity", Perplexity.of(testLoss));
      appendMetrics(metrics);
    }
    if (o.save() != null) out.printf("saved to %s%n", o.save());
    return new Result(epoch, steps, trainLoss, validLoss, testLoss, tokensPerSecond(), stopped);
  }

  /**
   * The mean loss in nats per token over {@code ids}, with the state carried from window to
   * window and no dropout; rows and steps shrink for a text too short for the training shape.
   */
  double evaluate(LanguageModel model, int[] ids, String set) {
    int stepsPerRow = Math.max(1, Math.min(o.steps(), ids.length / 2 - 1));
    int batch = Math.max(1, Math.min(o.batch(), ids.length / (stepsPerRow + 1)));
    if (ids.length < batch * (stepsPerRow + 1)) {
      throw new IllegalArgumentException("the " + set + " text is too short (" + ids.length + " tokens)");
    }
    BatchedStream stream = new BatchedStream(ids, batch, stepsPerRow);
    NDArray ones = model.ones(stepsPerRow, batch);
    NDArray state = model.zeroState(batch);
    Perplexity perplexity = new Perplexity();
    long last = System.nanoTime();
    for (BatchedStream.Window w : stream) {
      NDArray in = LanguageModel.timeMajor(w.inputs());
      NDArray targets = LanguageModel.timeMajor(w.targets());
      NDArray[] lossAndState = model.lossAndState(in, targets, state, ones, ones, ones);
      perplexity.add(lossAndState[0].floatValue(), (long) batch * stepsPerRow);
      state = lossAndState[1];
      if (System.nanoTime() - last > PROGRESS_NANOS) {
        last = System.nanoTime();
        out.printf("\revaluating on the %s text %.0f%%   ", set, 100.0 * (w.index() + 1) / stream.windows());
      }
    }
    return perplexity.meanNats();
  }

  private void progress(int epoch, int window, int windows, Perplexity perplexity, long epochNanos) {
    double rate = tokensPerSecond();
    long remainingWindows = (long) (windows - window) + (long) (o.epochs() - epoch - 1) * windows;
    double left = rate > 0 ? remainingWindows * o.tokensPerWindow() / rate : Double.NaN;
    if (deadline != Long.MAX_VALUE) left = Math.min(left, (deadline - System.nanoTime()) / 1e9);
    String line = String.format(Locale.ROOT, "epoch %d/%d %5.1f%%  loss %.3f  perplexity %.2f  %,.0f %s/s  %s left",
        epoch + 1, o.epochs(), 100.0 * window / windows, perplexity.meanNats(), perplexity.value(), rate, unit,
        duration((long) (left * 1e9)));
    out.print("\r" + line + "   ");
    out.flush();
  }

  private void clearLine() {
    out.print("\r" + " ".repeat(100) + "\r");
  }

  private String percent(BatchedStream stream, long steps, int epoch) {
    long inEpoch = steps - (long) (epoch - 1) * stream.windows();
    return String.format(Locale.ROOT, "%.1f%% of it", 100.0 * inEpoch / stream.windows());
  }

  private double tokensPerSecond() {
    return trainNanos == 0 ? 0 : trainTokens / (trainNanos / 1e9);
  }

  private Map<String, Object> metrics(int epoch) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epoch", epoch);
    m.put("step", steps);
    m.put("seconds", (System.nanoTime() - start) / 1e9);
    m.put("words_per_second", tokensPerSecond());
    return m;
  }

  private void appendMetrics(Map<String, Object> metrics) throws IOException {
    if (o.metrics() == null) return;
    Path parent = o.metrics().toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    Files.writeString(o.metrics(), json(metrics) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** A flat JSON object of numbers; NaN and infinities become null. */
  static String json(Map<String, Object> values) {
    StringBuilder s = new StringBuilder("{");
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (s.length() > 1) s.append(", ");
      s.append('"').append(e.getKey()).append("\": ");
      Object v = e.getValue();
      if (v instanceof Double d && !Double.isFinite(d)) s.append("null");
      else s.append(v);
    }
    return s.append('}').toString();
  }

  private void save(LanguageModel model, Vocabulary vocabulary, int epoch, double validLoss) throws IOException {
    if (o.save() == null) return;
    Map<String, String> info = new LinkedHashMap<>();
    info.put("trained_epochs", Integer.toString(epoch));
    info.put("trained_steps", Long.toString(steps));
    info.put("valid_perplexity", String.format(Locale.ROOT, "%.4f", Perplexity.of(validLoss)));
    info.put("corpus", o.corpus() == null ? "(built-in documentation)" : o.corpus().toString());
    info.put("steps", Integer.toString(o.steps()));
    info.put("batch", Integer.toString(o.batch()));
    SavedModel.save(o.save(), model, vocabulary, info);
  }

  static String number(float v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Float.toString(v);
  }

  static String duration(long nanos) {
    if (nanos < 0 || nanos > 365L * 24 * 3600 * 1_000_000_000L) return "?";
    long s = Math.round(nanos / 1e9);
    if (s < 60) return s + "s";
    if (s < 3600) return (s / 60) + "m" + String.format("%02d", s % 60) + "s";
    return (s / 3600) + "h" + String.format("%02d", s / 60 % 60) + "m";
  }

  /**
   * The dropout masks of a training step, [steps, batch, hidden] each: Bernoulli(1 - p) / (1 - p)
   * drawn afresh for every step into reused buffers, or ones (drawn never) when p = 0.
   */
  static final class Masks {
    private final float[][] buffers;
    private final int[] shape;
    private final float dropout;
    private final SplittableRandom random;
    NDArray input;
    NDArray between;
    NDArray output;

    Masks(LanguageModel model, int steps, int batch, float dropout, long seed) {
      this.dropout = dropout;
      this.shape = new int[] {steps, batch, model.hidden()};
      this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
      this.buffers = new float[3][steps * batch * model.hidden()];
      if (dropout == 0) {
        NDArray ones = model.ones(steps, batch);
        input = between = output = ones;
      }
    }

    void next() {
      if (dropout == 0) return;
      float keep = 1 - dropout;
      float scale = 1 / keep;
      for (float[] b : buffers) {
        for (int i = 0; i < b.length; i++) b[i] = random.nextDouble() < keep ? scale : 0f;
      }
      input = NDArray.of(buffers[0], shape);
      between = NDArray.of(buffers[1], shape);
      output = NDArray.of(buffers[2], shape);
    }
  }
}
