package dev.graft.examples.lm;

import dev.graft.examples.Main.UsageException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The options of one command, {@code --name value} or {@code --name=value}, checked against the
 * names the command knows. Every problem is a {@link UsageException} that names the command, the
 * option and the bad value.
 */
final class Args {
  private final String command;
  private final Map<String, String> values = new LinkedHashMap<>();

  /**
   * @param known the option names (with their dashes) that take a value
   * @throws UsageException for an unknown option, a repeated one or a missing value
   */
  Args(String command, String[] args, Set<String> known) {
    this.command = command;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      String value = null;
      int eq = option.indexOf('=');
      if (option.startsWith("--") && eq > 0) {
        value = option.substring(eq + 1);
        option = option.substring(0, eq);
      }
      if (!known.contains(option)) {
        throw error(option.startsWith("-") ? "unknown option '" + option + "'" : "unexpected argument '" + option
            + "' (options are --name value)");
      }
      if (value == null) {
        if (i + 1 >= args.length) throw error(option + " needs a value");
        value = args[++i];
      }
      if (values.put(option, value) != null) throw error(option + " is given twice");
    }
  }

  UsageException error(String message) {
    return new UsageException(command + ": " + message);
  }

  boolean has(String option) {
    return values.containsKey(option);
  }

  String string(String option, String fallback) {
    return values.getOrDefault(option, fallback);
  }

  Path path(String option, Path fallback) {
    String value = values.get(option);
    if (value == null) return fallback;
    if (value.isEmpty()) throw bad(option, value, "a path");
    return Path.of(value);
  }

  int positiveInt(String option, int fallback) {
    return intAtLeast(option, fallback, 1, "a positive integer");
  }

  int intAtLeast(String option, int fallback, int min, String what) {
    String value = values.get(option);
    if (value == null) return fallback;
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min) return v;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw bad(option, value, what);
  }

  long longValue(String option, long fallback) {
    String value = values.get(option);
    if (value == null) return fallback;
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw bad(option, value, "an integer");
    }
  }

  float positiveFloat(String option, float fallback) {
    return floatIn(option, fallback, 0, false, Float.POSITIVE_INFINITY, false, "a positive number");
  }

  /** A finite number in the range given by the bounds and whether each is included. */
  float floatIn(String option, float fallback, float min, boolean minIncluded, float max, boolean maxIncluded,
      String what) {
    String value = values.get(option);
    if (value == null) return fallback;
    try {
      float v = Float.parseFloat(value.trim());
      boolean aboveMin = minIncluded ? v >= min : v > min;
      boolean belowMax = maxIncluded ? v <= max : v < max;
      if (Float.isFinite(v) && aboveMin && belowMax) return v;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw bad(option, value, what);
  }

  /** One of {@code choices} (lower case), case-insensitively. */
  String choice(String option, String fallback, String... choices) {
    String value = values.get(option);
    if (value == null) return fallback;
    String lower = value.trim().toLowerCase(Locale.ROOT);
    for (String c : choices) {
      if (c.equals(lower)) return c;
    }
    throw bad(option, value, String.join(" or ", choices));
  }

  UsageException bad(String option, String value, String what) {
    return error(option + " needs " + what + ", got '" + value + "'");
  }
}
