package dev.graft.processor.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.ModelGraph.EntryKind;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.testing.InMemoryCompiler;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The IR the front end builds from valid models. */
class ModelReaderTest {
  private static final String HEADER = """
      package demo;

      import static dev.graft.dsl.Ops.*;
      import dev.graft.dsl.*;

      """;

  /** Reads the model {@code name} declared in {@code body} (appended to the usual imports). */
  static ModelGraph read(String name, String body) {
    return read(name, name, body);
  }

  static ModelGraph read(String unit, String model, String body) {
    ReadingProcessor reader = new ReadingProcessor();
    InMemoryCompiler.create().withProcessors(reader).compile("demo." + unit, HEADER + body);
    ModelReader.Result r = reader.results.get("demo." + model);
    assertTrue(r.isClean(), () -> r.problems().stream().map(GraftException::getMessage).collect(Collectors.joining("\n")));
    Verifier.verify(r.model());
    return r.model();
  }

  private static ModelGraph.Entry entry(ModelGraph m, String name) {
    return m.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  /** A shape symbol naming an int constant of the model (or a base) is that constant: a base leaves a dimension to its models. */
  @Test
  void shapeSymbolsNamingConstantsAreTheirValues() {
    String source = HEADER + """
        abstract class Base {
          @Variable(shape = "rows, 2") Tensor w;
          @Output Tensor out(@Input(shape = "batch, rows") Tensor x) { return reshape(matmul(x, w), "batch, 2, 1"); }
          Tensor flat(Tensor x) { return reshape(x, "rows*batch"); }
        }

        @Model
        abstract class Three extends Base {
          static final int rows = 3;
          @Output Tensor flat(@Input(shape = "batch, rows") Tensor x) { return reshape(x, "rows*batch"); }
        }

        @Model
        abstract class One extends Base {
          static final int rows = 1;
        }
        """;
    ReadingProcessor reader = new ReadingProcessor();
    InMemoryCompiler.create().withProcessors(reader).compile("demo.Base", source);
    ModelGraph three = reader.results.get("demo.Three").model();
    ModelGraph one = reader.results.get("demo.One").model();
    assertEquals(Shape.of(3, 2), three.variables().get(0).shape());
    assertEquals(Shape.of(1, 2), one.variables().get(0).shape());
    assertEquals(Shape.of(Dim.symbol("batch"), Dim.of(3)), entry(three, "out").inputs().get(0).shape());
    assertEquals(Shape.of(Dim.of(3).times(Dim.symbol("batch"))), entry(three, "flat").result().shape());
    assertEquals(List.of("batch"), one.entries().get(0).inputs().get(0).shape().dims().get(0).symbols());
  }

  /**
   * A base that is a model too is read as one on its own; a model extending it gets its variables
   * first, then its own, and its entry inlines the override of a concrete helper.
   */
  @Test
  void aModelExtendsAModel() {
    String source = HEADER + """
        @Model
        abstract class Plain {
          @Variable(shape = "3") Tensor w;
          @Output Tensor out(@Input(shape = "3") Tensor x) { return activate(x.mul(w)); }
          Tensor activate(Tensor x) { return relu(x); }
        }

        @Model
        abstract class Shifted extends Plain {
          @Variable(shape = "3") Tensor b;
          @Override Tensor activate(Tensor x) { return tanh(x.add(b)); }
        }
        """;
    ReadingProcessor reader = new ReadingProcessor();
    InMemoryCompiler.create().withProcessors(reader).compile("demo.Plain", source);
    ModelGraph plain = reader.results.get("demo.Plain").model();
    ModelGraph shifted = reader.results.get("demo.Shifted").model();
    assertEquals(List.of("w"), plain.variables().stream().map(ModelGraph.VariableDecl::name).toList());
    assertEquals(List.of("w", "b"), shifted.variables().stream().map(ModelGraph.VariableDecl::name).toList());
    assertEquals(Op.RELU, entry(plain, "out").result().op());
    Node tanh = entry(shifted, "out").result();
    assertEquals(Op.TANH, tanh.op());
    assertEquals(Op.ADD, tanh.inputs().get(0).op());
    Verifier.verify(shifted);
  }

  @Test
  void readsDeclarationsInOrder() {
    ModelGraph m = read("Softmax", """
        @Model
        abstract class Softmax {
          @Variable(shape = "4, 3", init = Init.UNIFORM, min = -0.5f, max = 0.5f) Tensor beta;
          @Variable(shape = "3", trainable = false) Tensor bias;

          @Output
          Tensor predictions(@Input(shape = "batch, 4") Tensor x) {
            return softmax(matmul(x, beta).add(bias));
          }

          @Loss
          Tensor cost(@Input(shape = "batch, 4") Tensor x, @Input(shape = "batch", dtype = DType.INT32) Tensor y) {
            return reduceMean(sparseSoftmaxCrossEntropy(matmul(x, beta).add(bias), y));
          }
        }
        """);
    assertEquals("demo", m.packageName());
    assertEquals("Softmax", m.modelName());
    assertEquals(List.of("beta", "bias"), m.variables().stream().map(ModelGraph.VariableDecl::name).toList());
    ModelGraph.VariableDecl beta = m.variables().get(0);
    assertEquals(Shape.of(4, 3), beta.shape());
    assertEquals(Init.UNIFORM, beta.init());
    assertEquals(-0.5f, beta.min());
    assertEquals(false, m.variables().get(1).trainable());
    assertEquals(List.of("predictions", "cost"), m.entries().stream().map(ModelGraph.Entry::name).toList());
    assertEquals(EntryKind.LOSS, m.entries().get(1).kind());
    ModelGraph.InputDecl y = m.entries().get(1).inputs().get(1);
    assertEquals(DType.INT32, y.dtype());
    assertEquals(Shape.of(Dim.symbol("batch")), y.shape());
    assertEquals(Op.SOFTMAX, m.entries().get(0).result().op());
    assertEquals(Shape.of(Dim.symbol("batch"), Dim.of(3)), m.entries().get(0).result().shape());
    assertTrue(m.entries().get(1).result().shape().isScalar());
    // Positions name the source line of each expression and keep the tree for diagnostics.
    Node result = m.entries().get(0).result();
    assertEquals(13, result.position().line()); // five header lines, then the model
    assertEquals("softmax(matmul(x, beta).add(bias))", result.position().text());
    assertTrue(result.position().origin() instanceof TreeOrigin);
  }

  @Test
  void fluentAndStaticFormsBuildTheSameNode() {
    ModelGraph m = read("Forms", """
        @Model
        abstract class Forms {
          @Variable(shape = "4, 3") Tensor w;

          @Output Tensor a(@Input(shape = "2, 4") Tensor x) {
            return relu(add(matmul(x, w), 1f)).reduceSum(1);
          }

          @Output Tensor b(@Input(shape = "2, 4") Tensor x) {
            return Ops.reduceSum(x.matmul(this.w).add(1f).relu(), 1, false);
          }
        }
        """);
    assertSame(entry(m, "a").result(), entry(m, "b").result());
  }

  @Test
  void inlinesHelperMethodsWithBoundArguments() {
    ModelGraph m = read("Helpers", """
        @Model
        abstract class Helpers {
          static final int HIDDEN = 3;
          @Variable(shape = "4, " + HIDDEN) Tensor w;

          Tensor layer(Tensor in, float scale, boolean squash) {
            Tensor h = in.matmul(w).mul(scale * 2);
            return squash ? tanh(h) : h;
          }

          @Output Tensor inlined(@Input(shape = "batch, 4") Tensor x) {
            return layer(x, 0.25f, true);
          }

          @Output Tensor written(@Input(shape = "batch, 4") Tensor x) {
            return tanh(mul(matmul(x, w), 0.5f));
          }

          @Output Tensor plain(@Input(shape = "batch, 4") Tensor x) {
            return this.layer(x, 0.25f, false);
          }
        }
        """);
    Node inlined = entry(m, "inlined").result();
    assertSame(entry(m, "written").result(), inlined);
    assertSame(inlined.inputs().get(0), entry(m, "plain").result());
    Node half = inlined.inputs().get(0).inputs().get(1);
    assertEquals(Op.CONSTANT, half.op());
    assertEquals(0.5, half.attrs().realAt(0));
  }

  @Test
  void entriesMayCallEachOther() {
    ModelGraph m = read("Calls", """
        @Model
        abstract class Calls {
          @Variable(shape = "4, 3") Tensor w;

          @Output Tensor predictions(@Input(shape = "batch, 4") Tensor x) {
            return softmax(matmul(x, w));
          }

          @Loss Tensor cost(@Input(shape = "batch, 4") Tensor x, @Input(shape = "batch, 3") Tensor y) {
            return reduceMean(reduceSum(y.mul(log(predictions(x))), 1).neg());
          }
        }
        """);
    Node softmax = entry(m, "predictions").result();
    Node log = entry(m, "cost").result().inputs().get(0).inputs().get(0).inputs().get(0).inputs().get(1);
    assertEquals(Op.LOG, log.op());
    assertSame(softmax, log.inputs().get(0));
  }

  @Test
  void constantsFoldAsJavaWould() {
    ModelGraph m = read("Consts", """
        @Model
        abstract class Consts {
          @Output Tensor seed(@Input(shape = "") Tensor unused) {
            int n = 7 / 2;
            float f = -(1f + n) * 2;
            Tensor matrix = constant("2, 2", 1, 2, 3, 4);
            var vector = constant(new float[] {5, 6});
            final double unusedButConstant = 2.0 * n;
            return matrix.add(vector).add(f).add(constant(1.5f));
          }
        }
        """);
    Node result = entry(m, "seed").result();
    Node one5 = result.inputs().get(1);
    assertEquals(Op.CONSTANT, one5.op());
    assertTrue(one5.shape().isScalar());
    Node minus8 = result.inputs().get(0).inputs().get(1);
    assertEquals(-8.0, minus8.attrs().realAt(0));
    Node matrix = result.inputs().get(0).inputs().get(0).inputs().get(0);
    assertEquals(Shape.of(2, 2), matrix.shape());
    assertEquals(4.0, matrix.attrs().realAt(3));
    assertEquals(Shape.of(2), result.inputs().get(0).inputs().get(0).inputs().get(1).shape());
  }

  @Test
  void splitMakesEqualSlicesWithSymbolicOffsets() {
    ModelGraph m = read("Gates", """
        @Model
        abstract class Gates {
          @Variable(shape = "hidden, 4*hidden") Tensor w;

          @Output Tensor gates(@Input(shape = "batch, hidden") Tensor x) {
            Tensor[] parts = split(x.matmul(w), 4, 1);
            return concat(1, sigmoid(parts[0]), parts[parts.length - 1]);
          }

          @Output Tensor head(@Input(shape = "batch, 8") Tensor x) {
            return x.slice(1, 2, 3);
          }
        }
        """);
    Node concat = entry(m, "gates").result();
    assertEquals(Op.CONCAT, concat.op());
    Node first = concat.inputs().get(0).inputs().get(0);
    Node last = concat.inputs().get(1);
    assertEquals(Op.SLICE, first.op());
    assertTrue(first.attrs().dim().isZero());
    assertEquals(Dim.parse("3*hidden"), last.attrs().dim());
    assertEquals(Shape.parse("batch, hidden"), last.shape());
    assertEquals(Shape.parse("batch, 2*hidden"), concat.shape());
    Node head = entry(m, "head").result();
    assertEquals(Dim.of(2), head.attrs().dim());
    assertEquals(Shape.parse("batch, 3"), head.shape());
    assertEquals(List.of("hidden", "batch"), m.symbols());
  }

  @Test
  void reductionsTransposesAndReshapes() {
    ModelGraph m = read("Layout", """
        @Model
        abstract class Layout {
          @Output Tensor a(@Input(shape = "2, 3, 4") Tensor x) {
            return x.transpose().reshape("4, 6").reduceMax(new int[] {0, 1}, true);
          }

          @Output Tensor b(@Input(shape = "2, 3, 4") Tensor x) {
            return transpose(x, 2, 1, 0).reshape("4, 6").reduceMax(new int[] {-1, 0}, true);
          }

          @Output Tensor c(@Input(shape = "2, 3, 4") Tensor x) {
            return reduceSum(x);
          }

          @Output Tensor d(@Input(shape = "batch", dtype = DType.INT32) Tensor ids) {
            return gather(constant("3, 2", 1, 2, 3, 4, 5, 6), ids).add(oneHot(ids, 2));
          }
        }
        """);
    assertSame(entry(m, "a").result(), entry(m, "b").result());
    assertEquals(Shape.of(1, 1), entry(m, "a").result().shape());
    assertTrue(entry(m, "c").result().shape().isScalar());
    assertEquals(Shape.parse("batch, 2"), entry(m, "d").result().shape());
  }

  @Test
  void nestedModelNamesJoinWithUnderscore() {
    ModelGraph m = read("Outer", "Outer.Inner", """
        class Outer {
          @Model
          abstract static class Inner {
            @Output Tensor id(@Input(shape = "3") Tensor x) {
              return x.neg();
            }
          }
        }
        """);
    assertEquals("Outer_Inner", m.modelName());
    assertEquals("GraftOuter_Inner", m.generatedName());
  }
}
