package dev.graft.processor.schedule;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups the nodes an entry needs into kernels. Only nodes reachable from the entry's roots are
 * scheduled, which is dead-code elimination at this stage. Nodes are visited from the last to the
 * first; each either joins the kernel of its consumers (when {@link FusionPolicy} says so) or
 * starts a kernel of its own. Leaves (inputs, variables, constants, counts) and reshapes (aliases
 * of their input's buffer) get no kernel unless a root needs one.
 */
public final class Scheduler {
  private final FusionPolicy policy;

  public Scheduler(FusionPolicy policy) {
    this.policy = policy;
  }

  public EntrySchedule schedule(ModelGraph.Entry entry, boolean withGradients) {
    return schedule(entry, withGradients, withGradients ? entry.roots() : entry.results());
  }

  /**
   * The schedule of one step of a scan body computing {@code results} (some of the body's
   * results: what the loop needs this time). Its entry is null.
   */
  public EntrySchedule scheduleStep(List<Node> results) {
    return schedule(null, false, results);
  }

  private EntrySchedule schedule(ModelGraph.Entry entry, boolean withGradients, List<Node> roots) {
    List<Node> order = reachable(roots);
    Set<Node> rootSet = new HashSet<>(roots);
    Map<Node, List<Node>> consumers = new HashMap<>();
    for (Node n : order) {
      for (Node in : n.inputs()) {
        List<Node> c = consumers.computeIfAbsent(in, k -> new ArrayList<>());
        if (!c.contains(n)) c.add(n);
      }
    }

    Map<Node, Kernel.Draft> kernelOf = new HashMap<>();
    List<Kernel.Draft> drafts = new ArrayList<>();
    Map<Node, FusionDecision> unfused = new LinkedHashMap<>();
    Map<LoopKey, Kernel.Draft> loops = new HashMap<>();
    for (int i = order.size() - 1; i >= 0; i--) {
      Node n = order.get(i);
      boolean isRoot = rootSet.contains(n);
      if (!isRoot && (n.op().kind() == Op.Kind.LEAF || n.op() == Op.RESHAPE)) continue;
      if (isRoot && (n.op() == Op.INPUT || n.op() == Op.VARIABLE || n.op() == Op.RESHAPE)) continue; // copied out
      if (n.op() == Op.SCAN) { // every output of one loop is computed by one LOOP kernel
        LoopKey key = new LoopKey(n.attrs().body(), n.inputs(), n.attrs().flag());
        Kernel.Draft loop = loops.get(key);
        if (loop == null) {
          loop = new Kernel.Draft(Kernel.Kind.LOOP, n);
          loops.put(key, loop);
        } else {
          loop.add(n);
          drafts.remove(loop);
        }
        drafts.add(loop); // at its lowest sibling: before the consumers of every sibling
        kernelOf.put(n, loop);
        continue;
      }
      List<Node> cs = consumers.getOrDefault(n, List.of());
      List<Kernel.Draft> ks = cs.stream().map(kernelOf::get).toList();
      if (!cs.isEmpty() && (FusionPolicy.isElementwise(n.op()) || n.op() == Op.MATMUL)) {
        boolean anyUnscheduled = ks.stream().anyMatch(k -> k == null); // a consumer that is an alias
        FusionDecision d = anyUnscheduled ? FusionDecision.no("it is read through a reshape, which aliases its buffer")
            : n.op() == Op.MATMUL ? policy.canTakeEpilogue(n, isRoot, cs, ks)
            : policy.canFuseElementwise(n, isRoot, cs, ks);
        if (d.fused()) {
          Kernel.Draft k = ks.get(0);
          if (n.op() == Op.MATMUL) k.addMatmul(n);
          else k.add(n);
          kernelOf.put(n, k);
          continue;
        }
        if (!isRoot) unfused.put(n, d);
      }
      Kernel.Draft k = new Kernel.Draft(kindOf(n), n);
      kernelOf.put(n, k);
      drafts.add(k);
    }
    List<Kernel> kernels = new ArrayList<>();
    for (int i = drafts.size() - 1; i >= 0; i--) kernels.add(drafts.get(i).build());
    return new EntrySchedule(entry, withGradients, roots, kernels, unfused);
  }

  private static Kernel.Kind kindOf(Node n) {
    return switch (n.op().kind()) {
      case LEAF, UNARY, BINARY -> Kernel.Kind.ELEMENTWISE;
      case LAYOUT -> n.op() == Op.BROADCAST_TO ? Kernel.Kind.ELEMENTWISE : Kernel.Kind.LAYOUT;
      case MATMUL -> Kernel.Kind.MATMUL;
      case REDUCTION, ROWWISE -> Kernel.Kind.LIBRARY;
      case INDEXING -> n.op() == Op.ONE_HOT ? Kernel.Kind.LAYOUT : Kernel.Kind.LIBRARY;
      case LOOP -> Kernel.Kind.LOOP;
    };
  }

  /** What makes SCAN nodes outputs of one loop: the same body, inputs and direction. */
  private record LoopKey(ScanBody body, List<Node> inputs, boolean reverse) {}

  /** The nodes reachable from {@code roots}, in id (topological) order. */
  static List<Node> reachable(List<Node> roots) {
    Set<Node> seen = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>(roots);
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (seen.add(n)) work.addAll(n.inputs());
    }
    List<Node> l = new ArrayList<>(seen);
    l.sort(Comparator.comparingInt(Node::id));
    return l;
  }
}
