package dev.graft.processor.codegen;

import java.util.regex.Pattern;
import javax.lang.model.SourceVersion;

/** The Java names generated code uses for model symbols, inputs and variables, collision-free. */
final class Names {
  private Names() {}

  // Names generated code uses for its own locals, parameters and types.
  private static final Pattern RESERVED = Pattern.compile(
      "(in|i|n|s|u|v|x|c|w|iw|k|C)\\d+|(in|var|grad)_.*|out|m|n|k|o|p|q|r|b|idx|size|row\\d*|rows|columns|rowStep|columnStep|flat|flatEnd|flatLast|kernels|dims|inputs|variables|output"
          + "|gradients|floats|ints|Arrays|System|Math|FloatMath|NarrowRows|Float|Kernels|SPEC|Executor|Facade"
          + "|Vector|SPECIES|FloatVector|VectorOperators|VectorSpecies");

  /** The local name of a dimension symbol: the symbol itself unless that would collide. */
  static String symbol(String name) {
    return SourceVersion.isKeyword(name) || RESERVED.matcher(name).matches() ? name + "_" : name;
  }

  static String input(String name) {
    return "in_" + name;
  }

  static String variable(String name) {
    return "var_" + name;
  }

  static String gradient(String name) {
    return "grad_" + name;
  }

  /** {@code predictions} → {@code Predictions}. */
  static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** A float literal that reads back as the same float. */
  static String floatLiteral(double value) {
    float f = (float) value;
    if (Float.isNaN(f)) return "Float.NaN";
    if (f == Float.POSITIVE_INFINITY) return "Float.POSITIVE_INFINITY";
    if (f == Float.NEGATIVE_INFINITY) return "Float.NEGATIVE_INFINITY";
    String s = Float.toString(f) + "f";
    return f < 0 || (f == 0 && 1 / f < 0) ? "(" + s + ")" : s;
  }
}
