package dev.graft.processor.codegen;

import static dev.graft.processor.codegen.Harness.input;
import static dev.graft.processor.codegen.Harness.variable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.schedule.FusionPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The Vector API variant: every elementwise op in every mix of vector and scalar operands, its
 * isolation from the scalar class, and what it shares with it.
 */
class VectorVariantTest {
  private static final String VECTOR_PACKAGE = "jdk/incubator/vector";

  @Test
  void everyElementwiseOpAgreesFused() {
    DifferentialTest.checkVector(allOps(), FusionPolicy.DEFAULT);
  }

  @Test
  void everyElementwiseOpAgreesUnfused() {
    DifferentialTest.checkVector(allOps(), FusionPolicy.NONE);
  }

  @Test
  void largeModelsAgree() {
    DifferentialTest.checkVector(BytecodeBudgetTest.deepNetwork(6), FusionPolicy.DEFAULT);
    DifferentialTest.checkVector(BytecodeBudgetTest.longChain(60), FusionPolicy.DEFAULT);
  }

  /**
   * The vector variant's tanh (written around one lanewise EXP) against Math.tanh, on a sweep
   * through ±20 that crosses the switch between its two formulas at |x| = 0.625, tiny values,
   * and the special values, in an array whose length is not a multiple of the vector width.
   */
  @Test
  void tanhIsWithinFourUlpOfMathTanh() {
    Graph g = new Graph();
    Shape s = Shape.of(Dim.symbol("n"));
    Node x = g.at(Models.line(3)).input("x", 0, s, DType.FLOAT32);
    Node y = g.at(Models.line(4)).unary(Op.TANH, x);
    ModelGraph model = new ModelGraph("demo", "Tanh", g, List.of(), List.of(new ModelGraph.Entry("y",
        ModelGraph.EntryKind.OUTPUT, List.of(input("x", s, DType.FLOAT32)), y, List.of(), Models.line(3))));
    List<Float> values = new ArrayList<>(List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 1e-4f, -1e-4f, Float.MAX_VALUE, -Float.MAX_VALUE, 44f, 45f,
        Math.nextDown(0.625f), 0.625f, Math.nextUp(0.625f), -0.625f, Math.nextDown(-0.625f)));
    for (int i = -200_000; i <= 200_000; i++) values.add(i * 1e-4f);
    float[] in = new float[values.size()];
    for (int i = 0; i < in.length; i++) in[i] = values.get(i);
    float[] out = new float[in.length];
    Harness.Compiled c = Harness.compile(model, FusionPolicy.DEFAULT, true);
    c.vector().newExecutor(new dev.graft.runtime.kernel.ScalarKernels(Harness.POOL))
        .run(0, new int[] {in.length}, new Object[] {in}, new float[0][], out, null);
    for (int i = 0; i < in.length; i++) {
      float expected = (float) Math.tanh(in[i]);
      String what = "tanh(" + in[i] + ") = " + out[i] + ", expected " + expected;
      if (Float.isNaN(expected)) {
        assertTrue(Float.isNaN(out[i]), what);
      } else {
        assertTrue(Math.abs(out[i] - expected) <= 4 * Math.ulp(expected), what);
      }
    }
  }

  @Test
  void theScalarClassNeverRefersToTheVectorApi() {
    Harness.Compiled c = Harness.compile(allOps(), FusionPolicy.DEFAULT, true);
    String outer = c.source().qualifiedName();
    String nested = outer + "$" + CodeGenerator.VECTOR_CLASS;
    assertTrue(c.classFiles().containsKey(nested), c.classFiles().keySet()::toString);
    for (var f : c.classFiles().entrySet()) {
      boolean refers = new String(f.getValue(), StandardCharsets.ISO_8859_1).contains(VECTOR_PACKAGE);
      if (f.getKey().startsWith(nested)) assertTrue(refers || !f.getKey().equals(nested), f.getKey());
      else assertFalse(refers, f.getKey() + " refers to " + VECTOR_PACKAGE);
    }
  }

  @Test
  void onlyElementwiseCodeIsWrittenTwice() {
    String scalar = CodeGenerator.generate(DifferentialTest.mlp(), FusionPolicy.DEFAULT, false).source();
    String both = CodeGenerator.generate(DifferentialTest.mlp(), FusionPolicy.DEFAULT, true).source();
    // The scalar class is unchanged apart from the nested class and its imports (the Vector API,
    // and the index maps of its loops over narrow rows).
    both = both.replaceAll("import (jdk\\.incubator\\.vector\\.\\w+|dev\\.graft\\.runtime\\.kernel\\.NarrowRows);\n", "");
    int start = both.indexOf("\n  /**\n   * The Vector API variant");
    int end = both.indexOf("\n  }\n", both.indexOf("  public static final class Vector")) + 5;
    assertTrue(start > 0 && end > start, both);
    assertEquals(scalar, both.substring(0, start) + both.substring(end));
    String vector = both.substring(start, end);
    // Library calls (softmax family, reductions) stay in the enclosing class; epilogues are vectorized.
    assertFalse(vector.contains("kernels.softmax") || vector.contains("kernels.reduce"), vector);
    assertTrue(vector.contains("kernels.gemm") && vector.contains("FloatVector.fromArray(SPECIES, out,"), vector);
  }

  @Test
  void generationIsDeterministic() {
    assertEquals(CodeGenerator.generate(allOps(), FusionPolicy.DEFAULT, true).source(),
        CodeGenerator.generate(allOps(), FusionPolicy.DEFAULT, true).source());
  }

  /**
   * Every elementwise op on a [batch, n] input, and every binary op with its operands as two
   * vectors, a vector and a per-row scalar (either side), a vector and a per-column row, and a
   * vector and a scalar variable; outputs that are a broadcast of per-row values (a scalar stored
   * as a vector); and the loss of all of them, whose gradients add the comparison ops.
   */
  static ModelGraph allOps() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Dim n = Dim.symbol("n");
    Shape xs = Shape.of(batch, n);
    Shape cs = Shape.of(batch, Dim.of(1));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node y = g.input("y", 1, xs, DType.FLOAT32);
    Node col = g.input("c", 2, cs, DType.FLOAT32);
    Node row = g.variable("r", 0, Shape.of(n));
    Node s = g.variable("s", 1, Shape.scalar());
    List<Node> terms = new ArrayList<>();
    Node positive = g.add(g.unary(Op.ABS, x), g.scalar(0.5));
    for (Op op : List.of(Op.TANH, Op.SIGMOID, Op.RELU, Op.ABS, Op.SIGN, Op.SQUARE)) terms.add(g.unary(op, x));
    terms.add(g.neg(x));
    terms.add(g.unary(Op.EXP, g.mul(x, g.scalar(0.5))));
    terms.add(g.unary(Op.LOG, positive));
    terms.add(g.unary(Op.SQRT, positive));
    for (double p : new double[] {2, 1, 0.5, 3}) terms.add(g.pow(positive, p));
    terms.add(g.clip(x, -0.3, 0.4));
    terms.add(g.inside(x, -0.3, 0.4));
    Node denominatorX = g.add(g.unary(Op.ABS, x), g.scalar(1));
    List<BinaryOperator<Node>> binaries = List.of(g::add, g::sub, g::mul, (a, b) -> g.binary(Op.MINIMUM, a, b),
        (a, b) -> g.binary(Op.MAXIMUM, a, b), (a, b) -> g.binary(Op.GREATER, a, b));
    for (Node other : List.of(y, col, row, s)) {
      for (BinaryOperator<Node> op : binaries) {
        terms.add(op.apply(x, other));
        terms.add(op.apply(other, x));
      }
      terms.add(g.div(x, g.add(g.unary(Op.ABS, other), g.scalar(1))));
      terms.add(g.div(other, denominatorX));
    }
    terms.add(g.binary(Op.EQUAL, x, g.unary(Op.RELU, x)));
    terms.add(g.binary(Op.EQUAL, g.unary(Op.RELU, col), x));
    // A per-row value computed inside the [batch, n] loop: a scalar among vectors.
    terms.add(g.mul(g.unary(Op.TANH, col), x));
    Node sum = terms.get(0);
    for (int i = 1; i < terms.size(); i++) sum = g.add(sum, terms.get(i));
    Node broadcast = g.broadcastTo(g.unary(Op.TANH, col), xs);
    Node lossValue = g.reduce(Op.REDUCE_SUM, g.mul(sum, sum), new int[0], false);
    List<ModelGraph.InputDecl> inputs = List.of(input("x", xs, DType.FLOAT32), input("y", xs, DType.FLOAT32), input("c", cs, DType.FLOAT32));
    ModelGraph m = new ModelGraph("demo", "AllOps", g, List.of(variable("r", Shape.of(n)), variable("s", Shape.scalar())),
        List.of(DifferentialTest.output("all", inputs, sum),
            DifferentialTest.output("broadcast", inputs, broadcast),
            DifferentialTest.loss("cost", inputs, lossValue)));
    return Autodiff.differentiate(m);
  }
}
