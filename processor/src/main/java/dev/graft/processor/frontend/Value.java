package dev.graft.processor.frontend;

import dev.graft.processor.ir.Node;
import java.util.List;

/** What a DSL expression evaluates to while the front end reads a method body. */
sealed interface Value {
  /** A graph value. */
  record TensorValue(Node node) implements Value {}

  /** The parts of a {@code split}, or a {@code new Tensor[] {...}}. */
  record Tensors(List<Node> parts) implements Value {}

  /** A compile-time number, with the Java type that decides arithmetic (int division, float rounding). */
  record Number(double value, NumberType type) implements Value {
    boolean isIntegral() {
      return type == NumberType.INT || type == NumberType.LONG;
    }
  }

  record Bool(boolean value) implements Value {}

  /** A string literal: a shape such as {@code "batch, 12"}. */
  record Text(String value) implements Value {}

  /** A literal {@code new float[] {...}} or {@code new int[] {...}}. */
  record NumberArray(double[] values, NumberType type) implements Value {}

  /** Java's primitive numeric types, in widening order. */
  enum NumberType {
    INT, LONG, FLOAT, DOUBLE;

    static NumberType promote(NumberType a, NumberType b) {
      return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** {@code value} converted as a Java cast to this type would. */
    double convert(double value) {
      return switch (this) {
        case INT -> (int) value;
        case LONG -> (long) value;
        case FLOAT -> (float) value;
        case DOUBLE -> value;
      };
    }
  }

  /** A short description for messages: "a tensor of shape [4]", "an int constant". */
  static String describe(Value v) {
    if (v instanceof TensorValue t) return "a tensor of shape " + t.node().shape();
    if (v instanceof Tensors t) return "an array of " + t.parts().size() + " tensors";
    if (v instanceof Number n) return article(n.type()) + " constant";
    if (v instanceof NumberArray a) return article(a.type()) + " array";
    if (v instanceof Bool) return "a boolean constant";
    return "a string";
  }

  private static String article(NumberType t) {
    return (t == NumberType.INT ? "an " : "a ") + t.name().toLowerCase(java.util.Locale.ROOT);
  }
}
