package dev.graft.processor.ir;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the invariants every phase must keep (tests run it between passes): every node reachable
 * from an entry belongs to the model's graph, its inputs come before it, its shape and dtype are
 * what {@link ShapeRules} infers, leaves refer to declared variables and inputs, and a loss entry
 * has a scalar result and one gradient per trainable variable shaped like it.
 */
public final class Verifier {
  private Verifier() {}

  /** Throws IllegalStateException naming the first broken invariant. */
  public static void verify(ModelGraph model) {
    List<Node> all = model.graph().nodes();
    for (ModelGraph.Entry e : model.entries()) {
      for (Node root : e.roots()) verifyReachable(model, e, root, all);
      if (e.kind() == ModelGraph.EntryKind.LOSS) {
        check(e.result().shape().isScalar(), e, "loss result is not a scalar: " + e.result());
        List<ModelGraph.VariableDecl> trainable = model.trainableVariables();
        if (!e.gradients().isEmpty()) {
          check(e.gradients().size() == trainable.size(), e, e.gradients().size() + " gradients for "
              + trainable.size() + " trainable variables");
          for (int i = 0; i < trainable.size(); i++) {
            check(e.gradients().get(i).shape().equals(trainable.get(i).shape()), e, "gradient of "
                + trainable.get(i).name() + " has shape " + e.gradients().get(i).shape());
          }
        }
      } else {
        check(e.gradients().isEmpty(), e, "an output entry has gradients");
      }
    }
  }

  private static void verifyReachable(ModelGraph model, ModelGraph.Entry e, Node root, List<Node> all) {
    Set<ScanBody> bodies = new HashSet<>();
    Set<Node> seen = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>();
    work.push(root);
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (!seen.add(n)) continue;
      check(n.id() < all.size() && all.get(n.id()) == n, e, "node not in the model's graph: " + n);
      for (Node in : n.inputs()) {
        check(in.id() < n.id(), e, "input %" + in.id() + " does not come before " + n);
        work.push(in);
      }
      checkNode(model, e, n, bodies);
      if (n.op() == Op.INPUT) {
        int index = n.attrs().intAt(0);
        check(index < e.inputs().size() && e.inputs().get(index).name().equals(n.attrs().name())
            && e.inputs().get(index).shape().equals(n.shape()) && e.inputs().get(index).dtype() == n.dtype(), e,
            "input not declared by the entry: " + n);
      }
    }
  }

  /** What every node must satisfy, in the model's graph or in a scan body. */
  private static void checkNode(ModelGraph model, ModelGraph.Entry e, Node n, Set<ScanBody> bodies) {
    ShapeRules.Type t = ShapeRules.infer(n.op(), n.inputs(), n.attrs(), n.position());
    check(t.shape().equals(n.shape()) && t.dtype() == n.dtype(), e, "inferred " + t + " differs from " + n);
    if (n.op() == Op.VARIABLE) {
      int index = n.attrs().intAt(0);
      check(index < model.variables().size() && model.variables().get(index).name().equals(n.attrs().name())
          && model.variables().get(index).shape().equals(n.shape()), e, "undeclared variable " + n);
    } else if (n.op() == Op.SCAN && bodies.add(n.attrs().body())) {
      verifyBody(model, e, n.attrs().body(), bodies);
    }
  }

  /**
   * A scan body is closed: its nodes belong to its own graph, in topological order, and its only
   * INPUT leaves are its parameters (outer values cannot leak in; variables and constants can).
   */
  private static void verifyBody(ModelGraph model, ModelGraph.Entry e, ScanBody body, Set<ScanBody> bodies) {
    List<Node> all = body.graph().nodes();
    Set<Node> params = new HashSet<>(body.parameters());
    for (Node n : body.nodes()) {
      check(n.id() < all.size() && all.get(n.id()) == n, e, "node not in its scan body's graph: " + n);
      for (Node in : n.inputs()) check(in.id() < n.id(), e, "input %" + in.id() + " does not come before " + n + " in a scan body");
      check(n.op() != Op.INPUT || params.contains(n), e, "a scan body uses an input that is not its parameter: " + n);
      checkNode(model, e, n, bodies);
    }
  }

  private static void check(boolean ok, ModelGraph.Entry e, String what) {
    if (!ok) throw new IllegalStateException("IR invariant broken in entry '" + e.name() + "': " + what);
  }
}
