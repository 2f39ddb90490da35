package dev.graft.processor.passes;

import static dev.graft.processor.passes.TestModels.result;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import org.junit.jupiter.api.Test;

class ConstantFoldingTest {
  private final TestModels t = new TestModels();

  private Node fold(Node root) {
    ModelGraph out = new ConstantFolding().apply(t.output(root));
    Verifier.verify(out);
    return result(out);
  }

  /** The lecture's first graph: b = 1.5, c = 3, d = b + c, e = c + 2, a = d * e. */
  @Test
  void seedScalarGraphFoldsTo22point5() {
    Node b = t.g.scalar(1.5f);
    Node c = t.g.scalar(3f);
    Node a = t.g.mul(t.g.add(b, c), t.g.add(c, t.g.scalar(2f)));
    Node folded = fold(a);
    assertEquals(Op.CONSTANT, folded.op());
    assertEquals(Shape.scalar(), folded.shape());
    assertEquals(22.5, folded.attrs().realAt(0));
  }

  @Test
  void seedVectorGraphFoldsElementwise() {
    Node b = t.constant("4", 1.5f, 2f, 1f, 4.2f);
    Node c = t.constant("4", 3f, 1f, 5f, 10f);
    Node a = t.g.mul(t.g.add(b, c), t.g.add(c, t.g.scalar(2f)));
    Node folded = fold(a);
    assertEquals(Op.CONSTANT, folded.op());
    // (b + c) * (c + 2) elementwise; the second element is (2 + 1) * (1 + 2) = 9 (the brief's 12 is a slip).
    assertArrayEquals(new double[] {22.5, 9, 42, 170.4f}, folded.attrs().reals());
  }

  @Test
  void foldedValuesAreRoundedToFloat32() {
    Node third = fold(t.g.div(t.g.scalar(1), t.g.scalar(3)));
    assertEquals((double) (1f / 3f), third.attrs().realAt(0));
  }

  @Test
  void constantSubtreesFoldInsideALargerExpression() {
    Node x = t.input("x", "batch, 2");
    Node root = t.g.mul(x, t.g.add(t.g.scalar(2), t.g.scalar(3)));
    Node folded = fold(root);
    assertEquals(Op.MUL, folded.op());
    assertSame(x, folded.input(0));
    assertSame(t.g.scalar(5), folded.input(1));
  }

  @Test
  void matmulOfConstantsFolds() {
    Node a = t.constant("2, 2", 1, 2, 3, 4);
    Node b = t.constant("2, 2", 5, 6, 7, 8);
    assertArrayEquals(new double[] {19, 22, 43, 50}, fold(t.g.matmul(a, b, false, false)).attrs().reals());
  }

  @Test
  void largeResultsStayComputations() {
    Node row = t.g.constant(Shape.of(1, 4097), new double[4097]);
    Node column = t.g.constant(Shape.of(4097, 1), new double[4097]);
    Node small = t.g.add(row, t.g.scalar(1)); // 4097 elements: just over the limit
    assertSame(small, fold(small));
    Node outer = t.g.add(column, row);
    assertSame(outer, fold(outer));
    Node atLimit = t.g.add(t.g.constant(Shape.of(4096), new double[4096]), t.g.scalar(1));
    assertEquals(Op.CONSTANT, fold(atLimit).op());
  }

  @Test
  void nonFiniteResultsAndSymbolicCountsStay() {
    Node logZero = t.g.unary(Op.LOG, t.g.scalar(0));
    assertSame(logZero, fold(logZero));
    Node x = t.input("x", "batch, 3");
    Node mean = t.g.div(t.g.reduce(Op.REDUCE_SUM, x, new int[0], false), t.g.count(x.shape()));
    assertSame(mean, fold(mean));
  }
}
