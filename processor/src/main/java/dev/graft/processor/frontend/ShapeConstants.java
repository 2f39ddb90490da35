package dev.graft.processor.frontend;

import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model's integer constants that shape strings may name: in {@code "stateRows, batch,
 * hidden"} a symbol that is the name of an {@code int} or {@code long} constant field of the
 * model or of one of its base classes stands for the constant's value, so a base class can leave
 * a dimension to each model that extends it. Other symbols stay symbols, bound at run time.
 */
final class ShapeConstants {
  private final Map<String, Long> values;

  ShapeConstants(Map<String, Long> values) {
    this.values = Map.copyOf(values);
  }

  /**
   * {@code shape} with every symbol that names a constant replaced by the constant's value; an
   * IllegalArgumentException for a constant that is not positive.
   */
  Shape resolve(Shape shape) {
    if (values.isEmpty()) return shape;
    List<Dim> dims = new ArrayList<>();
    boolean changed = false;
    for (Dim d : shape.dims()) {
      Dim out = Dim.of(d.coefficient());
      for (String symbol : d.symbols()) {
        Long value = values.get(symbol);
        if (value != null && value < 1) {
          throw new IllegalArgumentException("constant " + symbol + " = " + value + " is not a dimension (a dimension"
              + " must be positive)");
        }
        changed |= value != null;
        out = out.times(value != null ? Dim.of(value) : Dim.symbol(symbol));
      }
      dims.add(out);
    }
    return changed ? Shape.of(dims) : shape;
  }
}
