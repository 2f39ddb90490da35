package dev.graft.processor.autodiff;

import static dev.graft.processor.autodiff.GradientCheck.arg;
import static dev.graft.processor.autodiff.GradientCheck.indices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.processor.autodiff.GradientCheck.Arg;
import dev.graft.processor.autodiff.GradientCheck.Case;
import dev.graft.processor.autodiff.GradientCheck.Values;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** A finite-difference gradient check for every differentiable op, in its broadcasting and layout variants. */
class OpGradientTest {
  /**
   * Ops that carry no gradient, and why: leaves are targets or constants; SIGN, INSIDE, GREATER,
   * EQUAL and ONE_HOT are piecewise constant (zero derivative almost everywhere) and serve as
   * gradient masks; COUNT depends on shapes only; the two cross-entropy gradients are built by
   * autodiff itself (their values are checked through the two losses' cases).
   */
  static final Set<Op> NO_GRADIENT = EnumSet.of(Op.INPUT, Op.VARIABLE, Op.CONSTANT, Op.COUNT,
      Op.SIGN, Op.INSIDE, Op.GREATER, Op.EQUAL, Op.ONE_HOT, Op.SOFTMAX_CROSS_ENTROPY_GRAD,
      Op.SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD);

  private static final Values ANY = Values.uniform(-2, 2);
  private static final Values POSITIVE = Values.uniform(0.5, 2);

  private static Shape s(long... dims) {
    return Shape.of(dims);
  }

  private static final List<Case> CASES = new ArrayList<>();

  private static void add(Op op, String name, List<Arg> args, BiFunction<Graph, List<Node>, Node> body) {
    CASES.add(new Case(op, name, Map.of(), args, body));
  }

  private static void unary(Op op, Values values, BiFunction<Graph, Node, Node> f) {
    add(op, "[2, 3]", List.of(arg("x", s(2, 3), values)), (g, a) -> f.apply(g, a.get(0)));
  }

  /** Binary op in the same-shape and several broadcasting layouts. */
  private static void binary(Op op, Values first, Values second) {
    long[][][] layouts = {
        {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{3}, {2, 3}}, {{2, 1}, {1, 3}}, {{2, 3}, {}}, {{}, {2, 3}}, {{2, 1, 3}, {4, 1}},
    };
    for (long[][] l : layouts) {
      add(op, s(l[0]) + " with " + s(l[1]), List.of(arg("a", s(l[0]), first), arg("b", s(l[1]), second)),
          (g, a) -> g.binary(op, a.get(0), a.get(1)));
    }
  }

  static {
    unary(Op.NEG, ANY, Graph::neg);
    unary(Op.SQUARE, ANY, (g, x) -> g.unary(Op.SQUARE, x));
    unary(Op.SQRT, POSITIVE, (g, x) -> g.unary(Op.SQRT, x));
    unary(Op.EXP, ANY, (g, x) -> g.unary(Op.EXP, x));
    unary(Op.LOG, POSITIVE, (g, x) -> g.unary(Op.LOG, x));
    unary(Op.TANH, ANY, (g, x) -> g.unary(Op.TANH, x));
    unary(Op.SIGMOID, ANY, (g, x) -> g.unary(Op.SIGMOID, x));
    unary(Op.RELU, Values.awayFromZero(0.1, 2), (g, x) -> g.unary(Op.RELU, x));
    unary(Op.ABS, Values.awayFromZero(0.1, 2), (g, x) -> g.unary(Op.ABS, x));
    add(Op.POW, "cube", List.of(arg("x", s(2, 3), ANY)), (g, a) -> g.pow(a.get(0), 3));
    add(Op.POW, "2.5", List.of(arg("x", s(2, 3), POSITIVE)), (g, a) -> g.pow(a.get(0), 2.5));
    add(Op.POW, "-1.5", List.of(arg("x", s(2, 3), POSITIVE)), (g, a) -> g.pow(a.get(0), -1.5));
    add(Op.POW, "1", List.of(arg("x", s(3), ANY)), (g, a) -> g.pow(a.get(0), 1));
    // |x| in [0.1, 0.9] or [1.1, 2]: inside and outside [-1, 1], away from the bounds.
    Values insideOrOutside = r -> (r.nextBoolean() ? 1 : -1) * (r.nextBoolean() ? 0.1 + 0.8 * r.nextDouble() : 1.1 + 0.9 * r.nextDouble());
    add(Op.CLIP, "[-1, 1]", List.of(arg("x", s(3, 4), insideOrOutside)), (g, a) -> g.clip(a.get(0), -1, 1));
    add(Op.CLIP, "[-0.5, 1] both sides", List.of(arg("x", s(3, 4), Values.grid(-1.25, 0.5, 6))),
        (g, a) -> g.clip(a.get(0), -0.5, 1));

    binary(Op.ADD, ANY, ANY);
    binary(Op.SUB, ANY, ANY);
    binary(Op.MUL, ANY, ANY);
    binary(Op.DIV, ANY, Values.awayFromZero(0.5, 2));
    // Values on two interleaved grids never tie, so the min/max is differentiable at the point.
    binary(Op.MINIMUM, Values.grid(-2, 0.5, 8), Values.grid(-1.75, 0.5, 8));
    binary(Op.MAXIMUM, Values.grid(-2, 0.5, 8), Values.grid(-1.75, 0.5, 8));

    add(Op.BROADCAST_TO, "[3] to [2, 3]", List.of(arg("x", s(3), ANY)), (g, a) -> g.broadcastTo(a.get(0), s(2, 3)));
    add(Op.BROADCAST_TO, "[2, 1] to [4, 2, 3]", List.of(arg("x", s(2, 1), ANY)), (g, a) -> g.broadcastTo(a.get(0), s(4, 2, 3)));
    add(Op.BROADCAST_TO, "[] to [2, 2]", List.of(arg("x", s(), ANY)), (g, a) -> g.broadcastTo(a.get(0), s(2, 2)));
    add(Op.RESHAPE, "[2, 3] to [3, 2]", List.of(arg("x", s(2, 3), ANY)), (g, a) -> g.reshape(a.get(0), s(3, 2)));
    add(Op.RESHAPE, "[2, 3] to [6, 1, 1]", List.of(arg("x", s(2, 3), ANY)), (g, a) -> g.reshape(a.get(0), s(6, 1, 1)));
    add(Op.TRANSPOSE, "2-d", List.of(arg("x", s(2, 3), ANY)), (g, a) -> g.transpose(a.get(0), 1, 0));
    add(Op.TRANSPOSE, "(2, 0, 1)", List.of(arg("x", s(2, 3, 4), ANY)), (g, a) -> g.transpose(a.get(0), 2, 0, 1));
    add(Op.TRANSPOSE, "(0, -1, 1)", List.of(arg("x", s(2, 3, 4), ANY)), (g, a) -> g.transpose(a.get(0), 0, -1, 1));
    add(Op.CONCAT, "axis 0", List.of(arg("a", s(2, 3), ANY), arg("b", s(1, 3), ANY)),
        (g, a) -> g.concat(0, List.of(a.get(0), a.get(1))));
    add(Op.CONCAT, "three along axis -1", List.of(arg("a", s(2, 1), ANY), arg("b", s(2, 3), ANY), arg("c", s(2, 2), ANY)),
        (g, a) -> g.concat(-1, a));
    add(Op.CONCAT, "one input twice, axis 1 of 3", List.of(arg("a", s(2, 2, 3), ANY)),
        (g, a) -> g.concat(1, List.of(a.get(0), a.get(0))));
    add(Op.SLICE, "axis 1 middle", List.of(arg("x", s(3, 4), ANY)), (g, a) -> g.slice(a.get(0), 1, Dim.of(1), Dim.of(2)));
    add(Op.SLICE, "axis 0 start", List.of(arg("x", s(3, 4), ANY)), (g, a) -> g.slice(a.get(0), 0, Dim.zero(), Dim.of(2)));
    add(Op.SLICE, "axis -1 end of rank 3", List.of(arg("x", s(2, 3, 4), ANY)), (g, a) -> g.slice(a.get(0), -1, Dim.of(3), Dim.of(1)));
    add(Op.PAD, "axis 1", List.of(arg("x", s(2, 2), ANY)), (g, a) -> g.pad(a.get(0), 1, Dim.of(2), s(2, 5)));
    add(Op.PAD, "axis 0 at start", List.of(arg("x", s(1, 3), ANY)), (g, a) -> g.pad(a.get(0), 0, Dim.zero(), s(3, 3)));

    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        String flags = (ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B");
        Shape a2 = ta ? s(4, 2) : s(2, 4);
        Shape b2 = tb ? s(3, 4) : s(4, 3);
        add(Op.MATMUL, flags, List.of(arg("a", a2, ANY), arg("b", b2, ANY)), (g, a) -> g.matmul(a.get(0), a.get(1), ta, tb));
        Shape a3 = Shape.of(Dim.of(2)).concat(a2);
        add(Op.MATMUL, "batched " + flags, List.of(arg("a", a3, ANY), arg("b", Shape.of(Dim.of(2)).concat(b2), ANY)),
            (g, a) -> g.matmul(a.get(0), a.get(1), ta, tb));
        add(Op.MATMUL, "shared B " + flags, List.of(arg("a", a3, ANY), arg("b", b2, ANY)),
            (g, a) -> g.matmul(a.get(0), a.get(1), ta, tb));
      }
    }

    for (Op op : List.of(Op.REDUCE_SUM, Op.REDUCE_MEAN, Op.REDUCE_MAX)) {
      // Continuous random values do not tie, so max is differentiable at the point.
      Values distinct = Values.uniform(-2, 2);
      int[][] axes = {{0}, {1}, {}, {0, 2}, {-1}, {1, 2}};
      for (int[] ax : axes) {
        for (boolean keep : new boolean[] {false, true}) {
          add(op, Arrays.toString(ax) + (keep ? " keepDims" : ""), List.of(arg("x", s(2, 3, 4), distinct)),
              (g, a) -> g.reduce(op, a.get(0), ax, keep));
        }
      }
    }
    CASES.add(new Case(Op.REDUCE_MEAN, "symbolic batch", Map.of("batch", 3),
        List.of(arg("x", Shape.parse("batch, 2"), ANY)), (g, a) -> g.reduce(Op.REDUCE_MEAN, a.get(0), new int[] {0}, false)));
    CASES.add(new Case(Op.REDUCE_SUM, "symbolic batch keepDims", Map.of("batch", 3),
        List.of(arg("x", Shape.parse("batch, 2"), ANY)), (g, a) -> g.reduce(Op.REDUCE_SUM, a.get(0), new int[] {0}, true)));

    add(Op.SOFTMAX, "[2, 4]", List.of(arg("x", s(2, 4), ANY)), (g, a) -> g.softmax(a.get(0)));
    add(Op.SOFTMAX, "[2, 2, 3]", List.of(arg("x", s(2, 2, 3), ANY)), (g, a) -> g.softmax(a.get(0)));
    add(Op.SOFTMAX, "[5]", List.of(arg("x", s(5), ANY)), (g, a) -> g.softmax(a.get(0)));
    add(Op.LOG_SOFTMAX, "[2, 4]", List.of(arg("x", s(2, 4), ANY)), (g, a) -> g.logSoftmax(a.get(0)));
    add(Op.LOG_SOFTMAX, "[2, 2, 3]", List.of(arg("x", s(2, 2, 3), ANY)), (g, a) -> g.logSoftmax(a.get(0)));
    add(Op.SOFTMAX_CROSS_ENTROPY, "logits and labels [3, 4]", List.of(arg("logits", s(3, 4), ANY), arg("labels", s(3, 4), Values.uniform(0, 1))),
        (g, a) -> g.softmaxCrossEntropy(a.get(0), a.get(1)));
    add(Op.SOFTMAX_CROSS_ENTROPY, "labels a distribution", List.of(arg("logits", s(3, 4), ANY), arg("raw", s(3, 4), ANY)),
        (g, a) -> g.softmaxCrossEntropy(a.get(0), g.softmax(a.get(1))));
    add(Op.SOFTMAX_CROSS_ENTROPY, "rank 3", List.of(arg("logits", s(2, 2, 3), ANY), arg("labels", s(2, 2, 3), Values.uniform(0, 1))),
        (g, a) -> g.softmaxCrossEntropy(a.get(0), a.get(1)));
    add(Op.SPARSE_SOFTMAX_CROSS_ENTROPY, "[3, 4]", List.of(arg("logits", s(3, 4), ANY), indices("labels", s(3), 4)),
        (g, a) -> g.sparseSoftmaxCrossEntropy(a.get(0), a.get(1)));
    add(Op.SPARSE_SOFTMAX_CROSS_ENTROPY, "rank 3", List.of(arg("logits", s(2, 3, 5), ANY), indices("labels", s(2, 3), 5)),
        (g, a) -> g.sparseSoftmaxCrossEntropy(a.get(0), a.get(1)));

    // With 7 or 6 indices into 3 rows, some rows repeat.
    add(Op.GATHER, "repeated rows", List.of(arg("table", s(3, 2), ANY), indices("i", s(7), 3)), (g, a) -> g.gather(a.get(0), a.get(1)));
    add(Op.GATHER, "2-d indices into [3, 2, 2]", List.of(arg("table", s(3, 2, 2), ANY), indices("i", s(2, 3), 3)),
        (g, a) -> g.gather(a.get(0), a.get(1)));
    add(Op.GATHER, "rank-1 table", List.of(arg("table", s(4), ANY), indices("i", s(2, 3), 4)), (g, a) -> g.gather(a.get(0), a.get(1)));
    add(Op.SCATTER_ADD, "repeated rows", List.of(indices("i", s(5), 3), arg("updates", s(5, 2), ANY)),
        (g, a) -> g.scatterAdd(a.get(0), a.get(1), s(3, 2)));
    add(Op.SCATTER_ADD, "2-d indices", List.of(indices("i", s(2, 2), 3), arg("updates", s(2, 2, 4), ANY)),
        (g, a) -> g.scatterAdd(a.get(0), a.get(1), s(3, 4)));

    // BPTT with respect to the sequence and the initial carries (scan/BpttGradientTest covers the
    // weights a body reads, longer sequences and LSTM cells). The result is the stacked outputs
    // times the final carry, so both kinds of output carry a cotangent.
    add(Op.SCAN, "tanh cell over 3 steps", List.of(arg("xs", s(3, 2, 2), ANY), arg("h0", s(2, 2), ANY)),
        (g, a) -> scanCell(g, a, false));
    add(Op.SCAN, "tanh cell in reverse", List.of(arg("xs", s(3, 2, 2), ANY), arg("h0", s(2, 2), ANY)),
        (g, a) -> scanCell(g, a, true));
  }

  /** h' = tanh(x·W + h·U) with constant W and U, as a scan; outputs · final state (broadcast over time). */
  private static Node scanCell(Graph g, List<Node> a, boolean reverse) {
    Graph b = new Graph();
    Node x = b.input("x", 0, s(2, 2), dev.graft.dsl.DType.FLOAT32);
    Node h = b.input("h", 1, s(2, 2), dev.graft.dsl.DType.FLOAT32);
    Node w = b.constant(s(2, 2), 0.5, -1.2, 0.9, 0.3);
    Node u = b.constant(s(2, 2), -0.7, 0.4, 1.1, 0.6);
    Node next = b.unary(Op.TANH, b.add(b.matmul(x, w, false, false), b.matmul(h, u, false, false)));
    ScanBody body = new ScanBody(b, List.of(x), List.of(h), List.of(next), List.of(next), List.of());
    Node outputs = g.scan(body, List.of(a.get(0)), List.of(a.get(1)), reverse, 1);
    Node last = g.scan(body, List.of(a.get(0)), List.of(a.get(1)), reverse, 0);
    return g.mul(outputs, last);
  }

  @TestFactory
  Stream<DynamicTest> everyOpMatchesFiniteDifferences() {
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> GradientCheck.run(c)));
  }

  @Test
  void everyOpIsCheckedOrHasNoGradient() {
    Set<Op> checked = EnumSet.noneOf(Op.class);
    for (Case c : CASES) checked.add(c.op());
    Set<Op> unaccounted = EnumSet.allOf(Op.class);
    unaccounted.removeAll(checked);
    unaccounted.removeAll(NO_GRADIENT);
    assertEquals(Set.of(), unaccounted, "ops with neither a gradient check nor a place in the no-gradient list");
    assertEquals(Autodiff.differentiableOps(), checked, "ops with a gradient rule should be exactly the checked ones");
    assertEquals(Autodiff.NO_GRADIENT, NO_GRADIENT);
  }
}
