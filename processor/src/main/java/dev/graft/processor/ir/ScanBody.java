package dev.graft.processor.ir;

import dev.graft.dsl.DType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The step function of a {@link Op#SCAN}: a graph of its own whose INPUT leaves are the step's
 * parameters (one per sequence slice, then one per carry, attrs.ints[0] = position in that
 * order) and whose results are, in this order, the new carries, the per-step outputs (stacked
 * along a new leading time axis) and the per-step summed outputs (added over all steps). The
 * body may also use VARIABLE leaves (the model's variables, same name and index) and constants,
 * but no other value from outside.
 *
 * <p>Immutable as a view: the graph is append-only, so passes may add nodes to it, but the
 * parameters and results of one ScanBody never change; a rewritten body is a new ScanBody.
 * Bodies compare by identity (see {@link Attrs}).
 */
public final class ScanBody {
  private final Graph graph;
  private final List<Node> sequences;
  private final List<Node> carries;
  private final List<Node> newCarries;
  private final List<Node> stepOutputs;
  private final List<Node> summedOutputs;

  public ScanBody(Graph graph, List<Node> sequences, List<Node> carries, List<Node> newCarries, List<Node> stepOutputs,
      List<Node> summedOutputs) {
    this.graph = graph;
    this.sequences = List.copyOf(sequences);
    this.carries = List.copyOf(carries);
    this.newCarries = List.copyOf(newCarries);
    this.stepOutputs = List.copyOf(stepOutputs);
    this.summedOutputs = List.copyOf(summedOutputs);
    List<Node> all = graph.nodes();
    List<Node> params = parameters();
    for (int i = 0; i < params.size(); i++) {
      Node p = params.get(i);
      require(p.op() == Op.INPUT && p.attrs().intAt(0) == i, "parameter " + i + " is not INPUT #" + i + ": " + p);
    }
    require(params.stream().map(p -> p.attrs().name()).distinct().count() == params.size(), "parameter names repeat");
    for (Node r : results()) require(r.id() < all.size() && all.get(r.id()) == r, "result not in the body graph: " + r);
    require(newCarries.size() == carries.size(), newCarries.size() + " new carries for " + carries.size() + " carries");
    for (int k = 0; k < carries.size(); k++) {
      Node c = carries.get(k);
      Node n = newCarries.get(k);
      require(c.dtype() == DType.FLOAT32, "carry " + k + " is not float32");
      require(n.shape().equals(c.shape()) && n.dtype() == c.dtype(), "new carry " + k + " " + n.shape()
          + " differs from carry " + c.shape());
    }
  }

  private static void require(boolean ok, String what) {
    if (!ok) throw new IllegalArgumentException("malformed scan body: " + what);
  }

  public Graph graph() {
    return graph;
  }

  /** One INPUT per sequence: the slice at the current step (the sequence's shape without its first axis). */
  public List<Node> sequences() {
    return sequences;
  }

  /** One INPUT per carry: its value entering the current step. */
  public List<Node> carries() {
    return carries;
  }

  /** The sequence parameters, then the carry parameters. */
  public List<Node> parameters() {
    List<Node> out = new ArrayList<>(sequences);
    out.addAll(carries);
    return out;
  }

  public List<Node> newCarries() {
    return newCarries;
  }

  public List<Node> stepOutputs() {
    return stepOutputs;
  }

  public List<Node> summedOutputs() {
    return summedOutputs;
  }

  /** New carries, step outputs, summed outputs: the order of a SCAN node's output index. */
  public List<Node> results() {
    List<Node> out = new ArrayList<>(newCarries);
    out.addAll(stepOutputs);
    out.addAll(summedOutputs);
    return out;
  }

  /**
   * How many values a SCAN over this body offers: its results, then the carry histories (for
   * each carry, its value entering every step, stacked along time: what BPTT needs).
   */
  public int outputCount() {
    return results().size() + carries.size();
  }

  /** What output {@code index} of a SCAN is. */
  public enum OutputKind { FINAL_CARRY, STEP_OUTPUT, SUMMED_OUTPUT, CARRY_HISTORY }

  public OutputKind outputKind(int index) {
    int k = carries.size();
    int m = stepOutputs.size();
    int p = summedOutputs.size();
    if (index < 0 || index >= outputCount()) throw new IndexOutOfBoundsException("scan output " + index);
    return index < k ? OutputKind.FINAL_CARRY : index < k + m ? OutputKind.STEP_OUTPUT
        : index < k + m + p ? OutputKind.SUMMED_OUTPUT : OutputKind.CARRY_HISTORY;
  }

  /**
   * The body node behind output {@code index}: the result for the first three kinds, the carry
   * parameter for a CARRY_HISTORY.
   */
  public Node outputNode(int index) {
    List<Node> results = results();
    return index < results.size() ? results.get(index) : carries.get(index - results.size());
  }

  /** The output index of carry {@code k}'s history. */
  public int carryHistoryIndex(int k) {
    return results().size() + k;
  }

  /** The nodes the results need, in id order (topological). */
  public List<Node> nodes() {
    Set<Node> seen = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>(results());
    List<Node> out = new ArrayList<>();
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (!seen.add(n)) continue;
      out.add(n);
      for (Node in : n.inputs()) work.push(in);
    }
    out.sort(Comparator.comparingInt(Node::id));
    return out;
  }

  /** The model variables the body reads, nested bodies included, by index (first occurrence kept). */
  public List<Node> variables() {
    Map<Integer, Node> out = new LinkedHashMap<>();
    collectVariables(this, out);
    return List.copyOf(out.values());
  }

  private static void collectVariables(ScanBody body, Map<Integer, Node> out) {
    for (Node n : body.nodes()) {
      if (n.op() == Op.VARIABLE) out.putIfAbsent(n.attrs().intAt(0), n);
      else if (n.op() == Op.SCAN) collectVariables(n.attrs().body(), out);
    }
  }

  @Override
  public String toString() {
    return "body(" + sequences.size() + " sequences, " + carries.size() + " carries, " + stepOutputs.size()
        + " step outputs, " + summedOutputs.size() + " summed; " + nodes().size() + " nodes)";
  }
}
