package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.processor.GraftProcessor;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.eval.DoubleArray;
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
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** scan(this::step, ...) in real model sources: the IR it builds and the diagnostics for bad steps. */
class ScanFrontendTest {
  private static final String HEADER = """
      package demo;

      import static dev.graft.dsl.Ops.*;
      import dev.graft.dsl.*;

      """;

  /** The parsed model and the model after the core phases (passes, autodiff, passes), as Compiler runs them. */
  private record Compiled(String source, InMemoryCompiler.Result result, List<ModelGraph> parsed, List<ModelGraph> optimized) {
    List<Diagnostic<? extends JavaFileObject>> graftErrors() {
      return result.errors().stream().filter(d -> d.getMessage(Locale.ROOT).contains("[Graft")).toList();
    }

    ModelGraph model() {
      assertEquals(List.of(), graftErrors().stream().map(d -> d.getMessage(Locale.ROOT)).toList());
      assertEquals(1, parsed.size(), result::describe);
      return parsed.get(0);
    }

    /** Exactly one Graft error, tagged {@code tag}, on the line marked {@code // <-}. */
    String expectOne(String tag) {
      List<Diagnostic<? extends JavaFileObject>> errors = graftErrors();
      if (errors.size() != 1) fail("expected one Graft error, got:\n" + result.describe());
      String message = errors.get(0).getMessage(Locale.ROOT);
      assertTrue(message.startsWith("[" + tag + "] "), message);
      String[] lines = source.split("\n", -1);
      long marked = 0;
      for (int i = 0; i < lines.length; i++) if (lines[i].contains("// <-")) marked = i + 1;
      assertEquals(marked, errors.get(0).getLineNumber(), () -> "line of " + message);
      return message;
    }
  }

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
    String source = HEADER + model;
    return new Compiled(source, InMemoryCompiler.create().withProcessors(processor).compile("demo.Net", source), parsed, optimized);
  }

  private static final String RNN = """
      @Model abstract class Net {
        @Variable(shape = "3, hidden", init = Init.GLOROT_UNIFORM) Tensor wx;
        @Variable(shape = "hidden, hidden", init = Init.GLOROT_UNIFORM) Tensor wh;
        @Variable(shape = "hidden") Tensor b;

        Tensor rnnCell(Tensor x, Tensor h) {
          return tanh(x.matmul(wx).add(h.matmul(wh)).add(b));
        }

        @Output Tensor states(@Input(shape = "time, batch, 3") Tensor xs) {
          return scan(this::rnnCell, xs, zeros("batch, hidden"))[0];
        }

        @Loss Tensor cost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "time, batch, hidden") Tensor ys) {
          return reduceMean(square(states(xs).sub(ys)));
        }
      }
      """;

  @Test
  void theLecturesRnnCellBecomesAScanWhoseBodyIsTheCell() {
    Compiled c = compile(RNN);
    ModelGraph m = c.model();
    Node states = m.entries().get(0).result();
    assertEquals(Op.SCAN, states.op());
    assertEquals(Shape.parse("time, batch, hidden"), states.shape());
    ScanBody body = states.attrs().body();
    assertEquals(List.of("x"), body.sequences().stream().map(n -> n.attrs().name()).toList());
    assertEquals(List.of("h"), body.carries().stream().map(n -> n.attrs().name()).toList());
    assertEquals(Shape.parse("batch, 3"), body.sequences().get(0).shape());
    assertEquals(Op.TANH, body.newCarries().get(0).op());
    assertSame(body.newCarries().get(0), body.stepOutputs().get(0));
    assertEquals(List.of("wx", "wh", "b"), body.variables().stream().map(n -> n.attrs().name()).toList());
    assertEquals(12, body.newCarries().get(0).position().line(), "the cell's line, for generated comments");
    // The initial state is zeros of a symbolic shape, outside the loop.
    Node h0 = states.input(1);
    assertEquals(Op.BROADCAST_TO, h0.op());
    assertEquals(Shape.parse("batch, hidden"), h0.shape());
    // The loss inlines states(xs) and so reads the step again, into the same body: the output's loop.
    assertSame(states, m.entries().get(1).result().input(0).input(0).input(0), "cost = mean(square(states - ys))");
    // Its gradient adds a reverse loop.
    ModelGraph o = c.optimized.get(0);
    ModelGraph.Entry cost = o.entries().get(1);
    assertEquals(3, cost.gradients().size());
    Set<Boolean> directions = Reachability.of(cost).stream().filter(n -> n.op() == Op.SCAN).map(n -> n.attrs().flag())
        .collect(Collectors.toSet());
    assertEquals(Set.of(false, true), directions);
  }

  @Test
  void twoScansOfOneStepOverOneSequenceAreOneLoop() {
    ModelGraph m = compile("""
        @Model abstract class Net {
          Tensor cell(Tensor x, Tensor h) {
            return tanh(h.add(x));
          }
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs) {
            Tensor a = scan(this::cell, xs, zeros("2, 4"))[0];
            Tensor b = scan(this::cell, xs, zeros("2, 4"))[1];
            Tensor c = scan(this::cell, xs.neg(), zeros("2, 4"))[1];
            return a.add(b).add(c);
          }
        }
        """).model();
    List<Node> scans = Reachability.of(m).stream().filter(n -> n.op() == Op.SCAN).toList();
    assertEquals(3, scans.size(), "outputs and final state of one loop, final state of another: " + scans);
    assertEquals(1, scans.stream().map(n -> n.attrs().body()).distinct().count(), "one body for one step and shapes");
    assertEquals(2, scans.stream().map(n -> n.inputs()).distinct().count());
  }

  @Test
  void theCompiledRnnComputesTheRecurrence() {
    ModelGraph m = compile(RNN).model();
    Node states = m.entries().get(0).result();
    int time = 3;
    Numeric v = new Numeric(Map.of("time", time, "batch", 2, "hidden", 4), 11);
    v.fill(m.graph().input("xs", 0, Shape.parse("time, batch, 3"), dev.graft.dsl.DType.FLOAT32));
    for (int i = 0; i < 3; i++) v.fill(m.graph().variable(m.variables().get(i).name(), i, m.variables().get(i).shape()));
    double[] out = v.interpreter().evaluate(states).data();
    double[] xs = v.feeds.get("xs").data();
    double[] wx = v.variables.get("wx").data();
    double[] wh = v.variables.get("wh").data();
    double[] b = v.variables.get("b").data();
    double[][] h = new double[2][4];
    for (int t = 0; t < time; t++) {
      double[][] next = new double[2][4];
      for (int r = 0; r < 2; r++) {
        for (int j = 0; j < 4; j++) {
          double z = b[j];
          for (int k = 0; k < 3; k++) z += xs[(t * 2 + r) * 3 + k] * wx[k * 4 + j];
          for (int k = 0; k < 4; k++) z += h[r][k] * wh[k * 4 + j];
          next[r][j] = Math.tanh(z);
          assertEquals(next[r][j], out[(t * 2 + r) * 4 + j], 1e-12, "h[" + t + "][" + r + "][" + j + "]");
        }
      }
      h = next;
    }
  }

  private static final String LSTM = """
      @Model abstract class Net {
        @Variable(shape = "3, 16") Tensor w;
        @Variable(shape = "4, 16") Tensor u;
        @Variable(shape = "16") Tensor bias;
        @Variable(shape = "4, 5") Tensor proj;

        Tensor[] lstmCell(Tensor x, Tensor h, Tensor c) {
          Tensor[] gates = x.matmul(w).add(h.matmul(u)).add(bias).split(4, 1);
          Tensor next = sigmoid(gates[1]).mul(c).add(sigmoid(gates[0]).mul(tanh(gates[3])));
          return new Tensor[] {sigmoid(gates[2]).mul(tanh(next)), next};
        }

        @Loss Tensor cost(@Input(shape = "time, 2, 3") Tensor xs, @Input(shape = "2, 4") Tensor h0,
            @Input(shape = "time, 2, 5") Tensor ys) {
          Tensor[] r = scan(this::lstmCell, xs, h0, zeros("2, 4"));
          Tensor logits = r[0].matmul(proj);
          return reduceMean(square(logits.sub(ys))).add(reduceMean(r[2]));
        }
      }
      """;

  @Test
  void anLstmWrittenWithSplitTrainsThroughTime() {
    Compiled c = compile(LSTM);
    ModelGraph parsed = c.model();
    ModelGraph o = c.optimized.get(0);
    ScanBody body = Reachability.of(parsed).stream().filter(n -> n.op() == Op.SCAN).findFirst().orElseThrow().attrs().body();
    assertEquals(2, body.carries().size());
    ModelGraph.Entry cost = o.entries().get(0);
    for (int time : new int[] {1, 3}) {
      Numeric v = new Numeric(Map.of("time", time), 5);
      for (int i = 0; i < cost.inputs().size(); i++) {
        var in = cost.inputs().get(i);
        v.fill(o.graph().input(in.name(), i, in.shape(), in.dtype()));
      }
      List<Node> variables = new ArrayList<>();
      for (int i = 0; i < o.variables().size(); i++) {
        variables.add(o.graph().variable(o.variables().get(i).name(), i, o.variables().get(i).shape()));
        v.fill(variables.get(i));
      }
      v.checkGradients("lstm model, time " + time, cost.result(), variables, cost.gradients());
      DoubleArray loss = v.interpreter().evaluate(cost.result());
      assertTrue(Double.isFinite(loss.get(0)));
    }
  }

  // ---- diagnostics

  @Test
  void aStepThatChangesTheStateShapeIsReportedAtItsReturn() {
    String message = compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4") Tensor wx;
          @Variable(shape = "4, 5") Tensor wh;
          Tensor cell(Tensor x, Tensor h) {
            Tensor z = x.matmul(wx).add(h);
            return tanh(z.matmul(wh)); // <-
          }
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs) {
            return scan(this::cell, xs, zeros("batch, 4"))[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message.contains("[batch, 5]") && message.contains("[batch, 4]"), message);
  }

  @Test
  void aWrongStateInAnArrayIsReportedAtThatElement() {
    compile("""
        @Model abstract class Net {
          Tensor[] cell(Tensor x, Tensor h, Tensor c) {
            return new Tensor[] {
                h.add(c),
                x.mul(2f)}; // <-
          }
          @Output Tensor out(@Input(shape = "time, 2, 3") Tensor xs) {
            return scan(this::cell, xs, zeros("2, 4"), zeros("2, 4"))[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
  }

  @Test
  void aStepReturningOneTensorForTwoStatesIsReported() {
    String message = compile("""
        @Model abstract class Net {
          Tensor[] cell(Tensor x, Tensor h, Tensor c) {
            Tensor[] both = new Tensor[] {h.add(c)};
            return both; // <-
          }
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs) {
            return scan(this::cell, xs, zeros("2, 4"), zeros("2, 4"))[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message.contains("2 new states"), message);
  }

  @Test
  void aStepWithTheWrongNumberOfStatesIsReportedAtTheReference() {
    String message = compile("""
        @Model abstract class Net {
          Tensor cell(Tensor x, Tensor h) {
            return h.add(x);
          }
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs) {
            return scan(
                this::cell, // <-
                xs, zeros("2, 4"), zeros("2, 4"))[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message.contains("3 parameters"), message);
  }

  @Test
  void aStepThatScansOverItselfIsRecursion() {
    compile("""
        @Model abstract class Net {
          Tensor cell(Tensor x, Tensor h) {
            Tensor inner = scan(this::cell, h.reshape("1, 2, 4"), h)[1]; // <-
            return inner.add(x);
          }
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs) {
            return scan(this::cell, xs, zeros("2, 4"))[0];
          }
        }
        """).expectOne("GraftRecursion");
  }

  @Test
  void aLambdaStepIsNotSupported() {
    compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs) {
            return scan((x, h) -> h.add(x), xs, zeros("2, 4"))[0]; // <-
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void aStepCannotSeeTheCallersLocals() {
    compile("""
        @Model abstract class Net {
          Tensor cell(Tensor x, Tensor h) {
            return h.add(x).mul(scale); // <-
          }
          @Output Tensor out(@Input(shape = "time, 2, 4") Tensor xs, @Input(shape = "4") Tensor scale) {
            return scan(this::cell, xs, zeros("2, 4"))[0];
          }
        }
        """).expectOne("GraftUnsupported");
  }
}
