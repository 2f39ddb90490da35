package dev.graft.processor.passes;

import static dev.graft.processor.passes.TestModels.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Verifier;
import org.junit.jupiter.api.Test;

class CommonSubexpressionEliminationTest {
  private final TestModels t = new TestModels();

  @Test
  void commutedOperandsBecomeOneNode() {
    Node a = t.input("a", "3");
    Node b = t.input("b", "3");
    Node ab = t.g.mul(a, b);
    Node ba = t.g.mul(b, a);
    ModelGraph out = new CommonSubexpressionElimination().apply(t.output(t.g.sub(ab, ba)));
    Verifier.verify(out);
    Node difference = result(out);
    assertSame(difference.input(0), difference.input(1));
    assertSame(ab, difference.input(0));
  }

  @Test
  void nonCommutativeOperandsKeepTheirOrder() {
    Node a = t.input("a", "3");
    Node b = t.input("b", "3");
    Node root = t.g.add(t.g.sub(b, a), t.g.div(b, a));
    ModelGraph model = t.output(root);
    assertSame(model, new CommonSubexpressionElimination().apply(model));
  }

  @Test
  void nodesThatBecomeEqualAfterARewriteAreMerged() {
    Node x = t.input("x", "3");
    Node w = t.input("w", "3");
    // (x * 1) * w and x * w differ until the identity goes; then re-interning merges them.
    Node left = t.g.mul(t.g.mul(x, t.g.scalar(1)), w);
    Node right = t.g.mul(x, w);
    ModelGraph out = new AlgebraicSimplification().apply(t.output(t.g.sub(left, right)));
    Node difference = result(out);
    assertEquals(Op.SUB, difference.op());
    assertSame(difference.input(0), difference.input(1));
    assertSame(right, difference.input(0));
  }
}
