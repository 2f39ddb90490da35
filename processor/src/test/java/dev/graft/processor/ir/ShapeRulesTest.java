package dev.graft.processor.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import org.junit.jupiter.api.Test;

class ShapeRulesTest {
  private final Graph g = new Graph();

  private Node in(String name, String shape) {
    return g.input(name, 0, Shape.parse(shape), DType.FLOAT32);
  }

  @Test
  void dimsParseMultiplyAndDivideSymbolically() {
    Dim d = Dim.parse("4*hidden");
    assertEquals("4*hidden", d.toString());
    assertEquals(Dim.symbol("hidden"), d.divide(Dim.of(4)).orElseThrow());
    assertTrue(d.divide(Dim.of(3)).isEmpty());
    assertEquals(Dim.parse("hidden*4"), d);
    assertEquals(Dim.parse("8*hidden"), d.plus(d).orElseThrow());
    assertTrue(d.plus(Dim.of(1)).isEmpty());
    assertEquals(Dim.of(3), Dim.zero().plus(Dim.of(3)).orElseThrow());
    assertThrows(IllegalArgumentException.class, () -> Dim.parse("0"));
    assertThrows(IllegalArgumentException.class, () -> Dim.parse("4-x"));
  }

  @Test
  void shapesParseTheAnnotationForm() {
    assertEquals(Shape.of(Dim.symbol("batch"), Dim.of(4)), Shape.parse("batch, 4"));
    assertTrue(Shape.parse(" ").isScalar());
    assertEquals(Dim.parse("4*batch"), Shape.parse("batch, 4").size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.parse("batch,, 4"));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void broadcastingFollowsNumpy() {
    Node x = in("x", "batch, 3");
    Node b = g.variable("b", 0, Shape.parse("3"));
    assertEquals(Shape.parse("batch, 3"), g.add(x, b).shape());
    Node col = g.variable("c", 1, Shape.parse("batch, 1"));
    assertEquals(Shape.parse("batch, 3"), g.mul(col, b).shape());
    GraftException e = assertThrows(GraftException.class, () -> g.add(x, g.variable("d", 2, Shape.parse("4"))));
    assertEquals(Message.BROADCAST, e.kind());
    assertTrue(e.getMessage().contains("[batch, 3]") && e.getMessage().contains("[4]"), e.getMessage());
  }

  @Test
  void matmulChecksInnerDimensionsAndBatches() {
    Node x = in("x", "batch, 4");
    Node w = g.variable("w", 0, Shape.parse("4, 3"));
    assertEquals(Shape.parse("batch, 3"), g.matmul(x, w, false, false).shape());
    assertEquals(Shape.parse("4, 4"), g.matmul(x, x, true, false).shape());
    GraftException e = assertThrows(GraftException.class, () -> g.matmul(w, x, false, false));
    assertEquals(Message.SHAPE_MISMATCH, e.kind());
    Node a = in("a", "2, 5, 4");
    assertEquals(Shape.parse("2, 5, 3"), g.matmul(a, w, false, false).shape());
  }

  @Test
  void reductionsNormalizeAxesAndCheckRange() {
    Node x = in("x", "2, 3, 4");
    assertEquals(Shape.parse("2, 4"), g.reduce(Op.REDUCE_SUM, x, new int[] {-2}, false).shape());
    assertEquals(Shape.parse("2, 1, 1"), g.reduce(Op.REDUCE_MAX, x, new int[] {2, 1}, true).shape());
    assertTrue(g.reduce(Op.REDUCE_MEAN, x, new int[0], false).shape().isScalar());
    GraftException e = assertThrows(GraftException.class, () -> g.reduce(Op.REDUCE_SUM, x, new int[] {3}, false));
    assertEquals(Message.AXIS_OUT_OF_RANGE, e.kind());
  }

  @Test
  void intTensorsServeOnlyAsIndices() {
    Node ids = g.input("ids", 0, Shape.parse("batch"), DType.INT32);
    Node table = g.variable("emb", 0, Shape.parse("vocab, 8"));
    assertEquals(Shape.parse("batch, 8"), g.gather(table, ids).shape());
    assertEquals(Message.DTYPE, assertThrows(GraftException.class, () -> g.unary(Op.EXP, ids)).kind());
    assertEquals(Message.DTYPE, assertThrows(GraftException.class, () -> g.gather(table, table)).kind());
    assertEquals(Shape.parse("batch, vocab"), g.oneHot(ids, Dim.symbol("vocab")).shape());
  }

  @Test
  void splitSlicesWithSymbolicOffsets() {
    Node z = in("z", "batch, 4*hidden");
    Dim h = Dim.symbol("hidden");
    Node third = g.slice(z, 1, Dim.parse("2*hidden"), h);
    assertEquals(Shape.parse("batch, hidden"), third.shape());
    assertThrows(GraftException.class, () -> g.slice(z, 1, Dim.parse("4*hidden"), h));
    Node cat = g.concat(1, java.util.List.of(third, third));
    assertEquals(Shape.parse("batch, 2*hidden"), cat.shape());
  }

  @Test
  void equalExpressionsAreOneNode() {
    Node x = in("x", "3");
    Node a = g.add(g.unary(Op.EXP, x), g.scalar(1));
    Node b = g.at(new SourcePos("M.java", 9, 1, "", null)).add(g.unary(Op.EXP, x), g.scalar(1));
    assertSame(a, b);
    assertNotSame(a, g.add(g.unary(Op.LOG, x), g.scalar(1)));
    assertFalse(g.nodes().isEmpty());
    for (int i = 0; i < g.nodes().size(); i++) assertEquals(i, g.nodes().get(i).id());
  }
}
