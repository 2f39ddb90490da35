package dev.graft.processor.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.dsl.DType;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.differentiation.DerivativeStructure;
import org.apache.commons.math3.analysis.differentiation.FiniteDifferencesDifferentiator;
import org.apache.commons.math3.analysis.differentiation.UnivariateDifferentiableFunction;

/**
 * Checks autodiff against finite differences: the graph's inputs are the differentiation targets,
 * the loss is {@code reduceSum(f(inputs) * weights)} with fixed random weights, and every element
 * of every float input's gradient (evaluated with the {@link Interpreter}) must match both a
 * hand-written central difference and Commons Math's 5-point finite-difference differentiator.
 */
final class GradientCheck {
  static final double H = 1e-6;
  static final double TOLERANCE = 1e-6;

  /** How one argument's values are drawn. */
  @FunctionalInterface
  interface Values {
    double next(Random r);

    static Values uniform(double lo, double hi) {
      return r -> lo + (hi - lo) * r.nextDouble();
    }

    /** Magnitude in [lo, hi], random sign: keeps away from kinks at 0. */
    static Values awayFromZero(double lo, double hi) {
      return r -> (r.nextBoolean() ? 1 : -1) * (lo + (hi - lo) * r.nextDouble());
    }

    /** {@code offset + step * k} for k in [0, n): values at least {@code step} apart from another grid. */
    static Values grid(double offset, double step, int n) {
      return r -> offset + step * r.nextInt(n);
    }

    static Values index(int bound) {
      return r -> r.nextInt(bound);
    }
  }

  record Arg(String name, Shape shape, DType dtype, Values values) {}

  /** One gradient check: {@code body} builds the op under test from the argument nodes. */
  record Case(Op op, String name, Map<String, Integer> dims, List<Arg> args, BiFunction<Graph, List<Node>, Node> body) {
    @Override
    public String toString() {
      return op + " " + name;
    }
  }

  private GradientCheck() {}

  static Arg arg(String name, Shape shape, Values values) {
    return new Arg(name, shape, DType.FLOAT32, values);
  }

  static Arg indices(String name, Shape shape, int bound) {
    return new Arg(name, shape, DType.INT32, Values.index(bound));
  }

  static void run(Case c) {
    Random random = new Random(c.toString().hashCode());
    Graph g = new Graph();
    List<Node> args = new ArrayList<>();
    Map<String, DoubleArray> feeds = new HashMap<>();
    for (int i = 0; i < c.args().size(); i++) {
      Arg a = c.args().get(i);
      args.add(g.input(a.name(), i, a.shape(), a.dtype()));
      feeds.put(a.name(), draw(Interpreter.concreteShape(a.shape(), c.dims()), a.values(), random));
    }
    Node f = c.body().apply(g, args);
    Node weights = g.input("weights", args.size(), f.shape(), DType.FLOAT32);
    feeds.put("weights", draw(Interpreter.concreteShape(f.shape(), c.dims()), Values.uniform(-1, 1), random));
    Node loss = g.reduce(Op.REDUCE_SUM, g.mul(f, weights), new int[0], false);

    List<Node> targets = args.stream().filter(n -> n.dtype() == DType.FLOAT32).toList();
    List<Node> grads = Autodiff.gradients(g, loss, targets);
    Interpreter analytic = new Interpreter(c.dims(), feeds, Map.of());
    for (int t = 0; t < targets.size(); t++) {
      String name = targets.get(t).attrs().name();
      DoubleArray grad = analytic.evaluate(grads.get(t));
      double[] x = feeds.get(name).data();
      assertArrayEquals(feeds.get(name).shape(), grad.shape(), c + ": gradient shape of " + name);
      for (int j = 0; j < x.length; j++) {
        UnivariateFunction along = lossAlong(c, loss, feeds, name, j);
        double central = (along.value(H) - along.value(-H)) / (2 * H);
        UnivariateDifferentiableFunction stencil = new FiniteDifferencesDifferentiator(5, 1e-3).differentiate(along);
        double commons = stencil.value(new DerivativeStructure(1, 1, 0, 0.0)).getPartialDerivative(1);
        double a = grad.get(j);
        if (!close(a, central) || !close(a, commons)) {
          fail(c + ": d loss / d " + name + "[" + j + "] is " + a + " by autodiff, " + central
              + " by central differences, " + commons + " by Commons Math");
        }
      }
    }
  }

  static boolean close(double actual, double expected) {
    return Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected));
  }

  /** The loss as a function of a shift of element {@code j} of input {@code name}. */
  private static UnivariateFunction lossAlong(Case c, Node loss, Map<String, DoubleArray> feeds, String name, int j) {
    return shift -> {
      DoubleArray base = feeds.get(name);
      double[] moved = base.data().clone();
      moved[j] += shift;
      Map<String, DoubleArray> f = new HashMap<>(feeds);
      f.put(name, DoubleArray.of(moved, base.shape()));
      return new Interpreter(c.dims(), f, Map.of()).evaluate(loss).get(0);
    };
  }

  static DoubleArray draw(int[] shape, Values values, Random random) {
    int n = 1;
    for (int d : shape) n *= d;
    double[] data = new double[n];
    for (int i = 0; i < n; i++) data[i] = values.next(random);
    return DoubleArray.of(data, shape);
  }
}
