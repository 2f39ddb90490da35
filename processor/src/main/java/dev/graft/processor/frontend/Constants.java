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
    double r = switch (t) {
      case INT -> intOp(k, (int) x, (int) y, invalid);
      case LONG -> longOp(k, (long) x, (long) y, invalid);
      case FLOAT -> floatOp(k, (float) x, (float) y, invalid);
      case DOUBLE -> doubleOp(k, x, y, invalid);
    };
    return new Value.Number(r, t);
  }

  private static int intOp(Tree.Kind k, int x, int y, Supplier<GraftException> invalid) {
    return switch (k) {
      case PLUS -> x + y;
      case MINUS -> x - y;
      case MULTIPLY -> x * y;
      case DIVIDE -> x / y;
      case REMAINDER -> x % y;
      default -> throw invalid.get();
    };
  }

  private static long longOp(Tree.Kind k, long x, long y, Supplier<GraftException> invalid) {
    return switch (k) {
      case PLUS -> x + y;
      case MINUS -> x - y;
      case MULTIPLY -> x * y;
      case DIVIDE -> x / y;
      case REMAINDER -> x % y;
      default -> throw invalid.get();
    };
  }

  private static float floatOp(Tree.Kind k, float x, float y, Supplier<GraftException> invalid) {
    return switch (k) {
      case PLUS -> x + y;
      case MINUS -> x - y;
      case MULTIPLY -> x * y;
      case DIVIDE -> x / y;
      case REMAINDER -> x % y;
      default -> throw invalid.get();
    };
  }

  private static double doubleOp(Tree.Kind k, double x, double y, Supplier<GraftException> invalid) {
    return switch (k) {
      case PLUS -> x + y;
      case MINUS -> x - y;
      case MULTIPLY -> x * y;
      case DIVIDE -> x / y;
      case REMAINDER -> x % y;
      default -> throw invalid.get();
    };
  }
}
