package dev.graft.processor.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Attrs;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Each op on small cases computed by hand. */
class InterpreterTest {
  private static final double EPS = 1e-12;
  private static final Set<Op> TESTED = EnumSet.noneOf(Op.class);

  private final Graph g = new Graph();

  private static double[] d(double... v) {
    return v;
  }

  private Node c(double[] values, long... shape) {
    return g.constant(Shape.of(shape), values);
  }

  private Node ints(String name, long... shape) {
    return g.input(name, 0, Shape.of(shape), DType.INT32);
  }

  private static DoubleArray eval(Node n) {
    return eval(n, Map.of());
  }

  private static DoubleArray eval(Node n, Map<String, DoubleArray> inputs) {
    TESTED.add(n.op());
    return new Interpreter(Map.of(), inputs, Map.of()).evaluate(n);
  }

  private static void assertValue(DoubleArray actual, double[] expected, int... shape) {
    assertArrayEquals(shape, actual.shape(), "shape");
    assertArrayEquals(expected, actual.data(), EPS, "values of " + actual);
  }

  @Test
  void leaves() {
    Node x = g.input("x", 0, Shape.of(Dim.symbol("batch"), Dim.of(2)), DType.FLOAT32);
    Node v = g.variable("w", 0, Shape.of(2));
    Map<String, Integer> dims = Map.of("batch", 3);
    Interpreter in = new Interpreter(dims, Map.of("x", DoubleArray.of(d(1, 2, 3, 4, 5, 6), 3, 2)),
        Map.of("w", DoubleArray.of(d(7, 8), 2)));
    TESTED.addAll(List.of(Op.INPUT, Op.VARIABLE, Op.CONSTANT, Op.COUNT));
    assertValue(in.evaluate(x), d(1, 2, 3, 4, 5, 6), 3, 2);
    assertValue(in.evaluate(v), d(7, 8), 2);
    assertValue(in.evaluate(c(d(1, 2, 3), 3)), d(1, 2, 3), 3);
    Node count = g.count(Shape.of(Dim.symbol("batch"), Dim.of(4)));
    assertEquals(Op.COUNT, count.op());
    assertValue(in.evaluate(count), d(12));
    assertArrayEquals(new int[] {3, 8}, Interpreter.concreteShape(Shape.parse("batch, 8"), dims));
  }

  @Test
  void missingOrMisshapenFeedsAreNamed() {
    Node x = g.input("x", 0, Shape.of(2), DType.FLOAT32);
    Node w = g.variable("w", 0, Shape.of(2));
    Interpreter empty = new Interpreter(Map.of(), Map.of(), Map.of());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> empty.evaluate(x)).getMessage().contains("'x'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> empty.evaluate(w)).getMessage().contains("'w'"));
    Interpreter wrong = new Interpreter(Map.of(), Map.of("x", DoubleArray.of(d(1, 2, 3), 3)), Map.of());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> wrong.evaluate(x)).getMessage().contains("'x'"));
    Node batch = g.input("b", 0, Shape.parse("batch"), DType.FLOAT32);
    Interpreter unbound = new Interpreter(Map.of(), Map.of("b", DoubleArray.of(d(1), 1)), Map.of());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> unbound.evaluate(batch)).getMessage().contains("'batch'"));
  }

  @Test
  void unary() {
    Node x = c(d(-2, -0.5, 0, 0.5, 2), 5);
    assertValue(eval(g.neg(x)), d(2, 0.5, 0, -0.5, -2), 5);
    assertValue(eval(g.unary(Op.SQUARE, x)), d(4, 0.25, 0, 0.25, 4), 5);
    assertValue(eval(g.unary(Op.ABS, x)), d(2, 0.5, 0, 0.5, 2), 5);
    assertValue(eval(g.unary(Op.SIGN, x)), d(-1, -1, 0, 1, 1), 5);
    assertValue(eval(g.unary(Op.RELU, x)), d(0, 0, 0, 0.5, 2), 5);
    assertValue(eval(g.clip(x, -1, 1)), d(-1, -0.5, 0, 0.5, 1), 5);
    assertValue(eval(g.inside(c(d(-1, -0.5, 0, 1, 2), 5), -1, 1)), d(0, 1, 1, 0, 0), 5);
    assertValue(eval(g.unary(Op.TANH, x)), d(Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(0.5), Math.tanh(2)), 5);
    assertValue(eval(g.unary(Op.SIGMOID, c(d(0, Math.log(3)), 2))), d(0.5, 0.75), 2);
    Node p = c(d(1, 4, 9), 3);
    assertValue(eval(g.unary(Op.SQRT, p)), d(1, 2, 3), 3);
    assertValue(eval(g.pow(p, 1.5)), d(1, 8, 27), 3);
    assertValue(eval(g.unary(Op.EXP, c(d(0, 1), 2))), d(1, Math.E), 2);
    assertValue(eval(g.unary(Op.LOG, c(d(1, Math.E), 2))), d(0, 1), 2);
  }

  @Test
  void binaryBroadcastsRightAligned() {
    Node m = c(d(1, 2, 3, 4, 5, 6), 2, 3);
    Node row = c(d(10, 20, 30), 3);
    Node col = c(d(100, 200), 2, 1);
    assertValue(eval(g.add(m, row)), d(11, 22, 33, 14, 25, 36), 2, 3);
    assertValue(eval(g.sub(m, col)), d(-99, -98, -97, -196, -195, -194), 2, 3);
    assertValue(eval(g.mul(row, col)), d(1000, 2000, 3000, 2000, 4000, 6000), 2, 3);
    assertValue(eval(g.div(m, g.scalar(2))), d(0.5, 1, 1.5, 2, 2.5, 3), 2, 3);
    Node a = c(d(1, 5, 3), 3);
    Node b = c(d(2, 5, 1), 3);
    assertValue(eval(g.binary(Op.MINIMUM, a, b)), d(1, 5, 1), 3);
    assertValue(eval(g.binary(Op.MAXIMUM, a, b)), d(2, 5, 3), 3);
    assertValue(eval(g.binary(Op.GREATER, a, b)), d(0, 0, 1), 3);
    assertValue(eval(g.binary(Op.EQUAL, a, b)), d(0, 1, 0), 3);
  }

  @Test
  void layout() {
    Node m = c(d(1, 2, 3, 4, 5, 6), 2, 3);
    assertValue(eval(g.broadcastTo(c(d(1, 2), 2, 1), Shape.of(2, 2, 3))), d(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2), 2, 2, 3);
    assertValue(eval(g.reshape(m, Shape.of(3, 2))), d(1, 2, 3, 4, 5, 6), 3, 2);
    assertValue(eval(g.transpose(m, 1, 0)), d(1, 4, 2, 5, 3, 6), 3, 2);
    // [2, 3, 2] -> perm (2, 0, 1) -> [2, 2, 3]: out[i][j][k] = x[j][k][i]
    Node t = c(d(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 2, 3, 2);
    assertValue(eval(g.transpose(t, 2, 0, 1)), d(0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11), 2, 2, 3);
    assertValue(eval(g.concat(1, List.of(m, c(d(7, 8), 2, 1)))), d(1, 2, 3, 7, 4, 5, 6, 8), 2, 4);
    assertValue(eval(g.concat(0, List.of(m, c(d(7, 8, 9), 1, 3)))), d(1, 2, 3, 4, 5, 6, 7, 8, 9), 3, 3);
    assertValue(eval(g.slice(m, 1, Dim.of(1), Dim.of(2))), d(2, 3, 5, 6), 2, 2);
    assertValue(eval(g.slice(m, 0, Dim.zero(), Dim.of(1))), d(1, 2, 3), 1, 3);
    assertValue(eval(g.pad(c(d(1, 2, 3, 4), 2, 2), 1, Dim.of(1), Shape.of(2, 4))), d(0, 1, 2, 0, 0, 3, 4, 0), 2, 4);
  }

  @Test
  void matmulAllTransposeFlags() {
    double[] av = {1, 2, 3, 4, 5, 6};
    double[] bv = {7, 8, 9, 10, 11, 12};
    RealMatrix a = new Array2DRowRealMatrix(new double[][] {{1, 2, 3}, {4, 5, 6}}); // [2, 3]
    RealMatrix b = new Array2DRowRealMatrix(new double[][] {{7, 8}, {9, 10}, {11, 12}}); // [3, 2]
    assertValue(eval(g.matmul(c(av, 2, 3), c(bv, 3, 2), false, false)), d(58, 64, 139, 154), 2, 2);
    assertValue(eval(g.matmul(c(av, 2, 3), c(bv, 3, 2), false, false)), flat(a.multiply(b)), 2, 2);
    // The same numbers read as [3, 2] and [2, 3], transposed by the flags.
    RealMatrix at = new Array2DRowRealMatrix(new double[][] {{1, 2}, {3, 4}, {5, 6}});
    RealMatrix bt = new Array2DRowRealMatrix(new double[][] {{7, 8, 9}, {10, 11, 12}});
    assertValue(eval(g.matmul(c(av, 3, 2), c(bv, 3, 2), true, false)), flat(at.transpose().multiply(b)), 2, 2);
    assertValue(eval(g.matmul(c(av, 2, 3), c(bv, 2, 3), false, true)), flat(a.multiply(bt.transpose())), 2, 2);
    assertValue(eval(g.matmul(c(av, 3, 2), c(bv, 2, 3), true, true)), flat(at.transpose().multiply(bt.transpose())), 2, 2);
  }

  @Test
  void batchedMatmul() {
    // two batches of [1, 2] x [2, 1]
    Node a = c(d(1, 2, 3, 4), 2, 1, 2);
    Node b = c(d(5, 6, 7, 8), 2, 2, 1);
    assertValue(eval(g.matmul(a, b, false, false)), d(1 * 5 + 2 * 6, 3 * 7 + 4 * 8), 2, 1, 1);
    // shared b [2, 1]
    assertValue(eval(g.matmul(a, c(d(5, 6), 2, 1), false, false)), d(17, 39), 2, 1, 1);
    // batched with transposes: a read as [2, 2, 1]^T, b as [2, 1, 2]^T
    assertValue(eval(g.matmul(c(d(1, 2, 3, 4), 2, 2, 1), c(d(5, 6, 7, 8), 2, 1, 2), true, true)), d(17, 53), 2, 1, 1);
  }

  @Test
  void reductions() {
    Node x = c(d(1, 2, 3, 4, 5, 6), 2, 3);
    assertValue(eval(g.reduce(Op.REDUCE_SUM, x, new int[] {0}, false)), d(5, 7, 9), 3);
    assertValue(eval(g.reduce(Op.REDUCE_SUM, x, new int[] {1}, true)), d(6, 15), 2, 1);
    assertValue(eval(g.reduce(Op.REDUCE_SUM, x, new int[0], false)), d(21));
    assertValue(eval(g.reduce(Op.REDUCE_MEAN, x, new int[] {-1}, false)), d(2, 5), 2);
    assertValue(eval(g.reduce(Op.REDUCE_MEAN, x, new int[0], true)), d(3.5), 1, 1);
    assertValue(eval(g.reduce(Op.REDUCE_MAX, c(d(1, 9, 3, -4, -5, -6), 2, 3), new int[] {1}, false)), d(9, -4), 2);
    Node t = c(d(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 2, 3, 2);
    assertValue(eval(g.reduce(Op.REDUCE_SUM, t, new int[] {0, 2}, true)), d(0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11), 1, 3, 1);
  }

  @Test
  void rowwise() {
    double l3 = Math.log(3);
    Node x = c(d(0, l3, 1000, 1000 + l3), 2, 2); // the second row would overflow without the max shift
    assertValue(eval(g.softmax(x)), d(0.25, 0.75, 0.25, 0.75), 2, 2);
    assertValue(eval(g.logSoftmax(x)), d(Math.log(0.25), Math.log(0.75), Math.log(0.25), Math.log(0.75)), 2, 2);
    Node labels = c(d(1, 0, 0.5, 0.5), 2, 2);
    assertValue(eval(g.softmaxCrossEntropy(x, labels)), d(-Math.log(0.25), -0.5 * Math.log(0.25) - 0.5 * Math.log(0.75)), 2);
    Node sparse = ints("y", 2);
    assertValue(eval(g.sparseSoftmaxCrossEntropy(x, sparse), Map.of("y", DoubleArray.of(d(1, 0), 2))),
        d(-Math.log(0.75), -Math.log(0.25)), 2);
    assertThrows(IndexOutOfBoundsException.class,
        () -> eval(g.sparseSoftmaxCrossEntropy(x, sparse), Map.of("y", DoubleArray.of(d(2, 0), 2))));
    // softmax rows (0.25, 0.75) twice, minus one-hot (1, 0) and (0, 1), times 2 and -1
    Node rowScale = c(d(2, -1), 2);
    Node rowLoss = c(d(7, 7), 2); // wrong losses: the reference computes from the logits alone
    assertValue(eval(g.sparseSoftmaxCrossEntropyGrad(x, sparse, rowScale, rowLoss), Map.of("y", DoubleArray.of(d(1, 0), 2))),
        d(0.5, -0.5, 0.75, -0.75), 2, 2);
    // softmax · sum(labels) − labels: labels (1, 0) sum to 1, (1, 1) to 2
    Node unnormalized = c(d(1, 0, 1, 1), 2, 2);
    assertValue(eval(g.softmaxCrossEntropyGrad(x, unnormalized, rowScale)), d(-1.5, 1.5, 0.5, -0.5), 2, 2);
  }

  @Test
  void indexing() {
    Node table = c(d(1, 2, 3, 4, 5, 6), 3, 2);
    Node idx = ints("i", 2, 2);
    Map<String, DoubleArray> feeds = Map.of("i", DoubleArray.of(d(2, 0, 2, 2), 2, 2));
    assertValue(eval(g.gather(table, idx), feeds), d(5, 6, 1, 2, 5, 6, 5, 6), 2, 2, 2);
    Node updates = c(d(1, 1, 2, 2, 3, 3, 4, 4), 2, 2, 2);
    assertValue(eval(g.scatterAdd(idx, updates, Shape.of(3, 2)), feeds), d(2, 2, 0, 0, 8, 8), 3, 2);
    assertValue(eval(g.oneHot(idx, Dim.of(3)), feeds), d(0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1), 2, 2, 3);
    Map<String, DoubleArray> outOfRange = Map.of("i", DoubleArray.of(d(3, 0, -1, 1), 2, 2));
    assertValue(eval(g.oneHot(idx, Dim.of(3)), outOfRange), d(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0), 2, 2, 3);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> eval(g.gather(table, idx), outOfRange));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> eval(g.scatterAdd(idx, updates, Shape.of(3, 2)), outOfRange));
  }

  @Test
  void memoizesAndSharesWork() {
    Node x = g.input("x", 0, Shape.of(1), DType.FLOAT32);
    Node y = g.add(x, x);
    Interpreter in = new Interpreter(Map.of(), Map.of("x", DoubleArray.of(d(2), 1)), Map.of());
    DoubleArray first = in.evaluate(y);
    assertTrue(first == in.evaluate(y));
    assertValue(first, d(4), 1);
    // A long chain does not overflow the stack.
    Node chain = x;
    for (int i = 0; i < 20_000; i++) chain = g.add(chain, g.constant(Shape.scalar(), 1e-3 * (i % 7)));
    in.evaluate(chain);
  }

  @Test
  void rejectsNonIntegralIntFeed() {
    Node idx = g.input("i", 0, Shape.of(1), DType.INT32);
    assertThrows(IllegalArgumentException.class, () -> eval(idx, Map.of("i", DoubleArray.of(d(0.5), 1))));
  }

  @Test
  void evaluatesRawNodeBuiltFromAttrs() {
    Node x = c(d(3, 1, 2), 3);
    Node direct = g.make(Op.REDUCE_MAX, List.of(x), Attrs.ints(0).withFlag(true));
    assertValue(eval(direct), d(3), 1);
  }

  /** A running sum h' = h + x, with 2·x summed over time; every kind of output, in both directions. */
  @Test
  void scan() {
    Graph b = new Graph();
    Node x = b.input("x", 0, Shape.of(2), DType.FLOAT32);
    Node h = b.input("h", 1, Shape.of(2), DType.FLOAT32);
    Node next = b.add(h, x);
    ScanBody body = new ScanBody(b, List.of(x), List.of(h), List.of(next), List.of(next), List.of(b.mul(x, b.scalar(2))));
    List<Node> seq = List.of(c(d(1, 2, 3, 4, 5, 6), 3, 2));
    List<Node> init = List.of(c(d(0, 10), 2));
    List<Node> forward = g.scanOutputs(body, seq, init, false);
    assertValue(eval(forward.get(0)), d(9, 22), 2);
    assertValue(eval(forward.get(1)), d(1, 12, 4, 16, 9, 22), 3, 2);
    assertValue(eval(forward.get(2)), d(18, 24), 2);
    assertValue(eval(forward.get(3)), d(0, 10, 1, 12, 4, 16), 3, 2);
    // In reverse, t runs 2, 1, 0 and what step t computes is still stored at row t.
    List<Node> reverse = g.scanOutputs(body, seq, init, true);
    assertValue(eval(reverse.get(0)), d(9, 22), 2);
    assertValue(eval(reverse.get(1)), d(9, 22, 8, 20, 5, 16), 3, 2);
    assertValue(eval(reverse.get(3)), d(8, 20, 5, 16, 0, 10), 3, 2);
  }

  @AfterAll
  static void everyOpIsEvaluatedSomewhere() {
    Set<Op> missing = EnumSet.allOf(Op.class);
    missing.removeAll(TESTED);
    assertEquals(Set.of(), missing, "ops without an interpreter test");
  }

  private static double[] flat(RealMatrix m) {
    double[] out = new double[m.getRowDimension() * m.getColumnDimension()];
    for (int i = 0; i < m.getRowDimension(); i++) {
      for (int j = 0; j < m.getColumnDimension(); j++) out[i * m.getColumnDimension() + j] = m.getEntry(i, j);
    }
    return out;
  }
}
