package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Feeds, variable values and a central-difference gradient check, all in double precision. */
final class Numeric {
  static final double H = 1e-6;
  static final double TOLERANCE = 1e-6;

  final Map<String, Integer> dims;
  final Map<String, DoubleArray> feeds = new HashMap<>();
  final Map<String, DoubleArray> variables = new HashMap<>();
  private final Random random;

  Numeric(Map<String, Integer> dims, long seed) {
    this.dims = dims;
    this.random = new Random(seed);
  }

  /** Random values for an INPUT or VARIABLE leaf: uniform in [-1, 1), or ints in [0, bound) when bound > 0. */
  Numeric fill(Node leaf, int bound) {
    int[] shape = Interpreter.concreteShape(leaf.shape(), dims);
    int n = 1;
    for (int d : shape) n *= d;
    double[] data = new double[n];
    for (int i = 0; i < n; i++) data[i] = bound > 0 ? random.nextInt(bound) : 2 * random.nextDouble() - 1;
    (leaf.op() == Op.VARIABLE ? variables : feeds).put(leaf.attrs().name(), DoubleArray.of(data, shape));
    return this;
  }

  Numeric fill(Node... leaves) {
    for (Node l : leaves) fill(l, 0);
    return this;
  }

  Interpreter interpreter() {
    return new Interpreter(dims, feeds, variables);
  }

  /** Every element of each gradient against central differences of {@code loss} in the target's value. */
  void checkGradients(String what, Node loss, List<Node> targets, List<Node> gradients) {
    Interpreter analytic = interpreter();
    for (int t = 0; t < targets.size(); t++) {
      Node target = targets.get(t);
      Map<String, DoubleArray> values = target.op() == Op.VARIABLE ? variables : feeds;
      String name = target.attrs().name();
      DoubleArray base = values.get(name);
      DoubleArray grad = analytic.evaluate(gradients.get(t));
      assertArrayEquals(base.shape(), grad.shape(), what + ": gradient shape of " + name);
      for (int j = 0; j < base.size(); j++) {
        double central = (lossAt(loss, values, name, base, j, H) - lossAt(loss, values, name, base, j, -H)) / (2 * H);
        double a = grad.get(j);
        if (Math.abs(a - central) > TOLERANCE * Math.max(1, Math.abs(central))) {
          fail(what + ": d loss / d " + name + "[" + j + "] is " + a + " by autodiff but " + central + " by central differences");
        }
      }
    }
  }

  private double lossAt(Node loss, Map<String, DoubleArray> values, String name, DoubleArray base, int j, double shift) {
    double[] moved = base.data().clone();
    moved[j] += shift;
    values.put(name, DoubleArray.of(moved, base.shape()));
    try {
      return interpreter().evaluate(loss).get(0);
    } finally {
      values.put(name, base);
    }
  }
}
