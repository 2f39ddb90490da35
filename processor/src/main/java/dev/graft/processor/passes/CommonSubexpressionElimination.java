package dev.graft.processor.passes;

import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import java.util.List;

/**
 * Common-subexpression elimination. Most of it needs no pass at all: {@link Graph} hash-conses,
 * so two requests for the same op, inputs and attributes already return one node, and the
 * {@link Rewriter} rebuilds every rewritten node through {@link Graph#make}, so nodes that
 * become equal after another pass's rewrite are merged as they are rebuilt (re-interning).
 *
 * <p>What hash-consing cannot see is commutativity: {@code a + b} and {@code b + a} are different
 * keys. This pass orders the operands of commutative ops by node id, so both spellings become
 * one node. That is exact in IEEE arithmetic (and Java's min/max are symmetric, NaN included).
 */
public final class CommonSubexpressionElimination implements Pass {
  @Override
  public String name() {
    return "cse";
  }

  @Override
  public ModelGraph apply(ModelGraph model) {
    return Rewriter.rewrite(model, name(), CommonSubexpressionElimination::canonicalize);
  }

  static boolean isCommutative(Op op) {
    return op == Op.ADD || op == Op.MUL || op == Op.MINIMUM || op == Op.MAXIMUM || op == Op.EQUAL;
  }

  private static Node canonicalize(Graph graph, Node n) {
    if (!isCommutative(n.op()) || n.input(0).id() <= n.input(1).id()) return n;
    return graph.make(n.op(), List.of(n.input(1), n.input(0)), n.attrs());
  }
}
