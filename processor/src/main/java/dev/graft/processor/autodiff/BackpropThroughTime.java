package dev.graft.processor.autodiff;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gradient of a SCAN: backpropagation through time as a second scan, running the other way.
 *
 * <p>The forward loop already offers, besides its results, each carry's history (its value
 * entering every step): these are the stored activations. The backward loop's step is the
 * vector-Jacobian product of the forward step, built by {@link Autodiff} on a copy of the
 * forward body in which the step is recomputed from x_t and the carries entering step t:
 *
 * <ul>
 *   <li>sequences: every forward sequence (x_t), every carry history (carry before step t), and
 *       the cotangent at t of each stacked output (and of each carry history) that has one;
 *   <li>carries: the cotangent of each carry after the step, starting from the cotangent of the
 *       final carry (zeros when it has none), and the cotangent of each summed output, which is
 *       the same at every step and so rides along unchanged;
 *   <li>results: new carries = the cotangents of the carries before the step; step outputs = the
 *       cotangents of x_t for the sequences that want one; summed outputs = the gradient of each
 *       model variable the step reads that is a differentiation target, added over all steps.
 * </ul>
 *
 * After the backward loop its final carries are the gradients of the initial carries.
 * Intermediate activations of the step (an LSTM's gates) are recomputed rather than stored:
 * memory stays at one carry per step.
 */
final class BackpropThroughTime {
  /** What the backward loop hands back: per forward input, and per variable index. */
  record Contributions(Map<Integer, Node> toInputs, Map<Integer, Node> toVariables) {}

  private BackpropThroughTime() {}

  /**
   * @param g the graph of the forward scan
   * @param forward one SCAN node of the loop (any output index)
   * @param cotangents output index to cotangent, for the outputs that have one
   * @param wantsInput which forward inputs (sequences, then initial carries) want a gradient
   * @param variableTargets model variables (by index) whose gradients are wanted
   */
  static Contributions of(Graph g, Node forward, Map<Integer, Node> cotangents, Set<Integer> wantsInput,
      Set<Integer> variableTargets) {
    ScanBody body = forward.attrs().body();
    int sequences = body.sequences().size();
    int carries = body.carries().size();
    int resultCount = body.results().size();
    Graph b = new Graph();
    Names names = new Names();

    // ---- the backward step's parameters: sequences, then carries (INPUT index = position)
    List<Node> seqParams = new ArrayList<>();
    List<Node> outerSeqs = new ArrayList<>();
    Map<Node, Node> copy = new HashMap<>();
    for (int j = 0; j < sequences; j++) {
      Node p = body.sequences().get(j);
      Node x = b.at(p.position()).input(names.fresh(p.attrs().name()), seqParams.size(), p.shape(), p.dtype());
      seqParams.add(x);
      outerSeqs.add(forward.input(j));
      copy.put(p, x);
    }
    for (int k = 0; k < carries; k++) {
      Node p = body.carries().get(k);
      Node before = b.at(p.position()).input(names.fresh(p.attrs().name()), seqParams.size(), p.shape(), p.dtype());
      seqParams.add(before);
      outerSeqs.add(g.sibling(forward, body.carryHistoryIndex(k)));
      copy.put(p, before);
    }
    List<Node> stepCts = new ArrayList<>(); // forward body node whose cotangent it is, in ys order below
    List<Node> cts = new ArrayList<>();
    Map<Integer, Node> historyCts = new HashMap<>();
    for (int i = 0; i < body.outputCount(); i++) {
      Node ct = cotangents.get(i);
      ScanBody.OutputKind kind = body.outputKind(i);
      if (ct == null || (kind != ScanBody.OutputKind.STEP_OUTPUT && kind != ScanBody.OutputKind.CARRY_HISTORY)) continue;
      Node perStep = body.outputNode(i);
      Node param = b.at(perStep.position()).input(names.fresh(kind == ScanBody.OutputKind.STEP_OUTPUT ? "d_out" + i : "d_history" + (i - resultCount)), seqParams.size(),
          perStep.shape(), DType.FLOAT32);
      seqParams.add(param);
      outerSeqs.add(ct);
      if (kind == ScanBody.OutputKind.STEP_OUTPUT) {
        stepCts.add(perStep);
        cts.add(param);
      } else {
        historyCts.put(i - resultCount, param);
      }
    }
    List<Node> carryParams = new ArrayList<>();
    List<Node> outerInits = new ArrayList<>();
    int index = seqParams.size();
    for (int k = 0; k < carries; k++) {
      Node p = body.carries().get(k);
      carryParams.add(b.at(p.position()).input(names.fresh("d_" + p.attrs().name()), index++, p.shape(), DType.FLOAT32));
      Node ct = cotangents.get(k);
      outerInits.add(ct != null ? ct : g.at(forward.position()).broadcastTo(g.scalar(0), p.shape()));
    }
    List<Node> passThrough = new ArrayList<>();
    List<Node> summedFrom = new ArrayList<>();
    for (int p = 0; p < body.summedOutputs().size(); p++) {
      Node ct = cotangents.get(carries + body.stepOutputs().size() + p);
      if (ct == null) continue;
      Node s = body.summedOutputs().get(p);
      Node param = b.at(s.position()).input(names.fresh("d_sum" + p), index++, s.shape(), DType.FLOAT32);
      carryParams.add(param);
      passThrough.add(param);
      summedFrom.add(s);
      outerInits.add(ct);
    }

    // ---- the forward step, recomputed in the backward body
    for (Node n : body.nodes()) {
      if (copy.containsKey(n)) continue;
      List<Node> inputs = n.inputs().stream().map(copy::get).toList();
      copy.put(n, b.at(n.position()).make(n.op(), inputs, n.attrs()));
    }

    // ---- its vector-Jacobian product
    List<Node> allYs = new ArrayList<>();
    List<Node> allCts = new ArrayList<>();
    for (int k = 0; k < carries; k++) {
      allYs.add(copy.get(body.newCarries().get(k)));
      allCts.add(carryParams.get(k));
    }
    for (int i = 0; i < stepCts.size(); i++) {
      allYs.add(copy.get(stepCts.get(i)));
      allCts.add(cts.get(i));
    }
    for (int p = 0; p < summedFrom.size(); p++) {
      allYs.add(copy.get(summedFrom.get(p)));
      allCts.add(passThrough.get(p));
    }
    List<Node> wrt = new ArrayList<>(seqParams.subList(sequences, sequences + carries));
    List<Integer> wantedSeqs = new ArrayList<>();
    for (int j = 0; j < sequences; j++) {
      if (wantsInput.contains(j) && seqParams.get(j).dtype() == DType.FLOAT32) {
        wantedSeqs.add(j);
        wrt.add(seqParams.get(j));
      }
    }
    List<Node> variables = new ArrayList<>();
    for (Node v : body.variables()) {
      if (!variableTargets.contains(v.attrs().intAt(0))) continue;
      variables.add(v);
      wrt.add(b.at(v.position()).make(Op.VARIABLE, List.of(), v.attrs()));
    }
    List<Node> grads = Autodiff.gradients(b, allYs, allCts, wrt);

    List<Node> newCarries = new ArrayList<>();
    for (int k = 0; k < carries; k++) {
      Node d = grads.get(k);
      Node extra = historyCts.get(k);
      newCarries.add(extra == null ? d : b.at(body.carries().get(k).position()).add(d, extra));
    }
    newCarries.addAll(passThrough);
    List<Node> stepOutputs = new ArrayList<>(grads.subList(carries, carries + wantedSeqs.size()));
    List<Node> summed = new ArrayList<>();
    // A variable's gradient summed over the steps that is, at each step, X_tᵀ·Y_t (a recurrent
    // weight's: h_{t-1}ᵀ times the cotangent of h_{t-1}·U) leaves the loop: the loop hands out
    // Y_t (and X_t unless it is one of its sequences) for every step, and one product of the
    // stacked steps replaces the time products of depth batch (see below).
    Map<Integer, Node> products = new HashMap<>(); // by position in variables
    List<Node> stackedFactors = new ArrayList<>();
    for (int v = 0; v < variables.size(); v++) {
      Node grad = grads.get(carries + wantedSeqs.size() + v);
      if (isStepProduct(grad)) {
        products.put(v, grad);
        for (Node factor : grad.inputs()) {
          if (!seqParams.contains(factor) && !stackedFactors.contains(factor)) stackedFactors.add(factor);
        }
      } else {
        summed.add(grad);
      }
    }
    int firstFactor = stepOutputs.size();
    stepOutputs.addAll(stackedFactors);
    ScanBody backward = new ScanBody(b, seqParams, carryParams, newCarries, stepOutputs, summed);

    // ---- the backward loop in the outer graph, and what each of its outputs is the gradient of
    g.at(forward.position());
    boolean reverse = !forward.attrs().flag();
    Map<Integer, Node> toInputs = new HashMap<>();
    for (int k = 0; k < carries; k++) {
      if (wantsInput.contains(sequences + k)) toInputs.put(sequences + k, g.scan(backward, outerSeqs, outerInits, reverse, k));
    }
    int firstStep = newCarries.size();
    for (int i = 0; i < wantedSeqs.size(); i++) {
      toInputs.put(wantedSeqs.get(i), g.scan(backward, outerSeqs, outerInits, reverse, firstStep + i));
    }
    Map<Integer, Node> toVariables = new HashMap<>();
    int nextSummed = firstStep + stepOutputs.size();
    for (int v = 0; v < variables.size(); v++) {
      Node gradient;
      Node product = products.get(v);
      if (product != null) {
        // Σ_t X_tᵀ·Y_t over [batch, k] and [batch, n] steps is one product of the stacked
        // [time·batch, k] and [time·batch, n], of depth time·batch.
        List<Node> stackedInputs = new ArrayList<>();
        for (Node factor : product.inputs()) {
          int seq = seqParams.indexOf(factor);
          stackedInputs.add(flattenSteps(g, seq >= 0 ? outerSeqs.get(seq)
              : g.scan(backward, outerSeqs, outerInits, reverse, firstStep + firstFactor + stackedFactors.indexOf(factor))));
        }
        gradient = g.matmul(stackedInputs.get(0), stackedInputs.get(1), true, false);
      } else {
        gradient = g.scan(backward, outerSeqs, outerInits, reverse, nextSummed++);
      }
      toVariables.put(variables.get(v).attrs().intAt(0), gradient);
    }
    return new Contributions(toInputs, toVariables);
  }

  /** Whether a per-step gradient is {@code matmul(X_t, Y_t, transposeA)} of two-dimensional steps. */
  private static boolean isStepProduct(Node grad) {
    return grad.op() == Op.MATMUL && grad.attrs().intAt(0) == 1 && grad.attrs().intAt(1) == 0
        && grad.input(0).shape().rank() == 2 && grad.input(1).shape().rank() == 2;
  }

  /** [time, batch, d] as [time·batch, d]. */
  private static Node flattenSteps(Graph g, Node steps) {
    Shape s = steps.shape();
    return g.reshape(steps, Shape.of(s.dim(0).times(s.dim(1)), s.dim(2)));
  }

  /** Parameter names, unique within one body (the interpreter and generated code feed them by name). */
  private static final class Names {
    private final Set<String> used = new HashSet<>();

    String fresh(String base) {
      String name = base;
      for (int i = 2; !used.add(name); i++) name = base + "_" + i;
      return name;
    }
  }
}
