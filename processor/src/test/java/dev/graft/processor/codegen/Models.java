package dev.graft.processor.codegen;

import static dev.graft.processor.codegen.Harness.input;
import static dev.graft.processor.codegen.Harness.variable;

import dev.graft.dsl.DType;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.List;

/** Small models built directly as IR, as the front end would build them. */
final class Models {
  private Models() {}

  static SourcePos line(long line) {
    return new SourcePos("/src/demo/SoftmaxRegression.java", line, 5, "", null);
  }

  /** {@code predictions = softmax(x·w + b)}, {@code cost = mean(softmaxCrossEntropy(x·w + b, y))}. */
  static ModelGraph softmaxRegression() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xShape = Shape.of(batch, Dim.of(4));
    Shape yShape = Shape.of(batch, Dim.of(3));
    Node w = g.at(line(8)).variable("w", 0, Shape.of(4, 3));
    Node b = g.at(line(9)).variable("b", 1, Shape.of(3));
    Node x = g.at(line(12)).input("x", 0, xShape, DType.FLOAT32);
    Node logits = g.at(line(13)).add(g.matmul(x, w, false, false), b);
    Node predictions = g.at(line(14)).softmax(logits);
    Node x2 = g.at(line(18)).input("x", 0, xShape, DType.FLOAT32);
    Node y = g.at(line(18)).input("y", 1, yShape, DType.FLOAT32);
    Node logits2 = g.at(line(19)).add(g.matmul(x2, w, false, false), b);
    Node cost = g.at(line(20)).reduce(Op.REDUCE_MEAN, g.softmaxCrossEntropy(logits2, y), new int[0], false);
    ModelGraph m = new ModelGraph("demo", "SoftmaxRegression", g,
        List.of(variable("w", Shape.of(4, 3)), variable("b", Shape.of(3))),
        List.of(new ModelGraph.Entry("predictions", ModelGraph.EntryKind.OUTPUT, List.of(input("x", xShape, DType.FLOAT32)),
                predictions, List.of(), line(12)),
            new ModelGraph.Entry("cost", ModelGraph.EntryKind.LOSS,
                List.of(input("x", xShape, DType.FLOAT32), input("y", yShape, DType.FLOAT32)), cost, List.of(), line(17))));
    return Autodiff.differentiate(m);
  }

  /** A 1-d elementwise chain with a scalar broadcast: {@code y = tanh(x * 2 + 1) - exp(-x) / 3}. */
  static ModelGraph elementwise() {
    Graph g = new Graph();
    Shape s = Shape.of(Dim.symbol("n"));
    Node x = g.at(line(3)).input("x", 0, s, DType.FLOAT32);
    Node a = g.at(line(4)).unary(Op.TANH, g.add(g.mul(x, g.scalar(2)), g.scalar(1)));
    Node r = g.at(line(5)).sub(a, g.div(g.unary(Op.EXP, g.neg(x)), g.scalar(3)));
    return new ModelGraph("demo", "Elementwise", g, List.of(),
        List.of(new ModelGraph.Entry("y", ModelGraph.EntryKind.OUTPUT, List.of(input("x", s, DType.FLOAT32)), r, List.of(), line(3))));
  }
}
