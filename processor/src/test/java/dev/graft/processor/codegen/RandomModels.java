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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random small models: elementwise chains over broadcasting shapes, matmuls with epilogues,
 * reductions and the softmax family, with an output entry and a loss entry differentiated by
 * autodiff. Operations are kept on their domains (logs of positive values and so on).
 */
final class RandomModels {
  private RandomModels() {}

  static final Dim BATCH = Dim.symbol("batch");
  static final Shape X = Shape.of(BATCH, Dim.of(4));
  static final Shape C = Shape.of(BATCH, Dim.of(1));

  static ModelGraph build(long seed) {
    Random r = new Random(seed);
    Graph g = new Graph();
    Node w = g.variable("w", 0, Shape.of(4, 4));
    Node b = g.variable("b", 1, Shape.of(4));
    Node s = g.variable("s", 2, Shape.scalar());
    Node x = g.input("x", 0, X, DType.FLOAT32);
    Node c = g.input("c", 1, C, DType.FLOAT32);
    List<Node> pool = new ArrayList<>(List.of(w, b, s, x, c));
    int steps = 4 + r.nextInt(14);
    for (int i = 0; i < steps; i++) {
      g.at(new SourcePos("/src/demo/Random.java", 10 + i, 1, "", null));
      Node n = step(g, r, pool);
      if (n != null) pool.add(n);
    }
    // The result: the last value that broadcasts against x, so it depends on the batch.
    Node last = x;
    for (Node n : pool) if (n != w && broadcastable(n.shape(), X) && n.shape().rank() <= 2) last = n;
    Node result = g.add(last, g.mul(x, g.scalar(0.25)));
    Node lossValue = g.reduce(Op.REDUCE_MEAN, g.unary(Op.SQUARE, result), new int[0], false);
    lossValue = g.add(lossValue, g.mul(s, s));
    ModelGraph m = new ModelGraph("demo", "Random" + seed, g,
        List.of(variable("w", Shape.of(4, 4)), variable("b", Shape.of(4)), variable("s", Shape.scalar())),
        List.of(new ModelGraph.Entry("value", ModelGraph.EntryKind.OUTPUT, List.of(input("x", X, DType.FLOAT32), input("c", C, DType.FLOAT32)),
                result, List.of(), SourcePos.UNKNOWN),
            new ModelGraph.Entry("cost", ModelGraph.EntryKind.LOSS, List.of(input("x", X, DType.FLOAT32), input("c", C, DType.FLOAT32)),
                lossValue, List.of(), SourcePos.UNKNOWN)));
    return Autodiff.differentiate(m);
  }

  private static Node pick(Random r, List<Node> pool) {
    // favour recent values, so chains form
    int n = pool.size();
    return pool.get(r.nextInt(4) == 0 ? r.nextInt(n) : Math.max(0, n - 1 - r.nextInt(Math.min(3, n))));
  }

  private static Node step(Graph g, Random r, List<Node> pool) {
    Node a = pick(r, pool);
    switch (r.nextInt(12)) {
      case 0, 1, 2 -> {
        return switch (r.nextInt(9)) {
          case 0 -> g.unary(Op.TANH, a);
          case 1 -> g.unary(Op.SIGMOID, a);
          case 2 -> g.unary(Op.RELU, a);
          case 3 -> g.unary(Op.LOG, g.add(g.unary(Op.SQUARE, a), g.scalar(1)));
          case 4 -> g.unary(Op.SQRT, g.add(g.unary(Op.ABS, a), g.scalar(0.5)));
          case 5 -> g.pow(g.add(g.unary(Op.ABS, a), g.scalar(0.5)), r.nextBoolean() ? 3 : 0.5);
          case 6 -> g.clip(a, -0.3, 0.4);
          case 7 -> g.unary(Op.EXP, g.mul(a, g.scalar(0.5)));
          default -> g.neg(a);
        };
      }
      case 3, 4, 5, 6 -> {
        Node b = pick(r, pool);
        if (!broadcastable(a.shape(), b.shape())) return null;
        return switch (r.nextInt(6)) {
          case 0 -> g.add(a, b);
          case 1 -> g.sub(a, b);
          case 2 -> g.mul(a, b);
          case 3 -> g.div(a, g.add(g.unary(Op.ABS, b), g.scalar(1)));
          case 4 -> g.binary(Op.MAXIMUM, a, g.mul(b, g.scalar(1.5)));
          default -> g.binary(Op.MINIMUM, a, b);
        };
      }
      case 7 -> {
        if (!a.shape().equals(X)) return null;
        Node m = g.matmul(a, pool.get(0), false, r.nextBoolean());
        return r.nextBoolean() ? g.unary(Op.TANH, g.add(m, pool.get(1))) : m;
      }
      case 8 -> {
        if (a.shape().rank() == 0) return null;
        Op op = r.nextBoolean() ? Op.REDUCE_SUM : r.nextBoolean() ? Op.REDUCE_MEAN : Op.REDUCE_MAX;
        int axis = r.nextInt(a.shape().rank());
        return g.reduce(op, a, new int[] {axis}, a.shape().rank() == 2 && r.nextBoolean());
      }
      case 9 -> {
        if (!a.shape().equals(X)) return null;
        return r.nextBoolean() ? g.softmax(a) : g.logSoftmax(a);
      }
      case 10 -> {
        if (!a.shape().equals(X)) return null;
        Node labels = g.unary(Op.SOFTMAX, pool.get(3));
        Node ce = g.softmaxCrossEntropy(a, labels); // [batch]
        return g.reshape(ce, C);
      }
      default -> {
        return broadcastable(a.shape(), X) && a.shape().rank() <= 2 ? g.broadcastTo(a, X) : null;
      }
    }
  }

  private static boolean broadcastable(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    for (int i = 0; i < rank; i++) {
      Dim da = i < rank - a.rank() ? Dim.of(1) : a.dim(i - (rank - a.rank()));
      Dim db = i < rank - b.rank() ? Dim.of(1) : b.dim(i - (rank - b.rank()));
      if (!(da.equals(db) || da.isOne() || db.isOne())) return false;
    }
    return true;
  }
}
