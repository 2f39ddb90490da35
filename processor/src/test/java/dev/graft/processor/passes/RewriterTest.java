package dev.graft.processor.passes;

import static dev.graft.processor.passes.TestModels.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.SourcePos;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RewriterTest {
  private final TestModels t = new TestModels();

  @Test
  void reachabilityListsLiveNodesInIdOrder() {
    Node x = t.input("x", "3");
    Node dead = t.g.unary(Op.EXP, x);
    Node shared = t.g.unary(Op.TANH, x);
    Node root = t.g.add(shared, t.g.mul(shared, x));
    List<Node> live = Reachability.of(t.output(root));
    assertEquals(List.of(x, shared, t.g.mul(shared, x), root), live);
    assertFalse(live.contains(dead));
    assertEquals(live, DeadCodeElimination.liveNodes(t.output(root)));
  }

  @Test
  void ruleSeesEachSharedNodeOnceAndSharingSurvives() {
    Node x = t.input("x", "3");
    Node shared = t.g.unary(Op.TANH, x);
    Node root = t.g.add(t.g.unary(Op.EXP, shared), t.g.unary(Op.LOG, shared));
    AtomicInteger tanhVisits = new AtomicInteger();
    ModelGraph out = Rewriter.rewrite(t.output(root), "tanh-to-sigmoid", (g, n) -> {
      if (n.op() != Op.TANH) return n;
      tanhVisits.incrementAndGet();
      return g.unary(Op.SIGMOID, n.input(0));
    });
    Node r = result(out);
    assertEquals(1, tanhVisits.get());
    assertSame(r.input(0).input(0), r.input(1).input(0));
    assertEquals(Op.SIGMOID, r.input(0).input(0).op());
  }

  @Test
  void rebuiltNodesKeepTheirSourcePositionAndTheGraphItsOwn() {
    SourcePos line7 = new SourcePos("Model.java", 7, 3, "x.tanh().exp()", null);
    Node x = t.input("x", "3");
    t.g.at(line7);
    Node root = t.g.unary(Op.EXP, t.g.unary(Op.TANH, x));
    SourcePos elsewhere = new SourcePos("Other.java", 99, 1, "", null);
    t.g.at(elsewhere);
    ModelGraph out = Rewriter.rewrite(t.output(root), "tanh-to-sigmoid",
        (g, n) -> n.op() == Op.TANH ? g.unary(Op.SIGMOID, n.input(0)) : n);
    Node r = result(out);
    assertEquals(line7, r.position());
    assertEquals(line7, r.input(0).position());
    assertSame(elsewhere, t.g.position());
  }

  @Test
  void unchangedModelIsReturnedAsIs() {
    Node x = t.input("x", "3");
    ModelGraph model = t.output(t.g.unary(Op.EXP, x));
    assertSame(model, Rewriter.rewrite(model, "nothing", (g, n) -> n));
  }

  @Test
  void aRuleThatChangesTheShapeFailsWithThePassName() {
    Node x = t.input("x", "2, 3");
    ModelGraph model = t.output(t.g.unary(Op.EXP, x));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Rewriter.rewrite(model, "broken",
        (g, n) -> n.op() == Op.EXP ? g.transpose(n, 1, 0) : n));
    assertTrue(e.getMessage().startsWith("broken rewrote"), e.getMessage());
  }
}
