package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.passes.Passes;
import dev.graft.processor.passes.Reachability;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Backpropagation through time against central differences in double precision: gradients with
 * respect to the weights the step reads, the sequence and the initial states, over a symbolic
 * time axis bound to 1, 3 and 5 steps.
 */
class BpttGradientTest {
  /** Which scan results the loss reads. */
  enum Uses { OUTPUTS, FINAL, BOTH }

  @ParameterizedTest(name = "time {0}, loss of {1}, reverse {2}")
  @CsvSource({"1, BOTH, false", "3, BOTH, false", "5, BOTH, false", "3, OUTPUTS, false", "3, FINAL, false", "3, BOTH, true"})
  void rnn(int time, Uses uses, boolean reverse) {
    Parts p = new Parts();
    List<Node> scanned = p.c.scan(Cells.rnn(p.wx, p.wh, p.b), p.xs, List.of(p.h0), reverse);
    check("rnn", p.c, time, loss(p.c, scanned, uses), List.of(p.wx, p.wh, p.b, p.xs, p.h0), Map.of());
  }

  @ParameterizedTest(name = "time {0}, loss of {1}")
  @CsvSource({"1, BOTH", "3, BOTH", "5, BOTH", "3, OUTPUTS", "3, FINAL"})
  void lstm(int time, Uses uses) {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 2, 3");
    Node h0 = c.input("h0", "2, 4");
    Node c0 = c.input("c0", "2, 4");
    Node w = c.variable("w", "3, 16");
    Node u = c.variable("u", "4, 16");
    Node bias = c.variable("bias", "16");
    List<Node> scanned = c.scan(Cells.lstm(w, u, bias, 4), xs, List.of(h0, c0), false);
    check("lstm", c, time, loss(c, scanned, uses), List.of(w, u, bias, xs, h0, c0), Map.of());
  }

  @Test
  void embeddingRowsGetGradientsThroughAnIntSequence() {
    Cells c = new Cells();
    Node ids = c.input("ids", "time, 2", DType.INT32);
    Node h0 = c.input("h0", "2, 4");
    Node embedding = c.variable("embedding", "5, 3");
    Node wx = c.variable("wx", "3, 4");
    Node wh = c.variable("wh", "4, 4");
    Node b = c.variable("b", "4");
    List<Node> scanned = c.scan(Cells.embedded(embedding, Cells.rnn(wx, wh, b)), ids, List.of(h0), false);
    check("embedded rnn", c, 4, loss(c, scanned, Uses.BOTH), List.of(embedding, wx, wh, b, h0), Map.of("ids", 5));
  }

  @Test
  void aVariableUsedInsideAndOutsideTheLoopGetsBothContributions() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 2, 4");
    Node h0 = c.input("h0", "2, 4");
    Node wx = c.variable("wx", "4, 4");
    Node wh = c.variable("wh", "4, 4");
    Node b = c.variable("b", "4");
    // The final state goes through wx once more, outside the loop.
    List<Node> scanned = c.scan(Cells.rnn(wx, wh, b), xs, List.of(h0), false);
    Node after = c.g.matmul(scanned.get(1), wx, false, false);
    List<Node> results = List.of(scanned.get(0), after);
    check("shared weight", c, 3, loss(c, results, Uses.BOTH), List.of(wx, wh, b, xs, h0), Map.of());
  }

  /** A step that itself scans: the backward body differentiates the inner loop with its own reverse loop. */
  @Test
  void nestedLoops() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 2, 3");
    Node h0 = c.input("h0", "3");
    Node wv = c.variable("wv", "3");
    Node wo = c.variable("wo", "3");
    Cells.Cell inner = (graph, a) -> List.of(graph.unary(Op.TANH, graph.add(graph.mul(a.get(0), Cells.in(graph, wv)), a.get(1))));
    Cells.Cell outer = (graph, a) -> {
      ScanBody body = Cells.body(inner, a.get(0), List.of(a.get(1)));
      Node last = graph.scan(body, List.of(a.get(0)), List.of(a.get(1)), false, 0);
      return List.of(graph.mul(last, Cells.in(graph, wo)));
    };
    List<Node> scanned = c.scan(outer, xs, List.of(h0), false);
    check("nested", c, 3, loss(c, scanned, Uses.BOTH), List.of(wv, wo, xs, h0), Map.of());
  }

  /** The backward pass is a reverse SCAN over the same symbolic time axis: nothing grows with time. */
  @Test
  void theBackwardPassIsOneReverseLoopNotAnUnrolling() {
    Parts p = new Parts();
    Node cost = loss(p.c, p.c.scan(Cells.lstm(p.wx, p.wh, p.b, 1), p.xs, List.of(p.h0, p.h0), false), Uses.BOTH);
    ModelGraph m = Autodiff.differentiate(p.c.loss(cost));
    Verifier.verify(m);
    List<Node> scans = Reachability.of(m).stream().filter(n -> n.op() == Op.SCAN).toList();
    long loops = scans.stream().map(n -> List.of(n.attrs().body(), n.inputs(), n.attrs().flag())).distinct().count();
    assertEquals(2, loops, "one forward and one backward loop: " + scans);
    assertTrue(scans.stream().anyMatch(n -> n.attrs().flag()), "the backward loop runs in reverse");
    assertTrue(scans.stream().filter(n -> !n.attrs().flag()).allMatch(n -> n.attrs().body() == scans.get(0).attrs().body()),
        "the loss and the gradients share the forward loop");
  }

  /**
   * A weight the step multiplies (x_t·wx, h_{t-1}·wh) gets its gradient from one product of the
   * stacked steps after the backward loop, of depth time·batch; a bias's gradient stays a sum
   * the loop carries.
   */
  @Test
  void aWeightsGradientIsOneProductOverAllStepsAfterTheLoop() {
    Parts p = new Parts();
    Node cost = loss(p.c, p.c.scan(Cells.rnn(p.wx, p.wh, p.b), p.xs, List.of(p.h0), false), Uses.BOTH);
    List<Node> grads = Autodiff.gradients(p.c.g, cost, List.of(p.wx, p.wh, p.b));
    for (int i = 0; i < 2; i++) {
      Node g = grads.get(i);
      assertEquals(Op.MATMUL, g.op(), "weight " + i + ": " + g);
      assertEquals(1, g.attrs().intAt(0), "X of Xᵀ·Y: " + g);
      assertEquals(g.input(0).shape().dim(0), g.input(1).shape().dim(0), "the same depth: " + g);
      assertEquals(p.xs.shape().dim(0).times(p.xs.shape().dim(1)), g.input(0).shape().dim(0), "time·batch deep: " + g);
    }
    assertEquals(Op.SCAN, grads.get(2).op(), "the bias's gradient is summed by the loop");
  }


  /** A sequence xs [time, 2, 3], a state h0 [2, 4], and a one-state cell's weights wx, wh and b. */
  private static final class Parts {
    final Cells c = new Cells();
    final Node xs = c.input("xs", "time, 2, 3");
    final Node h0 = c.input("h0", "2, 4");
    final Node wx = c.variable("wx", "3, 4");
    final Node wh = c.variable("wh", "4, 4");
    final Node b = c.variable("b", "4");
  }

  /** sum(outputs · r) and/or sum(final state k · r_k), with random fed weights r. */
  private static Node loss(Cells c, List<Node> scanned, Uses uses) {
    List<Node> terms = new ArrayList<>();
    for (int i = 0; i < scanned.size(); i++) {
      if (i == 0 ? uses == Uses.FINAL : uses == Uses.OUTPUTS) continue;
      Node r = c.input("r" + i, scanned.get(i).shape().toString().replaceAll("[\\[\\]]", ""));
      terms.add(c.g.reduce(Op.REDUCE_SUM, c.g.mul(scanned.get(i), r), new int[0], false));
    }
    Node sum = terms.get(0);
    for (int i = 1; i < terms.size(); i++) sum = c.g.add(sum, terms.get(i));
    return sum;
  }

  /**
   * Checks autodiff's gradients of {@code cost}, then the same gradients after the optimization
   * passes (which rewrite inside scan bodies), both verified as a model.
   */
  private static void check(String what, Cells c, int time, Node cost, List<Node> targets, Map<String, Integer> intBounds) {
    Numeric v = ScanInterpreterTest.values(c, Map.of("time", time), intBounds);
    v.checkGradients(what, cost, targets, Autodiff.gradients(c.g, cost, targets));

    ModelGraph differentiated = Autodiff.differentiate(c.loss(cost));
    Verifier.verify(differentiated);
    ModelGraph optimized = Passes.optimize(differentiated, (pass, m) -> Verifier.verify(m));
    List<Node> variables = targets.stream().filter(n -> n.op() == Op.VARIABLE).toList();
    v.checkGradients(what + " (optimized)", optimized.entries().get(0).result(), variables, optimized.entries().get(0).gradients());
  }
}
