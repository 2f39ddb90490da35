package dev.graft.processor.frontend;

import com.sun.source.tree.Tree;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.frontend.Value.NumberType;
import java.util.function.Supplier;

/** Java arithmetic on compile-time numbers, with Java's promotion, int division and float rounding. */
final class Constants {
  private Constants() {}

  static Value arithmetic(Tree.Kind k, Value.Number a, Value.Number b, Supplier<GraftException> invalid) {
    NumberType t = NumberType.promote(a.type(), b.type());
    double x = a.value();
    double y = b.value();
    switch (k) {
      case LESS_THAN: return new Value.Bool(x < y);
      case LESS_THAN_EQUAL: return new Value.Bool(x <= y);
      case GREATER_THAN: return new Value.Bool(x > y);
      case GREATER_THAN_EQUAL: return new Value.Bool(x >= y);
      case EQUAL_TO: return new Value.Bool(x == y);
      case NOT_EQUAL_TO: return new Value.Bool(x != y);
      default: break;
    }
    if ((t == NumberType.INT || t == NumberType.LONG) && (k == Tree.Kind.DIVIDE || k == Tree.Kind.REMAINDER) && y == 0) {
      throw invalid.get();
    }
    return new Value.Number(fold(k, t, x, y, invalid), t);
  }

  /**
   * {@code x k y} in type t, in one switch for all four types. int and long arithmetic is done in
   * long (int operands narrowed to int first) and narrowed back: the low 32 bits of a long +, -,
   * ×, / or % of two ints are the int result, overflow included ({@code MIN_VALUE / -1} too).
   * float arithmetic is done in double and rounded: for +, -, ×, / of two floats that is the
   * correctly rounded float result (double has more than 2·24 + 2 bits), and % is exact in both.
   * Only the side of each {@code ?:} that applies is evaluated.
   */
  private static double fold(Tree.Kind k, NumberType t, double x, double y,
      Supplier<GraftException> invalid) {
    boolean whole = t == NumberType.INT || t == NumberType.LONG;
    long la = t == NumberType.INT ? (int) x : (long) x;
    long lb = t == NumberType.INT ? (int) y : (long) y;
    double da = t == NumberType.FLOAT ? (float) x : x;
    double db = t == NumberType.FLOAT ? (float) y : y;
    return switch (k) {
      case PLUS -> whole ? narrow(t, la + lb) : round(t, da + db);
      case MINUS -> whole ? narrow(t, la - lb) : round(t, da - db);
      case MULTIPLY -> whole ? narrow(t, la * lb) : round(t, da * db);
      case DIVIDE -> whole ? narrow(t, la / lb) : round(t, da / db);
      case REMAINDER -> whole ? narrow(t, la % lb) : round(t, da % db);
      default -> throw invalid.get();
    };
  }

  /** A long result as an int or long value. */
  private static double narrow(NumberType t, long r) {
    return t == NumberType.INT ? (int) r : r;
  }

  /** A double result as a float or double value. */
  private static double round(NumberType t, double r) {
    return t == NumberType.FLOAT ? (float) r : r;
  }
}
