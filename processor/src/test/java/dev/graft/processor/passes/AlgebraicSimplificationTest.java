package dev.graft.processor.passes;

import static dev.graft.processor.passes.TestModels.result;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import org.junit.jupiter.api.Test;

class AlgebraicSimplificationTest {
  private final TestModels t = new TestModels();
  private final Pass pass = new AlgebraicSimplification();

  private Node simplify(Node root) {
    ModelGraph out = pass.apply(t.output(root));
    Verifier.verify(out);
    return result(out);
  }

  @Test
  void additiveAndMultiplicativeIdentitiesDisappear() {
    Node x = t.input("x", "batch, 3");
    Node zero = t.g.scalar(0);
    Node one = t.g.scalar(1);
    assertSame(x, simplify(t.g.add(x, zero)));
    assertSame(x, simplify(t.g.add(zero, x)));
    assertSame(x, simplify(t.g.sub(x, zero)));
    assertSame(x, simplify(t.g.mul(x, one)));
    assertSame(x, simplify(t.g.mul(one, x)));
    assertSame(x, simplify(t.g.div(x, one)));
    assertSame(x, simplify(t.g.mul(t.g.mul(x, one), t.constant("3", 1, 1, 1))));
  }

  @Test
  void identitiesThatWidenTheShapeBecomeBroadcasts() {
    Node x = t.input("x", "3");
    Node out = simplify(t.g.add(x, t.constant("2, 3", 0, 0, 0, 0, 0, 0)));
    assertEquals(Op.BROADCAST_TO, out.op());
    assertSame(x, out.input(0));
    assertEquals(Shape.of(2, 3), out.shape());
  }

  @Test
  void nonIdentityConstantsStay() {
    Node x = t.input("x", "3");
    Node sum = t.g.add(x, t.constant("3", 0, 1, 0));
    assertSame(sum, simplify(sum));
    Node quotient = t.g.div(t.g.scalar(1), x);
    assertSame(quotient, simplify(quotient));
  }

  @Test
  void negationsCancelAndMinusOneIsANegation() {
    Node x = t.input("x", "4");
    assertSame(x, simplify(t.g.neg(t.g.neg(x))));
    assertSame(t.g.neg(x), simplify(t.g.sub(t.g.scalar(0), x)));
    assertSame(t.g.neg(x), simplify(t.g.mul(x, t.g.scalar(-1))));
    assertSame(x, simplify(t.g.neg(t.g.mul(t.g.scalar(-1), x))));
  }

  @Test
  void reshapesAndBroadcastsCollapse() {
    Node x = t.input("x", "batch, 6");
    Node twice = t.g.reshape(t.g.reshape(x, Shape.parse("batch, 2, 3")), Shape.parse("batch, 3, 2"));
    Node out = simplify(twice);
    assertEquals(Op.RESHAPE, out.op());
    assertSame(x, out.input(0));
    assertSame(x, simplify(t.g.reshape(t.g.reshape(x, Shape.parse("batch, 2, 3")), Shape.parse("batch, 6"))));

    Node v = t.input("v", "3");
    Node b = t.g.broadcastTo(t.g.broadcastTo(v, Shape.parse("2, 3")), Shape.parse("4, 2, 3"));
    Node collapsed = simplify(b);
    assertEquals(Op.BROADCAST_TO, collapsed.op());
    assertSame(v, collapsed.input(0));
  }

  @Test
  void transposesCompose() {
    Node x = t.input("x", "2, 3, 4");
    assertSame(x, simplify(t.g.transpose(t.g.transpose(x, 1, 0, 2), 1, 0, 2)));
    assertSame(x, simplify(t.g.transpose(t.g.transpose(x, -1, 0, 1), 1, 2, 0)));
    assertSame(x, simplify(t.g.transpose(x, 0, 1, 2)));
    // [2,3,4] -(1,2,0)-> [3,4,2] -(0,2,1)-> [3,2,4]: axis i of the result is x axis (1,0,2)[i].
    Node out = simplify(t.g.transpose(t.g.transpose(x, 1, 2, 0), 0, 2, 1));
    assertEquals(Op.TRANSPOSE, out.op());
    assertSame(x, out.input(0));
    assertArrayEquals(new int[] {1, 0, 2}, out.attrs().ints());
    assertEquals(Shape.of(3, 2, 4), out.shape());
  }

  @Test
  void logOfSoftmaxBecomesLogSoftmax() {
    Node z = t.input("z", "batch, 5");
    Node out = simplify(t.g.unary(Op.LOG, t.g.softmax(z)));
    assertEquals(Op.LOG_SOFTMAX, out.op());
    assertSame(z, out.input(0));
  }

  @Test
  void lectureCrossEntropyFusesInEitherOperandOrder() {
    Node z = t.input("z", "batch, 3");
    Node y = t.input("y", "batch, 3");
    Node logP = t.g.unary(Op.LOG, t.g.softmax(z));
    for (Node product : new Node[] {t.g.mul(y, logP), t.g.mul(logP, y)}) {
      Node perRow = t.g.neg(t.g.reduce(Op.REDUCE_SUM, product, new int[] {1}, false));
      Node out = simplify(perRow);
      assertEquals(Op.SOFTMAX_CROSS_ENTROPY, out.op());
      assertSame(z, out.input(0));
      assertSame(y, out.input(1));
    }
  }

  @Test
  void crossEntropyWithLogSoftmaxOrInnerNegationFuses() {
    Node z = t.input("z", "batch, 3");
    Node y = t.input("y", "batch, 3");
    Node product = t.g.mul(y, t.g.logSoftmax(z));
    Node outer = simplify(t.g.neg(t.g.reduce(Op.REDUCE_SUM, product, new int[] {-1}, false)));
    Node inner = simplify(t.g.reduce(Op.REDUCE_SUM, t.g.neg(product), new int[] {-1}, false));
    assertEquals(Op.SOFTMAX_CROSS_ENTROPY, outer.op());
    assertSame(outer, inner);
  }

  @Test
  void keepDimsCrossEntropyKeepsItsShape() {
    Node z = t.input("z", "batch, 3");
    Node y = t.input("y", "batch, 3");
    Node perRow = t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.logSoftmax(z)), new int[] {1}, true));
    Node out = simplify(perRow);
    assertEquals(Op.RESHAPE, out.op());
    assertEquals(Op.SOFTMAX_CROSS_ENTROPY, out.input(0).op());
    assertEquals(perRow.shape(), out.shape());
  }

  @Test
  void broadcastLabelsAreWidenedToTheLogits() {
    Node z = t.input("z", "batch, 3");
    Node prior = t.input("prior", "3");
    Node out = simplify(t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(prior, t.g.logSoftmax(z)), new int[] {1}, false)));
    assertEquals(Op.SOFTMAX_CROSS_ENTROPY, out.op());
    assertEquals(Op.BROADCAST_TO, out.input(1).op());
  }

  @Test
  void oneHotLabelsGiveTheSparseLoss() {
    Node z = t.input("z", "batch, 4");
    Node labels = t.input("labels", "batch", DType.INT32);
    Node oneHot = t.g.oneHot(labels, Dim.of(4));
    Node out = simplify(t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(oneHot, t.g.logSoftmax(z)), new int[] {1}, false)));
    assertEquals(Op.SPARSE_SOFTMAX_CROSS_ENTROPY, out.op());
    assertSame(z, out.input(0));
    assertSame(labels, out.input(1));
  }

  @Test
  void lookalikesThatAreNotCrossEntropyStay() {
    Node z = t.input("z", "4, 3");
    Node y = t.input("y", "4, 3");
    Node overRows = t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.logSoftmax(z)), new int[] {0}, false));
    assertSame(overRows, simplify(overRows));
    Node positive = t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.logSoftmax(z)), new int[] {1}, false);
    assertSame(positive, simplify(positive));
    Node logOfOther = t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.unary(Op.LOG, z)), new int[] {1}, false));
    assertSame(logOfOther, simplify(logOfOther));
    // The logits broadcast up to the labels' shape: not a per-row cross-entropy of z.
    Node wide = t.input("wide", "2, 4, 3");
    Node widened = t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(wide, t.g.logSoftmax(z)), new int[] {2}, false));
    assertSame(widened, simplify(widened));
  }

  /** The gradient of log through softmax as reverse mode builds it: s * (g/s - sum(s * g/s)). */
  @Test
  void softmaxDivisionsInGradientsCancel() {
    Node z = t.input("z", "batch, 3");
    Node upstream = t.input("upstream", "batch, 3");
    Node s = t.g.softmax(z);
    Node quotient = t.g.div(upstream, s);
    Node rowSum = t.g.reduce(Op.REDUCE_SUM, t.g.mul(s, quotient), new int[] {1}, true);
    Node out = simplify(t.g.mul(s, t.g.sub(quotient, rowSum)));
    // upstream - s * reduceSum(upstream): no division left.
    assertEquals(Op.SUB, out.op());
    assertSame(upstream, out.input(0));
    assertEquals(Op.MUL, out.input(1).op());
    assertSame(s, out.input(1).input(0));
    assertSame(t.g.reduce(Op.REDUCE_SUM, upstream, new int[] {1}, true), out.input(1).input(1));
    assertSame(upstream, simplify(t.g.mul(quotient, s)));
    Node notSoftmax = t.g.mul(z, t.g.div(upstream, z));
    assertSame(notSoftmax, simplify(notSoftmax));
  }

  @Test
  void sharedSoftmaxStaysAvailableToOtherEntries() {
    Node z = t.input("z", "batch, 3");
    Node y = t.input("y", "batch, 3");
    Node probabilities = t.g.softmax(z);
    Node cost = t.g.reduce(Op.REDUCE_MEAN,
        t.g.neg(t.g.reduce(Op.REDUCE_SUM, t.g.mul(y, t.g.unary(Op.LOG, probabilities)), new int[] {1}, false)),
        new int[0], false);
    var inputs = java.util.List.of(new ModelGraph.InputDecl("z", z.shape(), DType.FLOAT32, dev.graft.processor.ir.SourcePos.UNKNOWN),
        new ModelGraph.InputDecl("y", y.shape(), DType.FLOAT32, dev.graft.processor.ir.SourcePos.UNKNOWN));
    ModelGraph model = t.model(
        new ModelGraph.Entry("predictions", ModelGraph.EntryKind.OUTPUT, inputs.subList(0, 1), probabilities, java.util.List.of(),
            dev.graft.processor.ir.SourcePos.UNKNOWN),
        new ModelGraph.Entry("cost", ModelGraph.EntryKind.LOSS, inputs, cost, java.util.List.of(), dev.graft.processor.ir.SourcePos.UNKNOWN));
    ModelGraph out = pass.apply(model);
    Verifier.verify(out);
    assertSame(probabilities, out.entries().get(0).result());
    Node newCost = out.entries().get(1).result();
    assertEquals(Op.REDUCE_MEAN, newCost.op());
    assertEquals(Op.SOFTMAX_CROSS_ENTROPY, newCost.input(0).op());
    assertEquals(false, Reachability.of(out.entries().get(1)).contains(probabilities));
  }
}
