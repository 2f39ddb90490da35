package dev.graft.examples.lm;

import dev.graft.examples.Main.UsageException;
import dev.graft.runtime.text.Sampler;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** The language-model commands of {@code graft}: train, demo, generate and next. */
public final class Commands {
  private Commands() {}

  /** The usage lines of these commands, for {@code graft help}. */
  public static final String USAGE = String.join("\n",
      "  train [options]          trains a recurrent language model (stateful truncated BPTT)",
      "      --config small|medium  TensorFlow's PTB presets (default: small's values); options override",
      "      --corpus FILE        UTF-8 training text (default: the built-in documentation, demo settings)",
      "      --valid FILE         validation text (default: the last 10% of the corpus, held out)",
      "      --test FILE          test text, evaluated at the end",
      "      --level word|char    tokens (default word; char with the built-in corpus)",
      "      --cell lstm|gru|rnn  recurrent cell (default lstm)",
      "      --layers N           layers (supported: 2)",
      "      --hidden H           embedding and state width (small 200, medium 650)",
      "      --steps T            tokens per row per step, the BPTT length (small 20, medium 35)",
      "      --batch B            rows per step (20)",
      "      --epochs E           passes over the corpus (small 13, medium 39)",
      "      --lr LR              learning rate (1.0)",
      "      --optimizer sgd|adam (sgd)",
      "      --clip C             clip gradients to global norm C; 0 turns it off (5)",
      "      --decay-after N      epochs at the full learning rate (small 4, medium 6)",
      "      --decay F            learning-rate factor per later epoch (small 0.5, medium 0.8)",
      "      --dropout P          dropout on non-recurrent connections (small 0, medium 0.5)",
      "      --init-scale S       weights start uniform in [-S, S) (small 0.1, medium 0.05)",
      "      --threads N          worker threads (default: all processors)",
      "      --seed S             initialization and dropout seed (42)",
      "      --save DIR           write the model (weights, vocabulary, config) after each epoch",
      "      --max-minutes M      stop after the step in progress at M minutes, then evaluate and save",
      "      --metrics FILE       append one JSON object per evaluation",
      "  demo [train options]     about a minute of a character LSTM on the built-in documentation, then",
      "                           sample text from it",
      "  generate --model DIR [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]",
      "                           samples text from a saved model (length 200, temperature 1, top-k all)",
      "  next --model DIR --prompt TEXT [--top-k K]",
      "                           the most likely next tokens after the prompt, with probabilities (top-k 10)");

  /** {@code graft train}. */
  public static void train(String[] args, PrintStream out) {
    boolean builtIn = Arrays.stream(args).noneMatch(a -> a.equals("--corpus") || a.startsWith("--corpus="));
    TrainOptions options = TrainOptions.parse("train", args, builtIn ? TrainOptions.DEMO : TrainOptions.SMALL);
    try {
      Training.run(options, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code graft demo}: trains on the built-in corpus, then generates. */
  public static void demo(String[] args, PrintStream out, PrintStream err) {
    TrainOptions options = TrainOptions.parse("demo", args, TrainOptions.DEMO);
    try {
      Training.Data data = Training.load(options, out);
      try (LanguageModel model = LanguageModel.open(options.cell(), options.layers(), data.vocabulary().size(),
          options.hidden(), options.threads())) {
        model.initialize(options.seed(), options.initScale());
        Training.train(options, out, model, data);
        out.println();
        out.println("sampled text (temperature 0.7):");
        out.println();
        String prompt = data.vocabulary().level() == dev.graft.runtime.text.Vocabulary.Level.CHARACTERS ? "Graft " : "";
        Generation.generate(model, data.vocabulary(), prompt, 400, new Sampler(0.7f, 0, options.seed()), out, err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code graft generate}. */
  public static void generate(String[] args, PrintStream out, PrintStream err) {
    Args a = new Args("generate", args, Set.of("--model", "--prompt", "--length", "--temperature", "--top-k", "--seed",
        "--threads"));
    Path dir = requiredModel(a);
    String prompt = a.string("--prompt", "");
    int length = a.intAtLeast("--length", 200, 0, "a non-negative integer");
    float temperature = a.floatIn("--temperature", 1f, 0, true, Float.POSITIVE_INFINITY, false,
        "a non-negative number (0: always the most likely token)");
    int topK = a.intAtLeast("--top-k", 0, 0, "a non-negative integer (0: all tokens)");
    long seed = a.longValue("--seed", System.nanoTime());
    int threads = a.positiveInt("--threads", 1);
    SavedModel.Loaded loaded = load(dir, threads);
    try (LanguageModel model = loaded.model()) {
      Generation.generate(model, loaded.vocabulary(), prompt, length, new Sampler(temperature, topK, seed), out, err);
    }
  }

  /** {@code graft next}. */
  public static void next(String[] args, PrintStream out, PrintStream err) {
    Args a = new Args("next", args, Set.of("--model", "--prompt", "--top-k", "--threads"));
    Path dir = requiredModel(a);
    if (!a.has("--prompt")) throw a.error("--prompt TEXT is required");
    String prompt = a.string("--prompt", "");
    int topK = a.positiveInt("--top-k", 10);
    int threads = a.positiveInt("--threads", 1);
    SavedModel.Loaded loaded = load(dir, threads);
    try (LanguageModel model = loaded.model()) {
      var vocabulary = loaded.vocabulary();
      Generation g = new Generation(model, Generation.encodePrompt(vocabulary, prompt, err));
      for (Sampler.Candidate c : Sampler.top(g.probabilities(), topK, vocabulary)) {
        out.printf("%.4f  %s%n", c.probability(), Generation.display(c.token()));
      }
    }
  }

  private static Path requiredModel(Args a) {
    if (!a.has("--model")) throw a.error("--model DIR is required (a directory written by ./graft train --save DIR)");
    return a.path("--model", null);
  }

  private static SavedModel.Loaded load(Path dir, int threads) {
    try {
      return SavedModel.load(dir, threads);
    } catch (IOException e) {
      throw new ModelException(e.getMessage(), e);
    }
  }

  /** A model directory that cannot be used: reported without a stack trace. */
  public static final class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ModelException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
