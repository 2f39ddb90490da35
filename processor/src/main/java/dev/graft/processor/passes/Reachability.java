package dev.graft.processor.passes;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.ScanBody;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The nodes an entry actually needs: everything reachable from its roots through inputs. The
 * graph is append-only, so it keeps every node ever built; later phases schedule only what this
 * returns. Results are in id order, which is a topological order (inputs precede users) and
 * makes every consumer deterministic.
 */
public final class Reachability {
  private Reachability() {}

  /** The nodes reachable from {@code roots}, roots included, in increasing id order. */
  public static List<Node> from(Collection<Node> roots) {
    Set<Node> seen = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>(roots);
    List<Node> out = new ArrayList<>();
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (!seen.add(n)) continue;
      out.add(n);
      for (Node in : n.inputs()) if (!seen.contains(in)) work.push(in);
    }
    out.sort(Comparator.comparingInt(Node::id));
    return out;
  }

  /** The nodes one entry computes: its result and its gradients, with their inputs. */
  public static List<Node> of(ModelGraph.Entry entry) {
    return from(entry.roots());
  }

  /**
   * The nodes one iteration of a scan body computes, in id order. The outer traversals above do
   * not enter bodies: a SCAN node stands for its whole loop.
   */
  public static List<Node> of(ScanBody body) {
    return from(body.results());
  }

  /** The nodes any entry of the model computes. */
  public static List<Node> of(ModelGraph model) {
    List<Node> roots = new ArrayList<>();
    for (ModelGraph.Entry e : model.entries()) roots.addAll(e.roots());
    return from(roots);
  }
}
