package dev.graft.processor.passes;

import static dev.graft.processor.passes.TestModels.result;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PassesTest {
  private final TestModels t = new TestModels();
  private final List<String> passesRun = new ArrayList<>();

  /** Optimizes with the verifier after every pass. */
  private ModelGraph optimize(ModelGraph model) {
    return Passes.optimize(model, (pass, out) -> {
      passesRun.add(pass.name());
      Verifier.verify(out);
    });
  }

  @Test
  void seedGraphFoldsTo22point5AtCompileTime() {
    Node b = t.g.scalar(1.5f);
    Node c = t.g.scalar(3f);
    Node a = result(optimize(t.output(t.g.mul(t.g.add(b, c), t.g.add(c, t.g.scalar(2f))))));
    assertEquals(Op.CONSTANT, a.op());
    assertEquals(22.5, a.attrs().realAt(0));
    assertEquals(List.of(a), Reachability.of(t.output(a)));
  }

  @Test
  void seedVectorFolds() {
    Node b = t.constant("4", 1.5f, 2f, 1f, 4.2f);
    Node c = t.constant("4", 3f, 1f, 5f, 10f);
    Node a = result(optimize(t.output(t.g.mul(t.g.add(b, c), t.g.add(c, t.g.scalar(2f))))));
    // (b + c) * (c + 2) elementwise; the second element is (2 + 1) * (1 + 2) = 9 (the brief's 12 is a slip).
    assertArrayEquals(new double[] {22.5, 9, 42, 170.4f}, a.attrs().reals());
  }

  @Test
  void runsPassesInOrderToAFixedPoint() {
    Node x = t.input("x", "3");
    // A fold exposes an identity: x * (3 - 2) -> x * 1 -> x; the second round changes nothing.
    Node root = t.g.mul(x, t.g.sub(t.g.scalar(3), t.g.scalar(2)));
    assertSame(x, result(optimize(t.output(root))));
    List<String> round = Passes.pipeline().stream().map(Pass::name).toList();
    assertEquals(List.of("constant-folding", "algebraic-simplification", "cse", "dead-code-elimination"), round);
    assertEquals(2 * round.size(), passesRun.size());
    assertEquals(round, passesRun.subList(0, round.size()));
  }

  /** The lecture's softmax regression: reduce_mean(-reduce_sum(y * log(softmax(x @ beta + bias)), 1)). */
  @Test
  void lectureLogisticRegressionCostBecomesFusedCrossEntropy() {
    ModelGraph model = logisticRegression();
    ModelGraph out = optimize(model);
    Node cost = out.entries().get(1).result();
    assertEquals(Op.REDUCE_MEAN, cost.op());
    Node perRow = cost.input(0);
    assertEquals(Op.SOFTMAX_CROSS_ENTROPY, perRow.op());
    assertEquals(Op.ADD, perRow.input(0).op());
    assertEquals(Op.INPUT, perRow.input(1).op());
    assertFalse(Reachability.of(out.entries().get(1)).stream().anyMatch(n -> n.op() == Op.SOFTMAX || n.op() == Op.LOG));
    assertEquals(Op.SOFTMAX, out.entries().get(0).result().op());
    assertValuesPreserved(model, out, Map.of("batch", 5));
  }

  @Test
  void outputIsDeterministic() {
    Function<ModelGraph, List<String>> dump = m -> Reachability.of(m).stream().map(Node::toString).toList();
    ModelGraph first = Passes.optimize(logisticRegression());
    ModelGraph second = Passes.optimize(new PassesTest().logisticRegression());
    assertEquals(dump.apply(first), dump.apply(second));
  }

  @Test
  void everyRewritePreservesValuesOnRandomInputs() {
    Node x = t.input("x", "batch, 4");
    Node y = t.input("y", "batch, 4");
    Node labels = t.input("labels", "batch", DType.INT32);
    Node w = t.variable("w", "4, 4");
    Node zero = t.g.scalar(0);
    Node one = t.g.scalar(1);
    Node z = t.g.add(t.g.matmul(t.g.mul(x, one), w, false, false), t.g.add(zero, t.g.constant(Shape.of(4), 0, 0, 0, 0)));
    Node logP = t.g.unary(Op.LOG, t.g.softmax(z));
    Node dense = t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(logP, t.g.softmax(y)), new int[] {1}, false));
    Node sparse = t.g.reduce(Op.REDUCE_SUM, t.g.neg(t.g.mul(t.g.oneHot(labels, Dim.of(4)), logP)), new int[] {-1}, true);
    Node layout = t.g.transpose(t.g.transpose(t.g.reshape(t.g.reshape(t.g.neg(t.g.neg(x)), Shape.parse("batch, 2, 2")),
        Shape.parse("batch, 4")), 1, 0), 1, 0);
    Node folded = t.g.div(t.g.sub(layout, zero), t.g.mul(t.g.add(t.g.scalar(0.5), t.g.scalar(0.5)), one));
    Node s = t.g.softmax(t.g.mul(y, x));
    Node quotient = t.g.div(x, s);
    Node gradientLike = t.g.mul(s, t.g.sub(quotient, t.g.reduce(Op.REDUCE_SUM, t.g.mul(quotient, s), new int[] {1}, true)));
    Node root = t.g.add(t.g.add(t.g.mul(dense, t.g.scalar(2)), t.g.reduce(Op.REDUCE_SUM, sparse, new int[] {1}, false)),
        t.g.reduce(Op.REDUCE_SUM, t.g.mul(folded, gradientLike), new int[] {1}, false));
    ModelGraph model = t.output(root);
    ModelGraph out = optimize(model);
    List<Op> ops = Reachability.of(out).stream().map(Node::op).toList();
    assertTrue(ops.contains(Op.SOFTMAX_CROSS_ENTROPY), ops::toString);
    assertTrue(ops.contains(Op.SPARSE_SOFTMAX_CROSS_ENTROPY), ops::toString);
    assertFalse(ops.contains(Op.TRANSPOSE) || ops.contains(Op.DIV) || ops.contains(Op.LOG), ops::toString);
    assertValuesPreserved(model, out, Map.of("batch", 3));
  }

  ModelGraph logisticRegression() {
    Node x = t.input("x", "batch, 4");
    Node beta = t.variable("beta", "4, 3");
    Node bias = t.variable("bias", "3");
    Node predictions = t.g.softmax(t.g.add(t.g.matmul(x, beta, false, false), bias));
    var xDecl = new ModelGraph.InputDecl("x", x.shape(), DType.FLOAT32, dev.graft.processor.ir.SourcePos.UNKNOWN);
    Node y = t.input("y", "batch, 3");
    Node cost = t.g.reduce(Op.REDUCE_MEAN,
        t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.unary(Op.LOG, predictions)), new int[] {1}, false)),
        new int[0], false);
    var yDecl = new ModelGraph.InputDecl("y", y.shape(), DType.FLOAT32, dev.graft.processor.ir.SourcePos.UNKNOWN);
    var none = dev.graft.processor.ir.SourcePos.UNKNOWN;
    return t.model(
        new ModelGraph.Entry("predictions", ModelGraph.EntryKind.OUTPUT, List.of(xDecl), predictions, List.of(), none),
        new ModelGraph.Entry("cost", ModelGraph.EntryKind.LOSS, List.of(xDecl, yDecl), cost, List.of(), none));
  }

  /** Evaluates every entry before and after on the same random feeds and variables. */
  private static void assertValuesPreserved(ModelGraph before, ModelGraph after, Map<String, Integer> dims) {
    Random random = new Random(7);
    Map<String, DoubleArray> variables = new HashMap<>();
    for (ModelGraph.VariableDecl v : before.variables()) variables.put(v.name(), random(v.shape(), dims, random, 0));
    for (int e = 0; e < before.entries().size(); e++) {
      Map<String, DoubleArray> inputs = new HashMap<>();
      for (ModelGraph.InputDecl in : before.entries().get(e).inputs()) {
        inputs.put(in.name(), random(in.shape(), dims, random, in.dtype() == DType.INT32 ? 4 : 0));
      }
      DoubleArray expected = new Interpreter(dims, inputs, variables).evaluate(before.entries().get(e).result());
      DoubleArray actual = new Interpreter(dims, inputs, variables).evaluate(after.entries().get(e).result());
      assertTrue(expected.closeTo(actual, 1e-9), () -> expected + " became " + actual);
    }
  }

  /** Uniform floats in [-2, 2), or ints in [0, classes) when {@code classes > 0}. */
  private static DoubleArray random(Shape shape, Map<String, Integer> dims, Random random, int classes) {
    int[] s = Interpreter.concreteShape(shape, dims);
    int n = 1;
    for (int d : s) n *= d;
    double[] data = new double[n];
    for (int i = 0; i < n; i++) data[i] = classes > 0 ? random.nextInt(classes) : 4 * random.nextDouble() - 2;
    return new DoubleArray(s, data);
  }
}
