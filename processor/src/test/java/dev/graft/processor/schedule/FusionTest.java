package dev.graft.processor.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.List;
import org.junit.jupiter.api.Test;

class FusionTest {
  static final Shape X = Shape.of(Dim.symbol("batch"), Dim.of(3));

  static ModelGraph.Entry output(Node result) {
    return new ModelGraph.Entry("out", ModelGraph.EntryKind.OUTPUT,
        List.of(new ModelGraph.InputDecl("x", X, DType.FLOAT32, SourcePos.UNKNOWN)), result, List.of(), SourcePos.UNKNOWN);
  }

  static EntrySchedule schedule(Node result) {
    return new Scheduler(FusionPolicy.DEFAULT).schedule(output(result), false);
  }

  @Test
  void matmulTakesBiasAndActivationAsEpilogue() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node w = g.variable("w", 0, Shape.of(3, 4));
    Node b = g.variable("b", 1, Shape.of(4));
    Node mm = g.matmul(x, w, false, false);
    Node add = g.add(mm, b);
    Node out = g.unary(Op.TANH, add);
    EntrySchedule s = schedule(out);
    assertEquals(1, s.kernels().size(), s.kernels().toString());
    Kernel k = s.kernels().get(0);
    assertEquals(Kernel.Kind.MATMUL, k.kind());
    assertEquals(mm, k.matmul());
    assertEquals(List.of(add, out), k.epilogue());
    assertEquals(List.of(x, w, b), k.operands());
    assertEquals("matmul_add_tanh", k.opSummary());
  }

  @Test
  void aChainOfFiveElementwiseOpsIsOneLoop() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node v = g.variable("v", 0, Shape.of(3));
    Node h = g.unary(Op.SIGMOID, g.mul(g.unary(Op.EXP, g.add(g.unary(Op.TANH, x), v)), g.scalar(2)));
    EntrySchedule s = schedule(h);
    assertEquals(1, s.kernels().size());
    Kernel k = s.kernels().get(0);
    assertEquals(Kernel.Kind.ELEMENTWISE, k.kind());
    assertEquals(5, k.members().size());
    assertEquals(List.of(x, v), k.operands()); // the scalar 2 is a literal
    assertTrue(s.unfused().isEmpty());
  }

  @Test
  void aProducerReadByTwoKernelsIsStoredAndSaysWhy() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node a = g.unary(Op.TANH, x);
    Node out = g.add(a, g.softmax(a));
    EntrySchedule s = schedule(out);
    assertEquals(3, s.kernels().size(), s.kernels().toString());
    FusionDecision d = s.unfused().get(a);
    assertEquals(FusionDecision.no("the producer has 2 consumers in different kernels"), d);
  }

  @Test
  void aSmallerProducerIsNotRecomputedPerElement() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node v = g.variable("v", 0, Shape.of(3));
    Node e = g.unary(Op.EXP, v);
    Node out = g.mul(x, e);
    EntrySchedule s = schedule(out);
    assertEquals(2, s.kernels().size());
    assertTrue(s.unfused().get(e).reason().contains("differs from the kernel's [batch, 3]"), s.unfused().get(e).reason());
  }

  @Test
  void fusedKernelsRespectTheNodeBudget() {
    Graph g = new Graph();
    Node h = g.input("x", 0, X, DType.FLOAT32);
    for (int i = 0; i < 100; i++) h = g.unary(i % 2 == 0 ? Op.TANH : Op.NEG, h);
    FusionPolicy nodesOnly = new FusionPolicy(48, 24, 3000, Integer.MAX_VALUE);
    EntrySchedule s = new Scheduler(nodesOnly).schedule(output(h), false);
    assertEquals(3, s.kernels().size());
    for (Kernel k : s.kernels()) assertTrue(k.members().size() <= nodesOnly.maxNodes());
    assertTrue(s.unfused().values().stream().allMatch(d -> d.reason().contains("budget of 48 nodes")), s.unfused().toString());
  }

  /**
   * An LSTM cell's output c' = sigmoid(f)·c + sigmoid(i)·tanh(g): 33 calls for its members (40
   * with its loads and store) in one loop were too many for JDK 17's C2 (FusionPolicy's
   * comment); the budget of 28 leaves one sigmoid to a kernel of its own.
   */
  @Test
  void fusedKernelsRespectTheVectorCallBudget() {
    Graph g = new Graph();
    Node f = g.input("x", 0, X, DType.FLOAT32);
    Node i = g.variable("i", 0, X);
    Node gate = g.variable("g", 1, X);
    Node c = g.variable("c", 2, X);
    Node cell = g.add(g.mul(g.unary(Op.SIGMOID, f), c), g.mul(g.unary(Op.SIGMOID, i), g.unary(Op.TANH, gate)));
    EntrySchedule s = schedule(cell);
    assertEquals(2, s.kernels().size(), s.kernels().toString());
    int calls = 0;
    for (Kernel k : s.kernels()) {
      int kernelCalls = k.members().stream().mapToInt(FusionPolicy::vectorCalls).sum();
      assertTrue(kernelCalls <= FusionPolicy.DEFAULT.maxVectorCalls(), k + ": " + kernelCalls + " calls");
      calls += kernelCalls;
    }
    assertEquals(33, calls); // sigmoid 5, mul 1, sigmoid 5, tanh 20, mul 1, add 1
    assertTrue(s.unfused().values().stream().anyMatch(d -> d.reason().contains("budget of 28 Vector API calls")),
        s.unfused().toString());
    EntrySchedule generous = new Scheduler(new FusionPolicy(48, 24, 3000, 40)).schedule(output(cell), false);
    assertEquals(1, generous.kernels().size(), generous.kernels().toString());
  }

  @Test
  void onlyNodesReachableFromTheRootsAreScheduled() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    g.softmax(g.unary(Op.EXP, x)); // dead
    EntrySchedule s = schedule(g.unary(Op.TANH, x));
    assertEquals(1, s.kernels().size());
  }

  @Test
  void unfusedPolicyGivesEveryNodeItsOwnKernel() {
    Graph g = new Graph();
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node out = g.unary(Op.SIGMOID, g.unary(Op.TANH, x));
    assertEquals(2, new Scheduler(FusionPolicy.NONE).schedule(output(out), false).kernels().size());
  }
}
