package dev.graft.processor.passes;

import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import java.util.Map;

/**
 * Constant folding: a node whose inputs are all constants becomes a CONSTANT, computed at
 * compile time by the reference interpreter, so the seed's {@code a = (b + c) * (c + 2)} is
 * 22.5 in the generated code (a SCAN is never folded). Results are rounded to float32, the type the runtime would have
 * computed in; a result that is not finite is left unfolded. Only results of at most {@link #MAX_ELEMENTS} elements are folded: weights never
 * become array literals in the generated source.
 */
public final class ConstantFolding implements Pass {
  /** The largest result, in elements, that folding writes into the program as a constant. */
  public static final long MAX_ELEMENTS = 4096;

  @Override
  public String name() {
    return "constant-folding";
  }

  @Override
  public ModelGraph apply(ModelGraph model) {
    return Rewriter.rewrite(model, name(), ConstantFolding::fold);
  }

  static Node fold(Graph g, Node n) {
    if (n.op() == Op.COUNT) {
      return n.attrs().target().isFixed() ? g.scalar(n.attrs().target().size().value()) : n;
    }
    if (n.op().kind() == Op.Kind.LEAF || n.inputs().isEmpty()) return n;
    // A loop stays a loop: running it at compile time would unroll its cost into the compiler
    // (constants inside its body are still folded, since the rewriter visits bodies).
    if (n.op() == Op.SCAN) return n;
    for (Node in : n.inputs()) if (in.op() != Op.CONSTANT) return n;
    if (!n.shape().isFixed() || n.shape().size().value() > MAX_ELEMENTS) return n;
    if (n.dtype() != dev.graft.dsl.DType.FLOAT32) return n;
    double[] values;
    try {
      values = new Interpreter(Map.of(), Map.of(), Map.of()).evaluate(n).data().clone();
    } catch (RuntimeException e) {
      return n; // e.g. an index out of range: left for the runtime to report with real context
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) values[i];
      // A non-finite literal would only hide where the NaN or infinity came from.
      if (!Double.isFinite(values[i])) return n;
    }
    return g.constant(n.shape(), values);
  }
}
