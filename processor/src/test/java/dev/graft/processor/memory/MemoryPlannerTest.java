package dev.graft.processor.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import dev.graft.processor.schedule.EntrySchedule;
import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.processor.schedule.Scheduler;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {
  static final Shape X = Shape.of(Dim.symbol("batch"), Dim.of(3));

  static MemoryPlan plan(Node result) {
    ModelGraph.Entry e = new ModelGraph.Entry("out", ModelGraph.EntryKind.OUTPUT,
        List.of(new ModelGraph.InputDecl("x", X, DType.FLOAT32, SourcePos.UNKNOWN)), result, List.of(), SourcePos.UNKNOWN);
    EntrySchedule s = new Scheduler(FusionPolicy.DEFAULT).schedule(e, false);
    return MemoryPlanner.plan(s);
  }

  @Test
  void aChainReusesTwoSlotsAndWritesTheResultInPlace() {
    Graph g = new Graph();
    Node h = g.input("x", 0, X, DType.FLOAT32);
    Node first = g.softmax(h);
    h = first;
    for (int i = 0; i < 5; i++) h = i % 2 == 0 ? g.logSoftmax(h) : g.softmax(h);
    MemoryPlan p = plan(h);
    assertEquals(2, p.floatSlots().size());
    assertEquals(List.of(X.size()), p.floatSlots().get(0));
    assertEquals(new Storage.Output(0), p.of(h));
    assertTrue(p.copies().isEmpty());
    assertEquals(p.of(first), p.of(h.input(0))); // slots alternate
    assertNotEquals(p.of(h.input(0)), p.of(h.input(0).input(0)));
  }

  @Test
  void aReshapedResultLendsTheOutputToItsInput() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node s = g.softmax(x);
    Node r = g.reshape(s, Shape.of(Dim.of(3), Dim.symbol("batch")));
    MemoryPlan p = plan(r);
    assertEquals(new Storage.Output(0), p.of(s));
    assertTrue(p.copies().isEmpty());
    assertEquals(0, p.floatSlots().size());
  }

  @Test
  void anInputReturnedAsIsIsCopied() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    MemoryPlan p = plan(x);
    assertEquals(List.of(new MemoryPlan.Copy(x, new Storage.Output(0))), p.copies());
  }

  @Test
  void slotsHoldTheLargestOfTheirValues() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node a = g.softmax(x); // [batch, 3], slot 0
    Node b = g.reduce(Op.REDUCE_SUM, a, new int[] {1}, false); // [batch], slot 1
    Node c = g.reduce(Op.REDUCE_MAX, g.reshape(b, Shape.of(Dim.of(1), Dim.symbol("batch"))), new int[] {1}, false); // [1]
    Node d = g.softmax(g.reshape(c, Shape.of(1, 1)));
    MemoryPlan p = plan(d);
    assertEquals(2, p.floatSlots().size(), p.storage().toString());
    assertEquals(List.of(X.size(), Dim.of(1)), p.floatSlots().get(0));
  }
}
