package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.graft.processor.GraftProcessor;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.passes.Passes;
import dev.graft.processor.passes.Reachability;
import dev.graft.processor.testing.InMemoryCompiler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The IR the built-in layers expand into: the input projection of all steps as one matmul
 * outside the loop, a scan whose body has one matmul (h·u over all gates) and reads u as its own
 * variable leaf, one body per layer and shapes however often the layer is called, and BPTT.
 */
class CellsFrontendTest {
  private static final String HEADER = """
      package demo;

      import static dev.graft.dsl.Ops.*;
      import dev.graft.dsl.*;

      """;

  private static final String MODEL = """
      @Model abstract class Net {
        @Variable(shape = "5, 4*hidden") Tensor w1;
        @Variable(shape = "hidden, 4*hidden") Tensor u1;
        @Variable(shape = "4*hidden") Tensor b1;
        @Variable(shape = "hidden, 3*hidden") Tensor w2;
        @Variable(shape = "hidden, 3*hidden") Tensor u2;
        @Variable(shape = "3*hidden") Tensor b2;

        Tensor[] layers(Tensor xs) {
          Tensor zero = zeros("batch, hidden");
          Tensor[] l1 = lstm(xs, zero, zero, w1, u1, b1);
          return gru(l1[0], zero, w2, u2, b2);
        }

        @Output Tensor outputs(@Input(shape = "time, batch, 5") Tensor xs) {
          return layers(xs)[0];
        }

        @Loss Tensor cost(@Input(shape = "time, batch, 5") Tensor xs) {
          return reduceSum(square(layers(xs)[1]));
        }
      }
      """;

  private record Compiled(InMemoryCompiler.Result result, List<ModelGraph> parsed, List<ModelGraph> optimized) {}

  private static Compiled compile(String model) {
    List<ModelGraph> parsed = new ArrayList<>();
    List<ModelGraph> optimized = new ArrayList<>();
    GraftProcessor processor = new GraftProcessor(m -> {
      parsed.add(m);
      Verifier.verify(m);
      ModelGraph o = Passes.optimize(Autodiff.differentiate(Passes.optimize(m)), (pass, r) -> Verifier.verify(r));
      Verifier.verify(o);
      optimized.add(o);
      return new GeneratedSource(m.packageName(), m.generatedName(), "package demo;\nfinal class " + m.generatedName() + " {}\n");
    });
    InMemoryCompiler.Result r = InMemoryCompiler.create().withProcessors(processor).compile("demo.Net", HEADER + model);
    assertEquals(List.of(), r.errors().stream().map(d -> d.getMessage(Locale.ROOT)).toList());
    return new Compiled(r, parsed, optimized);
  }

  private static List<Node> ops(List<Node> nodes, Op op) {
    return nodes.stream().filter(n -> n.op() == op).toList();
  }

  @Test
  void aStackOfLstmAndGruIsTwoProjectionsAndTwoLoopsWithOneMatmulEach() {
    Compiled c = compile(MODEL);
    ModelGraph m = c.parsed().get(0);
    List<Node> outer = Reachability.of(m);
    List<Node> scans = ops(outer, Op.SCAN);
    Set<ScanBody> bodies = scans.stream().map(n -> n.attrs().body()).collect(Collectors.toSet());
    assertEquals(2, bodies.size(), "one body per layer, shared by both entries: " + scans);

    List<Node> projections = ops(outer, Op.MATMUL);
    assertEquals(2, projections.size(), "one input projection per layer: " + projections);
    assertEquals(Set.of(Shape.parse("time*batch, 4*hidden"), Shape.parse("time*batch, 3*hidden")),
        projections.stream().map(Node::shape).collect(Collectors.toSet()));

    for (ScanBody body : bodies) {
      List<Node> inside = Reachability.of(body);
      List<Node> matmuls = ops(inside, Op.MATMUL);
      assertEquals(1, matmuls.size(), "h·u over all gates: " + matmuls);
      Node u = matmuls.get(0).input(1);
      assertEquals(Op.VARIABLE, u.op());
      assertSame(body.carries().get(0), matmuls.get(0).input(0));
      assertEquals(List.of(u), body.variables(), "the body reads only u from outside");
      assertEquals(body.carries().get(0).shape(), Shape.parse("batch, hidden"));
      int gates = body.carries().size() == 2 ? 4 : 3;
      assertEquals(Shape.parse("batch, " + gates + "*hidden"), body.sequences().get(0).shape());
      assertEquals(gates == 4 ? "u1" : "u2", u.attrs().name());
    }

    // The sequence of the GRU's loop is the LSTM loop's outputs, projected.
    Node gruOutputs = m.entries().get(0).result();
    assertEquals(Op.SCAN, gruOutputs.op());
    assertEquals(Shape.parse("time, batch, hidden"), gruOutputs.shape());
    Node projected = gruOutputs.input(0);
    assertEquals(Op.RESHAPE, projected.op());
    assertEquals(Shape.parse("time, batch, 3*hidden"), projected.shape());

    // The loss differentiates through both loops: a reverse loop each, gradients of all six variables.
    ModelGraph.Entry cost = c.optimized().get(0).entries().get(1);
    assertEquals(6, cost.gradients().size());
    long reverse = Reachability.of(cost).stream().filter(n -> n.op() == Op.SCAN && n.attrs().flag())
        .map(n -> n.attrs().body()).distinct().count();
    assertEquals(2, reverse, "one reverse loop per layer");
  }
}
