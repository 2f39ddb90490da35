package dev.graft.examples.lm;

import dev.graft.examples.Main.UsageException;
import java.nio.file.Path;
import java.util.Set;

/**
 * What {@code graft train} trains and how. The defaults are the {@code small} preset of
 * TensorFlow's PTB tutorial on word level; {@code --config small|medium} selects a preset, and
 * explicit options override it wherever they appear on the line.
 *
 * @param corpus the training text; {@code null} for the built-in corpus (the project's own
 *     documentation)
 * @param valid the validation text; {@code null} to hold out the last 10% of the corpus
 * @param test the test text, or {@code null}
 * @param clip the global gradient norm to clip to; 0 for no clipping
 * @param decayAfter the number of epochs at the full learning rate before it decays
 * @param decay the factor applied to the learning rate at each later epoch (1 for none)
 * @param dropout the probability of dropping a non-recurrent activation, in [0, 1)
 * @param initScale every weight starts uniform in [-initScale, initScale)
 * @param maxMinutes stop after the step that passes this many minutes; 0 for no limit
 * @param save the model directory to write, or {@code null}
 * @param metrics the file to append one JSON object per evaluation to, or {@code null}
 */
public record TrainOptions(Path corpus, Path valid, Path test, Level level, Cell cell, int layers, int hidden,
    int steps, int batch, int epochs, float learningRate, Optimizer optimizer, float clip, int decayAfter,
    float decay, float dropout, float initScale, int threads, long seed, Path save, double maxMinutes,
    Path metrics) {

  /** Word or character tokens. */
  public enum Level { WORD, CHAR }

  /** The optimizers {@code --optimizer} offers. */
  public enum Optimizer { SGD, ADAM }

  /** The layer counts the compiled models have. */
  public static final Set<Integer> SUPPORTED_LAYERS = Set.of(2);

  static final Set<String> OPTIONS = Set.of("--config", "--corpus", "--valid", "--test", "--level", "--cell",
      "--layers", "--hidden", "--steps", "--batch", "--epochs", "--lr", "--optimizer", "--clip", "--decay-after",
      "--decay", "--dropout", "--init-scale", "--threads", "--seed", "--save", "--max-minutes", "--metrics");

  /** TensorFlow's PTB "small" configuration (word level, no dropout). */
  public static final TrainOptions SMALL = new TrainOptions(null, null, null, Level.WORD, Cell.LSTM, 2, 200, 20, 20,
      13, 1.0f, Optimizer.SGD, 5f, 4, 0.5f, 0f, 0.1f, defaultThreads(), 42, null, 0, null);

  /** TensorFlow's PTB "medium" configuration (dropout 0.5). */
  public static final TrainOptions MEDIUM = new TrainOptions(null, null, null, Level.WORD, Cell.LSTM, 2, 650, 35, 20,
      39, 1.0f, Optimizer.SGD, 5f, 6, 0.8f, 0.5f, 0.05f, defaultThreads(), 42, null, 0, null);

  /**
   * {@code graft demo}: a small character model on the built-in corpus for about a minute, with
   * Adam, which learns much faster than plain SGD in so short a time.
   */
  public static final TrainOptions DEMO = new TrainOptions(null, null, null, Level.CHAR, Cell.LSTM, 2, 128, 50, 16,
      30, 0.004f, Optimizer.ADAM, 5f, 1000, 1f, 0f, 0.1f, defaultThreads(), 42, null, 1, null);

  static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** The training sequences are {@code steps} tokens long; this is the number of tokens per window. */
  public int tokensPerWindow() {
    return steps * batch;
  }

  /** Parses the options of {@code graft train}. */
  public static TrainOptions parse(String[] args) {
    return parse("train", args, SMALL);
  }

  /**
   * Parses options over {@code defaults} (replaced by a preset when {@code --config} is given).
   *
   * @throws UsageException naming the option and the bad value
   */
  public static TrainOptions parse(String command, String[] args, TrainOptions defaults) {
    Args a = new Args(command, args, OPTIONS);
    TrainOptions d = switch (a.choice("--config", "", "small", "medium")) {
      case "small" -> SMALL;
      case "medium" -> MEDIUM;
      default -> defaults;
    };
    int layers = a.positiveInt("--layers", d.layers());
    if (!SUPPORTED_LAYERS.contains(layers)) {
      throw a.error("--layers " + layers + " is not supported: the compiled models have " + SUPPORTED_LAYERS
          + " layers (a recurrence's layer count is fixed when the model compiles)");
    }
    return new TrainOptions(
        a.path("--corpus", d.corpus()),
        a.path("--valid", d.valid()),
        a.path("--test", d.test()),
        Level.valueOf(a.choice("--level", d.level().name().toLowerCase(java.util.Locale.ROOT), "word", "char")
            .toUpperCase(java.util.Locale.ROOT)),
        Cell.parse(a.choice("--cell", d.cell().id(), "lstm", "gru", "rnn")),
        layers,
        a.positiveInt("--hidden", d.hidden()),
        a.positiveInt("--steps", d.steps()),
        a.positiveInt("--batch", d.batch()),
        a.positiveInt("--epochs", d.epochs()),
        a.positiveFloat("--lr", d.learningRate()),
        Optimizer.valueOf(a.choice("--optimizer", d.optimizer().name().toLowerCase(java.util.Locale.ROOT), "sgd",
            "adam").toUpperCase(java.util.Locale.ROOT)),
        a.floatIn("--clip", d.clip(), 0, true, Float.POSITIVE_INFINITY, false, "a non-negative number (0: no clipping)"),
        a.intAtLeast("--decay-after", d.decayAfter(), 0, "a non-negative integer"),
        a.floatIn("--decay", d.decay(), 0, false, 1, true, "a number in (0, 1]"),
        a.floatIn("--dropout", d.dropout(), 0, true, 1, false, "a probability in [0, 1)"),
        a.positiveFloat("--init-scale", d.initScale()),
        a.positiveInt("--threads", d.threads()),
        a.longValue("--seed", d.seed()),
        a.path("--save", d.save()),
        a.floatIn("--max-minutes", (float) d.maxMinutes(), 0, true, Float.POSITIVE_INFINITY, false,
            "a non-negative number of minutes (0: no limit)"),
        a.path("--metrics", d.metrics()));
  }
}
