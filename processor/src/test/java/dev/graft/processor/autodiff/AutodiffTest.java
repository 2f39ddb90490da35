package dev.graft.processor.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.ModelGraph.Entry;
import dev.graft.processor.ir.ModelGraph.EntryKind;
import dev.graft.processor.ir.ModelGraph.InputDecl;
import dev.graft.processor.ir.ModelGraph.VariableDecl;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import dev.graft.processor.ir.Verifier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.commons.math3.analysis.differentiation.DerivativeStructure;
import org.junit.jupiter.api.Test;

class AutodiffTest {
  private static final Shape X = Shape.parse("batch, 4");
  private static final Shape Y = Shape.parse("batch, 3");

  private static SourcePos line(int line) {
    return new SourcePos("SoftmaxRegression.java", line, 5, "", null);
  }

  private static VariableDecl variable(String name, Shape shape, boolean trainable, int line) {
    return new VariableDecl(name, shape, Init.UNIFORM, -1, 1, 0, 0, 1, trainable, line(line));
  }

  /**
   * The design's softmax regression, plus a frozen offset (not trainable) and a trainable
   * variable the loss never uses.
   */
  private static ModelGraph softmaxRegression() {
    Graph g = new Graph();
    List<VariableDecl> vars = List.of(variable("beta", Shape.of(4, 3), true, 3), variable("bias", Shape.of(3), true, 5),
        variable("frozen", Shape.of(3), false, 7), variable("unused", Shape.of(2), true, 9));
    g.at(line(12));
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node y = g.input("y", 1, Y, DType.FLOAT32);
    Node beta = g.variable("beta", 0, vars.get(0).shape());
    Node bias = g.variable("bias", 1, vars.get(1).shape());
    Node frozen = g.variable("frozen", 2, vars.get(2).shape());
    g.at(line(13));
    Node logits = g.add(g.add(g.matmul(x, beta, false, false), bias), frozen);
    Node predictions = g.softmax(logits);
    g.at(line(18));
    Node perRow = g.neg(g.reduce(Op.REDUCE_SUM, g.mul(y, g.unary(Op.LOG, predictions)), new int[] {1}, false));
    Node cost = g.reduce(Op.REDUCE_MEAN, perRow, new int[0], false);
    InputDecl xDecl = new InputDecl("x", X, DType.FLOAT32, line(12));
    InputDecl yDecl = new InputDecl("y", Y, DType.FLOAT32, line(17));
    List<Entry> entries = List.of(
        new Entry("predictions", EntryKind.OUTPUT, List.of(xDecl), predictions, List.of(), line(12)),
        new Entry("cost", EntryKind.LOSS, List.of(xDecl, yDecl), cost, List.of(), line(17)));
    g.at(SourcePos.UNKNOWN);
    return new ModelGraph("demo", "SoftmaxRegression", g, vars, entries);
  }

  @Test
  void softmaxRegressionGradientsMatchFiniteDifferences() {
    ModelGraph parsed = softmaxRegression();
    Verifier.verify(parsed);
    int before = parsed.graph().nodes().size();
    ModelGraph trained = Autodiff.differentiate(parsed);
    Verifier.verify(trained);

    assertSame(parsed.entries().get(0), trained.entries().get(0), "output entries stay as they were");
    Entry loss = trained.entries().get(1);
    assertSame(parsed.entries().get(1).result(), loss.result());
    assertEquals(3, loss.gradients().size(), "beta, bias and unused; frozen is not trainable");

    Random random = new Random(7);
    int batch = 5;
    Map<String, Integer> dims = Map.of("batch", batch);
    Map<String, DoubleArray> inputs = Map.of("x", GradientCheck.draw(new int[] {batch, 4}, GradientCheck.Values.uniform(-1, 1), random),
        "y", oneHotRows(batch, 3, random));
    Map<String, DoubleArray> variables = new HashMap<>();
    for (VariableDecl v : parsed.variables()) {
      variables.put(v.name(), GradientCheck.draw(Interpreter.concreteShape(v.shape(), dims), GradientCheck.Values.uniform(-1, 1), random));
    }
    Interpreter analytic = new Interpreter(dims, inputs, variables);
    List<VariableDecl> trainable = parsed.trainableVariables();
    for (int t = 0; t < trainable.size(); t++) {
      String name = trainable.get(t).name();
      DoubleArray grad = analytic.evaluate(loss.gradients().get(t));
      for (int j = 0; j < grad.size(); j++) {
        double numeric = (lossWith(loss.result(), dims, inputs, variables, name, j, GradientCheck.H)
            - lossWith(loss.result(), dims, inputs, variables, name, j, -GradientCheck.H)) / (2 * GradientCheck.H);
        assertTrue(GradientCheck.close(grad.get(j), numeric), name + "[" + j + "]: " + grad.get(j) + " vs " + numeric);
      }
    }
    assertArrayEquals(new double[2], analytic.evaluate(loss.gradients().get(2)).data(), "the unused variable gets zeros");

    // The mean over the symbolic batch divides by a COUNT of it, and every node autodiff built
    // points at a line of the model.
    Set<Node> built = reachable(loss.gradients());
    assertTrue(built.stream().anyMatch(n -> n.op() == Op.COUNT), "mean over batch divides by count(batch)");
    for (Node n : built) {
      if (n.id() >= before) assertTrue(n.position().line() > 0, "no source line for " + n);
    }
    assertTrue(built.stream().anyMatch(n -> n.id() >= before && n.position().line() == 13),
        "the gradient of the logits points at their line");
    assertEquals(SourcePos.UNKNOWN, parsed.graph().position(), "the graph's position is restored");
  }

  @Test
  void rejectsANonScalarLoss() {
    Graph g = new Graph();
    Node w = g.variable("w", 0, Shape.of(2));
    ModelGraph m = new ModelGraph("", "M", g, List.of(variable("w", Shape.of(2), true, 1)),
        List.of(new Entry("loss", EntryKind.LOSS, List.of(), g.unary(Op.SQUARE, w), List.of(), line(4))));
    GraftException e = assertThrows(GraftException.class, () -> Autodiff.differentiate(m));
    assertEquals(Message.LOSS_NOT_SCALAR, e.kind());
    assertEquals(4, e.position().line());
  }

  @Test
  void reduceMaxSplitsTiesEvenly() {
    Graph g = new Graph();
    Node x = g.input("x", 0, Shape.of(2, 3), DType.FLOAT32);
    Node loss = g.reduce(Op.REDUCE_SUM, g.reduce(Op.REDUCE_MAX, x, new int[] {1}, false), new int[0], false);
    assertArrayEquals(new double[] {0, 0.5, 0.5, 0.5, 0.5, 0}, gradient(g, loss, x, Map.of("x", DoubleArray.of(
        new double[] {1, 3, 3, 2, 2, 0}, 2, 3))), 1e-15);
    Node all = g.reduce(Op.REDUCE_MAX, x, new int[0], false);
    assertArrayEquals(new double[] {0, 1 / 3.0, 1 / 3.0, 0, 1 / 3.0, 0}, gradient(g, all, x, Map.of("x", DoubleArray.of(
        new double[] {1, 4, 4, 2, 4, 0}, 2, 3))), 1e-15);
  }

  @Test
  void minimumAndMaximumTiesGoToTheFirstOperand() {
    Graph g = new Graph();
    Node a = g.input("a", 0, Shape.of(3), DType.FLOAT32);
    Node b = g.input("b", 1, Shape.of(3), DType.FLOAT32);
    Map<String, DoubleArray> feeds = Map.of("a", DoubleArray.of(new double[] {1, 2, 5}, 3), "b", DoubleArray.of(new double[] {1, 3, 4}, 3));
    Node min = g.reduce(Op.REDUCE_SUM, g.binary(Op.MINIMUM, a, b), new int[0], false);
    Node max = g.reduce(Op.REDUCE_SUM, g.binary(Op.MAXIMUM, a, b), new int[0], false);
    assertArrayEquals(new double[] {1, 1, 0}, gradient(g, min, a, feeds));
    assertArrayEquals(new double[] {0, 0, 1}, gradient(g, min, b, feeds));
    assertArrayEquals(new double[] {1, 0, 1}, gradient(g, max, a, feeds));
    assertArrayEquals(new double[] {0, 1, 0}, gradient(g, max, b, feeds));
  }

  @Test
  void unreachableTargetsGetSymbolicZerosAndLabelsGetNoGradientIr() {
    Graph g = new Graph();
    Node logits = g.input("logits", 0, Shape.of(2, 3), DType.FLOAT32);
    Node labels = g.input("labels", 1, Shape.of(2, 3), DType.FLOAT32);
    Node unrelated = g.input("u", 2, Shape.of(4), DType.FLOAT32);
    Node loss = g.reduce(Op.REDUCE_SUM, g.softmaxCrossEntropy(logits, labels), new int[0], false);
    List<Node> grads = Autodiff.gradients(g, loss, List.of(logits, unrelated));
    assertEquals(Op.BROADCAST_TO, grads.get(1).op());
    assertEquals(Shape.of(4), grads.get(1).shape());
    assertTrue(g.nodes().stream().noneMatch(n -> n.op() == Op.LOG_SOFTMAX), "the labels' gradient was never asked for");
    Node scalar = g.input("s", 3, Shape.scalar(), DType.FLOAT32);
    assertEquals(Op.CONSTANT, Autodiff.gradients(g, scalar, List.of(scalar)).get(0).op(), "dy/dy is the seed 1");
  }

  @Test
  void gradientsAreThemselvesDifferentiable() {
    Graph g = new Graph();
    Node x = g.input("x", 0, Shape.of(3), DType.FLOAT32);
    Node loss = g.reduce(Op.REDUCE_SUM, g.add(g.pow(x, 3), g.unary(Op.TANH, x)), new int[0], false);
    Node first = Autodiff.gradients(g, loss, List.of(x)).get(0);
    Node second = Autodiff.gradients(g, g.reduce(Op.REDUCE_SUM, first, new int[0], false), List.of(x)).get(0);
    double[] xs = {-0.7, 0.2, 1.3};
    double[] actual = new Interpreter(Map.of(), Map.of("x", DoubleArray.of(xs, 3)), Map.of()).evaluate(second).data();
    for (int i = 0; i < xs.length; i++) {
      double t = Math.tanh(xs[i]);
      assertEquals(6 * xs[i] - 2 * t * (1 - t * t), actual[i], 1e-12);
    }
  }

  /** An exact reference: Commons Math's forward-mode DerivativeStructure on a chain of elementwise ops. */
  @Test
  void elementwiseChainMatchesDerivativeStructure() {
    Graph g = new Graph();
    Node x = g.input("x", 0, Shape.of(6), DType.FLOAT32);
    Node w = g.input("w", 1, Shape.of(6), DType.FLOAT32);
    Node one = g.scalar(1);
    Node smooth = g.unary(Op.LOG, g.add(one, g.unary(Op.EXP, g.mul(g.unary(Op.TANH, x), g.unary(Op.SQRT, x)))));
    Node f = g.add(g.div(smooth, g.pow(x, 1.5)), g.unary(Op.SQUARE, g.unary(Op.SIGMOID, g.neg(x))));
    Node loss = g.reduce(Op.REDUCE_SUM, g.mul(f, w), new int[0], false);
    double[] xs = {0.5, 0.8, 1.1, 1.4, 1.7, 2.0};
    double[] ws = {1, -0.5, 0.25, 2, -1, 0.75};
    double[] actual = gradient(g, loss, x, Map.of("x", DoubleArray.of(xs, 6), "w", DoubleArray.of(ws, 6)));
    for (int i = 0; i < xs.length; i++) {
      DerivativeStructure v = new DerivativeStructure(1, 1, 0, xs[i]);
      DerivativeStructure sm = v.tanh().multiply(v.sqrt()).exp().add(1).log();
      DerivativeStructure sig = v.negate().negate().exp().add(1).reciprocal(); // sigmoid(-x) = 1 / (1 + e^x)
      DerivativeStructure fv = sm.divide(v.pow(1.5)).add(sig.multiply(sig));
      assertEquals(ws[i] * fv.getPartialDerivative(1), actual[i], 1e-13);
    }
  }

  private static double[] gradient(Graph g, Node y, Node x, Map<String, DoubleArray> feeds) {
    Node grad = Autodiff.gradients(g, y, List.of(x)).get(0);
    return new Interpreter(Map.of(), feeds, Map.of()).evaluate(grad).data();
  }

  private static double lossWith(Node loss, Map<String, Integer> dims, Map<String, DoubleArray> inputs,
      Map<String, DoubleArray> variables, String name, int j, double shift) {
    Map<String, DoubleArray> moved = new HashMap<>(variables);
    double[] data = variables.get(name).data().clone();
    data[j] += shift;
    moved.put(name, DoubleArray.of(data, variables.get(name).shape()));
    return new Interpreter(dims, inputs, moved).evaluate(loss).get(0);
  }

  private static DoubleArray oneHotRows(int rows, int classes, Random random) {
    double[] data = new double[rows * classes];
    for (int r = 0; r < rows; r++) data[r * classes + random.nextInt(classes)] = 1;
    return DoubleArray.of(data, rows, classes);
  }

  private static Set<Node> reachable(List<Node> roots) {
    Set<Node> seen = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>(roots);
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (seen.add(n)) work.addAll(n.inputs());
    }
    return seen;
  }
}
