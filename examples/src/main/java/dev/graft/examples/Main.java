package dev.graft.examples;

import dev.graft.examples.lm.Commands;
import java.io.PrintStream;
import java.util.Arrays;

/** The {@code graft} command line: runs the examples. */
public final class Main {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  static final String USAGE_TEXT = String.join("\n",
      "usage: graft <command> [options]",
      "",
      "commands:",
      "  seed                     the lecture's a = (b + c) * (c + 2) graphs, compiled ahead of time",
      "  logreg [options]         softmax regression on the Iris flowers",
      "      --epochs N           gradient-descent steps over the whole data set (default 500)",
      "      --lr F               learning rate (default 0.5)",
      "      --seed S             variable initialization seed (default 42)",
      Commands.USAGE,
      "  help                     this text");

  private Main() {}

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != OK) System.exit(status);
  }

  /** Runs one command; returns the process exit status (2 for a usage error). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.println(USAGE_TEXT);
      return USAGE;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (args[0]) {
        case "help", "--help", "-h" -> out.println(USAGE_TEXT);
        case "seed" -> {
          if (rest.length > 0) throw new UsageException("seed takes no options, got '" + rest[0] + "'");
          SeedExamples.print(out);
        }
        case "logreg" -> LogisticRegressionExample.train(logregOptions(rest), out);
        case "train" -> Commands.train(rest, out);
        case "demo" -> Commands.demo(rest, out, err);
        case "generate" -> Commands.generate(rest, out, err);
        case "next" -> Commands.next(rest, out, err);
        default -> throw new UsageException("unknown command '" + args[0] + "'");
      }
      return OK;
    } catch (UsageException e) {
      err.println("graft: " + e.getMessage());
      err.println();
      err.println(USAGE_TEXT);
      return USAGE;
    } catch (Commands.ModelException e) {
      err.println("graft: " + args[0] + ": " + e.getMessage());
      return FAILED;
    } catch (java.io.UncheckedIOException e) {
      err.println("graft: " + args[0] + " failed: " + e.getCause().getMessage());
      return FAILED;
    } catch (RuntimeException e) {
      err.println("graft: " + args[0] + " failed: " + e);
      return FAILED;
    }
  }

  static LogisticRegressionExample.Options logregOptions(String[] args) {
    LogisticRegressionExample.Options d = LogisticRegressionExample.Options.DEFAULTS;
    int epochs = d.epochs();
    float lr = d.learningRate();
    long seed = d.seed();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      String value;
      int eq = option.indexOf('=');
      if (option.startsWith("--") && eq > 0) {
        value = option.substring(eq + 1);
        option = option.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        value = null;
      }
      switch (option) {
        case "--epochs" -> epochs = parsePositiveInt(option, value);
        case "--lr" -> lr = parsePositiveFloat(option, value);
        case "--seed" -> seed = parseLong(option, value);
        default -> throw new UsageException("logreg: unknown option '" + option + "'");
      }
    }
    return new LogisticRegressionExample.Options(epochs, lr, seed);
  }

  private static String require(String option, String value, String what) {
    if (value == null) throw new UsageException("logreg: " + option + " needs " + what);
    return value;
  }

  private static int parsePositiveInt(String option, String value) {
    String text = require(option, value, "a positive integer");
    try {
      int v = Integer.parseInt(text);
      if (v > 0) return v;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new UsageException("logreg: " + option + " needs a positive integer, got '" + text + "'");
  }

  private static float parsePositiveFloat(String option, String value) {
    String text = require(option, value, "a positive number");
    try {
      float v = Float.parseFloat(text);
      if (v > 0 && Float.isFinite(v)) return v;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new UsageException("logreg: " + option + " needs a positive number, got '" + text + "'");
  }

  private static long parseLong(String option, String value) {
    String text = require(option, value, "an integer");
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new UsageException("logreg: " + option + " needs an integer, got '" + text + "'");
    }
  }

  /** A mistake on the command line: reported with the usage text and exit status 2. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
