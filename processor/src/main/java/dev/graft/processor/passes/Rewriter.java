package dev.graft.processor.passes;

import dev.graft.processor.ir.Attrs;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one traversal every pass shares. It visits the nodes reachable from the model's entries
 * bottom-up (in id order, so inputs first), rebuilds each from its already rewritten inputs with
 * {@link Graph#make} at the node's own source position, and offers the rebuilt node to a
 * {@link Rule}. Results are memoized per node, so a shared subexpression is rewritten once and
 * stays shared; and because {@code make} hash-conses, two nodes that become equal after a
 * rewrite become the same node (this is how CSE happens).
 *
 * <p>A rule must return a node of the same shape and dtype; the rewriter checks it, so a wrong
 * rule fails at once with the pass's name instead of corrupting later phases.
 *
 * <p>Scan bodies are rewritten too, with the same rule, before the SCAN nodes that use them: a
 * body's parameters stay as they are, its results are rewritten like entry roots, and when any
 * result changed the SCAN gets a new {@link ScanBody} (one per old body and rewrite, so sibling
 * SCAN nodes of one loop keep sharing their body). A body whose results did not change is kept
 * as the same object, so a pipeline reaches its fixed point.
 */
public final class Rewriter {
  /** How many times a rule may rewrite one node's result again before the rewriter stops. */
  private static final int MAX_LOCAL_REWRITES = 8;

  /** A local rewrite: the replacement for {@code node}, or {@code node} itself. */
  @FunctionalInterface
  public interface Rule {
    /**
     * @param graph where to build replacement nodes (its position is already the node's)
     * @param node a node whose inputs are already rewritten
     */
    Node apply(Graph graph, Node node);
  }

  private Rewriter() {}

  /** Applies {@code rule} everywhere in the model, returning the model with the new roots. */
  public static ModelGraph rewrite(ModelGraph model, String passName, Rule rule) {
    Graph graph = model.graph();
    SourcePos saved = graph.position();
    Map<Node, Node> memo = new HashMap<>();
    Map<ScanBody, ScanBody> bodies = new IdentityHashMap<>();
    try {
      for (Node n : Reachability.of(model)) memo.put(n, rewriteNode(graph, n, memo, bodies, passName, rule));
    } finally {
      graph.at(saved);
    }
    List<ModelGraph.Entry> entries = new ArrayList<>();
    boolean changed = false;
    for (ModelGraph.Entry e : model.entries()) {
      Node result = memo.get(e.result());
      List<Node> extras = e.extraResults().stream().map(memo::get).toList();
      List<Node> gradients = e.gradients().stream().map(memo::get).toList();
      changed |= result != e.result() || !extras.equals(e.extraResults()) || !gradients.equals(e.gradients());
      entries.add(e.withResults(result, extras, gradients));
    }
    return changed ? model.withEntries(entries) : model;
  }

  private static Node rewriteNode(Graph graph, Node n, Map<Node, Node> memo, Map<ScanBody, ScanBody> bodies,
      String passName, Rule rule) {
    Attrs attrs = n.attrs();
    if (n.op() == Op.SCAN) {
      ScanBody body = attrs.body();
      ScanBody rewritten = bodies.get(body);
      if (rewritten == null) {
        rewritten = rewriteBody(body, bodies, passName, rule);
        bodies.put(body, rewritten);
      }
      if (rewritten != body) attrs = attrs.withBody(rewritten);
    }
    graph.at(n.position());
    List<Node> inputs = new ArrayList<>(n.inputs().size());
    boolean inputsChanged = false;
    for (Node in : n.inputs()) {
      Node r = memo.get(in);
      inputsChanged |= r != in;
      inputs.add(r);
    }
    Node current = inputsChanged || attrs != n.attrs() ? graph.make(n.op(), inputs, attrs) : n;
    for (int i = 0; i < MAX_LOCAL_REWRITES; i++) {
      Node next = rule.apply(graph, current);
      if (next == current) break;
      if (!next.shape().equals(n.shape()) || next.dtype() != n.dtype()) {
        throw new IllegalStateException(passName + " rewrote " + n + " into " + next
            + ", which has another shape or dtype");
      }
      current = next;
    }
    return current;
  }

  private static ScanBody rewriteBody(ScanBody body, Map<ScanBody, ScanBody> bodies, String passName, Rule rule) {
    Graph graph = body.graph();
    SourcePos saved = graph.position();
    Map<Node, Node> memo = new HashMap<>();
    try {
      for (Node n : body.nodes()) memo.put(n, rewriteNode(graph, n, memo, bodies, passName, rule));
    } finally {
      graph.at(saved);
    }
    for (Node p : body.parameters()) {
      if (memo.getOrDefault(p, p) != p) throw new IllegalStateException(passName + " rewrote scan parameter " + p);
    }
    List<Node> newCarries = body.newCarries().stream().map(memo::get).toList();
    List<Node> stepOutputs = body.stepOutputs().stream().map(memo::get).toList();
    List<Node> summed = body.summedOutputs().stream().map(memo::get).toList();
    if (newCarries.equals(body.newCarries()) && stepOutputs.equals(body.stepOutputs())
        && summed.equals(body.summedOutputs())) {
      return body;
    }
    return new ScanBody(graph, body.sequences(), body.carries(), newCarries, stepOutputs, summed);
  }
}
