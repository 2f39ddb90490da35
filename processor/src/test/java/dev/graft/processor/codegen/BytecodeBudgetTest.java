package dev.graft.processor.codegen;

import static dev.graft.processor.codegen.Harness.input;
import static dev.graft.processor.codegen.Harness.variable;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import dev.graft.processor.schedule.FusionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every generated method stays far below HotSpot's 8000-byte compilation limit, even for large models. */
class BytecodeBudgetTest {
  static final int LIMIT = 8000;

  @Test
  void everyGeneratedMethodIsUnderTheJitLimit() {
    List<ModelGraph> models = new ArrayList<>(List.of(Models.softmaxRegression(), Models.elementwise(), DifferentialTest.mlp(),
        DifferentialTest.layout(), DifferentialTest.embedding(), DifferentialTest.reductions(), deepNetwork(24), longChain(400)));
    for (int seed = 0; seed < 10; seed++) models.add(RandomModels.build(seed));
    int max = 0;
    String where = "";
    for (ModelGraph m : models) {
      Harness.Compiled c = Harness.compile(m, FusionPolicy.DEFAULT);
      for (Map.Entry<String, byte[]> f : c.classFiles().entrySet()) {
        for (Map.Entry<String, Integer> method : ClassFileMethods.codeLengths(f.getValue()).entrySet()) {
          if (method.getValue() > max) {
            max = method.getValue();
            where = f.getKey() + "." + method.getKey();
          }
          assertTrue(method.getValue() < LIMIT, f.getKey() + "." + method.getKey() + " has " + method.getValue() + " bytes of bytecode");
        }
      }
    }
    System.out.println("largest generated method: " + where + " with " + max + " bytes of bytecode");
    assertTrue(max < LIMIT / 2, "largest method " + where + " has " + max + " bytes");
  }

  @Test
  void largeModelsStillComputeTheRightValues() {
    DifferentialTest.check(deepNetwork(24), FusionPolicy.DEFAULT);
    DifferentialTest.check(longChain(400), FusionPolicy.DEFAULT);
  }

  /** {@code depth} tanh layers with a big constant: an entry with hundreds of kernels. */
  static ModelGraph deepNetwork(int depth) {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xs = Shape.of(batch, Dim.of(10));
    List<ModelGraph.VariableDecl> vars = new ArrayList<>();
    Node h = g.input("x", 0, xs, DType.FLOAT32);
    double[] big = new double[100];
    for (int i = 0; i < big.length; i++) big[i] = Math.sin(i) * 0.3;
    Node scale = g.constant(Shape.of(10, 10), big);
    for (int i = 0; i < depth; i++) {
      g.at(new SourcePos("/src/demo/Deep.java", 20 + i, 1, "", null));
      Node w = g.variable("w" + i, 2 * i, Shape.of(10, 10));
      Node b = g.variable("b" + i, 2 * i + 1, Shape.of(10));
      vars.add(variable("w" + i, Shape.of(10, 10)));
      vars.add(variable("b" + i, Shape.of(10)));
      h = g.unary(Op.TANH, g.add(g.matmul(h, g.add(w, scale), false, false), b));
    }
    Node cost = g.reduce(Op.REDUCE_MEAN, g.unary(Op.SQUARE, h), new int[0], false);
    ModelGraph m = new ModelGraph("demo", "Deep", g, vars,
        List.of(DifferentialTest.output("out", List.of(input("x", xs, DType.FLOAT32)), h),
            DifferentialTest.loss("cost", List.of(input("x", xs, DType.FLOAT32)), cost)));
    return Autodiff.differentiate(m);
  }

  /** A chain of {@code length} elementwise ops: several fused kernels, each within the node budget. */
  static ModelGraph longChain(int length) {
    Graph g = new Graph();
    Shape s = Shape.of(Dim.symbol("batch"), Dim.of(3));
    Node x = g.input("x", 0, s, DType.FLOAT32);
    Node v = g.variable("v", 0, Shape.of(3));
    Node h = x;
    for (int i = 0; i < length; i++) {
      h = switch (i % 4) {
        case 0 -> g.unary(Op.TANH, h);
        case 1 -> g.add(h, v);
        case 2 -> g.mul(h, g.scalar(0.9 + i * 1e-4));
        default -> g.unary(Op.SIGMOID, h);
      };
    }
    ModelGraph m = new ModelGraph("demo", "Chain", g, List.of(variable("v", Shape.of(3))),
        List.of(DifferentialTest.output("out", List.of(input("x", s, DType.FLOAT32)), h),
            DifferentialTest.loss("cost", List.of(input("x", s, DType.FLOAT32)), g.reduce(Op.REDUCE_SUM, h, new int[0], false))));
    return Autodiff.differentiate(m);
  }

}
