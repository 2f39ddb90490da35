package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.passes.ConstantFolding;
import dev.graft.processor.passes.Passes;
import dev.graft.processor.passes.Reachability;
import dev.graft.processor.passes.Rewriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the verifier and the passes treat SCAN nodes and their bodies. */
class ScanPassesTest {
  /** h' = h · (1 + 2) + x · 1: constant subexpressions and an identity inside the body. */
  private static ScanBody foldableBody() {
    Graph b = new Graph();
    Node x = b.input("x", 0, Shape.of(3), DType.FLOAT32);
    Node h = b.input("h", 1, Shape.of(3), DType.FLOAT32);
    Node three = b.add(b.scalar(1), b.scalar(2));
    Node next = b.add(b.mul(h, three), b.mul(x, b.scalar(1)));
    return new ScanBody(b, List.of(x), List.of(h), List.of(next), List.of(next), List.of());
  }

  /** outputs + final (broadcast over time) of a scan of {@code body} over a fed sequence. */
  private static ModelGraph model(Cells c, ScanBody body, Node xs, Node h0) {
    Node outputs = c.g.scan(body, List.of(xs), List.of(h0), false, 1);
    Node last = c.g.scan(body, List.of(xs), List.of(h0), false, 0);
    return c.output(c.g.add(outputs, last));
  }

  @Test
  void passesRewriteInsideBodiesAndSiblingsKeepSharingOneBody() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 3");
    Node h0 = c.input("h0", "3");
    ScanBody before = foldableBody();
    ModelGraph m = model(c, before, xs, h0);
    ModelGraph after = Passes.optimize(m, (pass, r) -> Verifier.verify(r));
    Node root = after.entries().get(0).result();
    Node outputs = root.input(0);
    Node last = root.input(1);
    assertEquals(Op.SCAN, outputs.op());
    ScanBody body = outputs.attrs().body();
    assertNotSame(before, body);
    assertSame(body, last.attrs().body(), "the loop's outputs still share one body, so they stay one loop");
    List<Op> ops = Reachability.of(body).stream().map(Node::op).toList();
    assertFalse(ops.contains(Op.ADD) && Reachability.of(body).stream().anyMatch(n -> n.op() == Op.ADD
        && n.inputs().stream().allMatch(i -> i.op() == Op.CONSTANT)), "1 + 2 is folded: " + ops);
    assertEquals(1, ops.stream().filter(o -> o == Op.MUL).count(), "x · 1 is simplified away: " + ops);
    assertTrue(body.newCarries().get(0).inputs().contains(body.sequences().get(0)), "x is added directly");
    assertEquals(before.parameters(), body.parameters(), "parameters are never rewritten");
    // Same values before and after.
    Numeric v = new Numeric(Map.of("time", 4), 3).fill(xs, h0);
    assertTrue(v.interpreter().evaluate(root).closeTo(v.interpreter().evaluate(m.entries().get(0).result()), 1e-12));
  }

  @Test
  void anUnchangedBodyStaysTheSameObjectSoThePipelineSettles() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 2, 3");
    Node h0 = c.input("h0", "2, 3");
    ModelGraph m = model(c, Cells.body(Cells.rnn(c.variable("wx", "3, 3"), c.variable("wh", "3, 3"), c.variable("b", "3")),
        xs, List.of(h0)), xs, h0);
    assertSame(m, Rewriter.rewrite(m, "identity", (g, n) -> n));
  }

  @Test
  void constantFoldingLeavesALoopOverConstantsALoop() {
    Cells c = new Cells();
    Node xs = c.g.constant(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    Node h0 = c.g.constant(Shape.of(3), 0, 0, 0);
    ModelGraph m = model(c, foldableBody(), xs, h0);
    double expected = new Interpreter(Map.of(), Map.of(), Map.of()).evaluate(m.entries().get(0).result()).get(0);
    ModelGraph folded = new ConstantFolding().apply(m);
    Node root = folded.entries().get(0).result();
    assertEquals(Op.ADD, root.op());
    assertEquals(Op.SCAN, root.input(0).op());
    assertEquals(expected, new Interpreter(Map.of(), Map.of(), Map.of()).evaluate(root).get(0), 1e-6);
  }

  @Test
  void theVerifierRejectsABodyThatReadsAnOuterValue() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 3");
    Node h0 = c.input("h0", "3");
    Graph b = new Graph();
    Node x = b.input("x", 0, Shape.of(3), DType.FLOAT32);
    Node h = b.input("h", 1, Shape.of(3), DType.FLOAT32);
    Node leaked = b.input("h0", 2, Shape.of(3), DType.FLOAT32); // the outer h0, not a parameter
    Node next = b.add(b.add(x, h), leaked);
    ScanBody body = new ScanBody(b, List.of(x), List.of(h), List.of(next), List.of(next), List.of());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Verifier.verify(model(c, body, xs, h0)));
    assertTrue(e.getMessage().contains("not its parameter"), e.getMessage());
  }

  @Test
  void theVerifierChecksVariablesInsideBodies() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 3");
    Node h0 = c.input("h0", "3");
    Graph b = new Graph();
    Node x = b.input("x", 0, Shape.of(3), DType.FLOAT32);
    Node h = b.input("h", 1, Shape.of(3), DType.FLOAT32);
    Node next = b.add(b.add(x, h), b.variable("ghost", 0, Shape.of(3)));
    ScanBody body = new ScanBody(b, List.of(x), List.of(h), List.of(next), List.of(next), List.of());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Verifier.verify(model(c, body, xs, h0)));
    assertTrue(e.getMessage().contains("undeclared variable"), e.getMessage());
  }

  @Test
  void aStepMustKeepTheCarryShape() {
    Graph b = new Graph();
    Node x = b.input("x", 0, Shape.of(3), DType.FLOAT32);
    Node h = b.input("h", 1, Shape.of(3), DType.FLOAT32);
    Node wrong = b.reduce(Op.REDUCE_SUM, b.add(x, h), new int[0], false);
    assertThrows(IllegalArgumentException.class,
        () -> new ScanBody(b, List.of(x), List.of(h), List.of(wrong), List.of(), List.of()));
  }

  @Test
  void outerReachabilityStopsAtTheLoopAndBodiesHaveTheirOwn() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 3");
    Node h0 = c.input("h0", "3");
    ScanBody body = foldableBody();
    ModelGraph m = model(c, body, xs, h0);
    List<Node> outer = Reachability.of(m);
    assertTrue(outer.stream().noneMatch(n -> n.op() == Op.INPUT && n.attrs().name().equals("x")));
    assertEquals(body.nodes(), Reachability.of(body));
    assertTrue(Reachability.of(body).containsAll(body.parameters()));
  }
}
