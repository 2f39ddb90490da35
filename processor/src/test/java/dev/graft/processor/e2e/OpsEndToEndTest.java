package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.processor.e2e.Nd.Reduction;
import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every DSL operation and overload through the whole pipeline: a one-line {@code @Model} per
 * case is compiled by javac with the Graft processor, opened in a {@link Session}, fed random
 * values and compared with a plain-loop reference ({@link Nd}). Cases with float variables also
 * get a loss {@code reduceSum(square(out))}; one SGD step with learning rate 1 gives the
 * generated gradient (old − new), which must match central differences of the double-precision
 * reference loss.
 */
class OpsEndToEndTest {
  /** An operand of a case: a float variable (differentiated) or an input fed per call. */
  record Operand(String name, String declared, int[] shape, Kind kind, double lo, double hi) {
    enum Kind { VARIABLE, FLOAT_INPUT, INT_INPUT }

    String declaration() {
      return switch (kind) {
        case VARIABLE -> "@Variable(shape = \"" + declared + "\") Tensor " + name + ";";
        case FLOAT_INPUT -> "@Input(shape = \"" + declared + "\") Tensor " + name;
        case INT_INPUT -> "@Input(shape = \"" + declared + "\", dtype = DType.INT32) Tensor " + name;
      };
    }

    Nd random(Random r) {
      double[] v = new double[Nd.size(shape)];
      for (int i = 0; i < v.length; i++) {
        // floats, so that the reference sees exactly what the kernels see
        v[i] = kind == Kind.INT_INPUT ? r.nextInt((int) hi) : (float) (lo + (hi - lo) * r.nextDouble());
      }
      return new Nd(v, shape);
    }

    NDArray array(Nd values) {
      if (kind == Kind.INT_INPUT) return NDArray.ofInts(Arrays.stream(values.data).mapToInt(x -> (int) x).toArray(), shape);
      return NDArray.of(floats(values.data), shape);
    }
  }

  /** The reference result of a case from its operand values by name. */
  interface Reference {
    Nd apply(Map<String, Nd> operands);
  }

  record Case(int id, String label, String expression, Reference reference, List<Operand> operands) {
    String className() {
      return String.format("Case%03d", id);
    }

    boolean differentiable() {
      return operands.stream().anyMatch(o -> o.kind() == Operand.Kind.VARIABLE);
    }

    String source() {
      String params = operands.stream().filter(o -> o.kind() != Operand.Kind.VARIABLE).map(Operand::declaration)
          .collect(Collectors.joining(", "));
      String args = operands.stream().filter(o -> o.kind() != Operand.Kind.VARIABLE).map(Operand::name)
          .collect(Collectors.joining(", "));
      StringBuilder s = new StringBuilder("package e2e;\n\nimport static dev.graft.dsl.Ops.*;\n\nimport dev.graft.dsl.*;\n\n"
          + "@Model\nabstract class " + className() + " {\n");
      for (Operand o : operands) if (o.kind() == Operand.Kind.VARIABLE) s.append("  ").append(o.declaration()).append('\n');
      s.append("  @Output Tensor out(").append(params).append(") {\n    return ").append(expression).append(";\n  }\n");
      if (differentiable()) {
        s.append("  @Loss Tensor loss(").append(params).append(") {\n    return reduceSum(square(out(").append(args)
            .append(")));\n  }\n");
      }
      return s.append("}\n").toString();
    }

    @Override
    public String toString() {
      return label;
    }
  }

  private static final List<Case> CASES = cases();
  private static ModelCompilation compiled;

  private static final double FORWARD_TOLERANCE = 2e-5;
  private static final double GRADIENT_TOLERANCE = 1e-3;

  // ---- the table ----

  private static List<Case> cases() {
    List<Case> t = new ArrayList<>();
    // Elementwise binary ops: Tensor and float operands on either side, broadcasting, fluent forms.
    Map<String, DoubleBinaryOperator> binary = new LinkedHashMap<>();
    binary.put("add", Double::sum);
    binary.put("sub", (x, y) -> x - y);
    binary.put("mul", (x, y) -> x * y);
    binary.put("div", (x, y) -> x / y);
    binary.put("minimum", Math::min);
    binary.put("maximum", Math::max);
    binary.forEach((name, f) -> {
      boolean div = name.equals("div");
      add(t, name + "(a, b)", m -> a(m).zip(m.get("b"), f), v("a", 2, 3), div ? pos("b", 3) : v("b", 3));
      add(t, name + "(a, 0.75f)", m -> a(m).zip(Nd.scalar(0.75f), f), v("a", 2, 3));
      add(t, "a." + name + "(b)", m -> a(m).zip(m.get("b"), f), v("a", 2, 3), div ? pos("b", 2, 1) : v("b", 2, 1));
      add(t, "a." + name + "(-1.5f)", m -> a(m).zip(Nd.scalar(-1.5f), f), v("a", 2, 3));
      add(t, name + "(0.75f, b)", m -> Nd.scalar(0.75f).zip(m.get("b"), f), div ? pos("b", 2, 3) : v("b", 2, 3));
    });
    add(t, "Ops.mul(s, a)", m -> m.get("s").mul(a(m)), v("s"), v("a", 2, 3));
    add(t, "a.add(b).mul(a.sub(b)).div(2f)", m -> a(m).add(m.get("b")).mul(a(m).zip(m.get("b"), (x, y) -> x - y))
        .map(x -> x / 2), v("a", 3, 1), v("b", 1, 2));
    add(t, "pow(a, 3f)", m -> a(m).map(x -> x * x * x), v("a", 2, 3));
    add(t, "a.pow(0.5f)", m -> a(m).map(Math::sqrt), pos("a", 2, 3));
    add(t, "clip(a, -0.5f, 0.5f)", m -> a(m).map(x -> Math.max(-0.5, Math.min(0.5, x))), v("a", 2, 3));
    add(t, "a.clip(-0.25f, 0.75f)", m -> a(m).map(x -> Math.max(-0.25, Math.min(0.75, x))), v("a", 2, 3));

    // Elementwise unary ops, static and fluent.
    Map<String, DoubleUnaryOperator> unary = new LinkedHashMap<>();
    unary.put("neg", x -> -x);
    unary.put("square", x -> x * x);
    unary.put("sqrt", Math::sqrt);
    unary.put("exp", Math::exp);
    unary.put("log", Math::log);
    unary.put("tanh", Math::tanh);
    unary.put("sigmoid", x -> 1 / (1 + Math.exp(-x)));
    unary.put("relu", x -> Math.max(0, x));
    unary.put("abs", Math::abs);
    unary.forEach((name, f) -> {
      boolean positive = name.equals("sqrt") || name.equals("log");
      Operand a = positive ? pos("a", 2, 3) : v("a", 2, 3);
      add(t, name + "(a)", m -> a(m).map(f), a);
      add(t, "a." + name + "()", m -> a(m).map(f), a);
    });

    // Constants.
    add(t, "a.add(constant(1.5f))", m -> a(m).add(Nd.scalar(1.5f)), v("a", 2, 3));
    add(t, "a.mul(constant(1.5f, 2, -1))", m -> a(m).mul(new Nd(new double[] {1.5f, 2, -1}, 3)), v("a", 2, 3));
    add(t, "a.sub(constant(\"2, 3\", 1, 2, 3, 4, 5, 6))", m -> a(m).zip(new Nd(new double[] {1, 2, 3, 4, 5, 6}, 2, 3),
        (x, y) -> x - y), v("a", 2, 3));
    add(t, "a.mul(constant(\"2, 1\", new float[] {0.5f, -2f}))", m -> a(m).mul(new Nd(new double[] {0.5, -2}, 2, 1)),
        v("a", 2, 3));
    add(t, "constant(\"2, 2\", 1, 2, 3, 4)", m -> new Nd(new double[] {1, 2, 3, 4}, 2, 2));

    // Matrix products.
    add(t, "matmul(a, b)", m -> a(m).matmul(m.get("b")), v("a", 2, 3), v("b", 3, 4));
    add(t, "a.matmul(b)", m -> a(m).matmul(m.get("b")), v("a", 3, 2), v("b", 2, 2));
    add(t, "matmul(a, b) [batched]", m -> a(m).matmul(m.get("b")), v("a", 2, 2, 3), v("b", 2, 3, 4));
    add(t, "matmul(a, b) [batched x 2-d]", m -> a(m).matmul(m.get("b")), v("a", 2, 2, 3), v("b", 3, 4));
    add(t, "matmul(x, w).add(b)", m -> m.get("x").matmul(m.get("w")).add(m.get("b")),
        in("x", "batch, 3", 5, 3), v("w", 3, 2), v("b", 2));
    add(t, "matmul(transpose(a), b)", m -> a(m).transpose().matmul(m.get("b")), v("a", 3, 2), v("b", 3, 4));
    add(t, "matmul(a, b.transpose())", m -> a(m).matmul(m.get("b").transpose()), v("a", 2, 3), v("b", 4, 3));

    // Layout.
    add(t, "transpose(a)", m -> a(m).transpose(), v("a", 2, 3));
    add(t, "transpose(a) [3-d]", m -> a(m).transpose(), v("a", 2, 3, 4));
    add(t, "transpose(a, 1, 0, 2)", m -> a(m).transpose(1, 0, 2), v("a", 2, 3, 4));
    add(t, "a.transpose()", m -> a(m).transpose(), v("a", 3, 2));
    add(t, "a.transpose(2, 0, 1)", m -> a(m).transpose(2, 0, 1), v("a", 2, 3, 4));
    add(t, "reshape(a, \"6, 4\")", m -> a(m).reshape(6, 4), v("a", 2, 3, 4));
    add(t, "a.reshape(\"3, 2\").mul(b)", m -> a(m).reshape(3, 2).mul(m.get("b")), v("a", 6), v("b", 3, 2));
    add(t, "reshape(x, \"batch, 6\").mul(w)", m -> m.get("x").reshape(2, 6).mul(m.get("w")),
        in("x", "batch, 2, 3", 2, 2, 3), v("w", 6));
    add(t, "concat(0, a, b)", m -> Nd.concat(0, a(m), m.get("b")), v("a", 2, 3), v("b", 1, 3));
    add(t, "concat(-1, a, c, a)", m -> Nd.concat(-1, a(m), m.get("c"), a(m)), v("a", 2, 3), v("c", 2, 2));
    add(t, "concat(0, split(a, 2, 1))", m -> Nd.concat(0, a(m).slice(1, 0, 2), a(m).slice(1, 2, 2)), v("a", 2, 4));
    add(t, "slice(a, 1, 1, 2)", m -> a(m).slice(1, 1, 2), v("a", 2, 4));
    add(t, "a.slice(-1, 0, 2)", m -> a(m).slice(-1, 0, 2), v("a", 2, 3, 3));
    add(t, "split(a, 2, 1)[1]", m -> a(m).slice(1, 2, 2), v("a", 2, 4));
    add(t, "a.split(3, -2)[2]", m -> a(m).slice(-2, 2, 1), v("a", 3, 2));
    add(t, "split(a, 2, 0)[0].mul(split(a, 2, 0)[1])", m -> a(m).slice(0, 0, 1).mul(a(m).slice(0, 1, 1)), v("a", 2, 3));

    // Reductions: no axis, one axis (negative too), keepDims, int[] axes; static and fluent.
    for (Reduction r : Reduction.values()) {
      String name = "reduce" + r.name().charAt(0) + r.name().substring(1).toLowerCase();
      add(t, name + "(a)", m -> a(m).reduce(r, false), v("a", 2, 3, 2));
      add(t, name + "(a, -1)", m -> a(m).reduce(r, false, -1), v("a", 2, 3, 2));
      add(t, name + "(a, 1, true)", m -> a(m).reduce(r, true, 1), v("a", 2, 3, 2));
      add(t, name + "(a, new int[] {0, -1}, false)", m -> a(m).reduce(r, false, 0, -1), v("a", 2, 3, 2));
      add(t, "a." + name + "()", m -> a(m).reduce(r, false), v("a", 3, 2));
      add(t, "a." + name + "(0)", m -> a(m).reduce(r, false, 0), v("a", 3, 2));
      add(t, "a." + name + "(-2, false)", m -> a(m).reduce(r, false, -2), v("a", 2, 3, 2));
      add(t, "a." + name + "(new int[] {1, 2}, true)", m -> a(m).reduce(r, true, 1, 2), v("a", 2, 3, 2));
    }
    add(t, "reduceSum(a, new int[] {}, false)", m -> a(m), v("a", 2, 3));

    // Neural-network ops.
    add(t, "softmax(a)", m -> a(m).softmax(), v("a", 2, 3));
    add(t, "a.softmax()", m -> a(m).softmax(), v("a", 2, 2, 3));
    add(t, "logSoftmax(a)", m -> a(m).logSoftmax(), v("a", 2, 3, 4));
    add(t, "a.logSoftmax()", m -> a(m).logSoftmax(), v("a", 3, 2));
    add(t, "log(softmax(a))", m -> a(m).logSoftmax(), v("a", 2, 3));
    add(t, "softmaxCrossEntropy(a, y)", m -> a(m).softmaxCrossEntropy(m.get("y")), v("a", 3, 4), probs("y", 3, 4));
    add(t, "reduceSum(y.mul(log(softmax(a))), 1).neg()", m -> a(m).softmaxCrossEntropy(m.get("y")), v("a", 3, 4),
        probs("y", 3, 4));
    add(t, "sparseSoftmaxCrossEntropy(a, ids)", m -> a(m).sparseSoftmaxCrossEntropy(m.get("ids")), v("a", 3, 4),
        ints("ids", 4, 3));
    add(t, "sparseSoftmaxCrossEntropy(a, ids) [3-d]", m -> a(m).sparseSoftmaxCrossEntropy(m.get("ids")),
        v("a", 2, 3, 4), ints("ids", 4, 2, 3));
    add(t, "gather(table, ids)", m -> m.get("table").gather(m.get("ids")), v("table", 5, 3), ints("ids", 5, 6));
    add(t, "table.gather(ids)", m -> m.get("table").gather(m.get("ids")), v("table", 4, 2), ints("ids", 4, 2, 3));
    add(t, "oneHot(ids, 4)", m -> m.get("ids").oneHot(4), ints("ids", 4, 5));
    add(t, "oneHot(ids, 3).mul(a)", m -> m.get("ids").oneHot(3).mul(a(m)), ints("ids", 3, 2, 2), v("a", 2, 2, 3));

    // Results that the passes may turn into aliases, constants or simpler expressions.
    add(t, "a", m -> a(m), v("a", 2, 3));
    add(t, "x", m -> m.get("x"), in("x", "batch, 3", 2, 3));
    add(t, "reshape(x, \"6\")", m -> m.get("x").reshape(6), in("x", "2, 3", 2, 3));
    add(t, "x.transpose().mul(a)", m -> m.get("x").transpose().mul(a(m)), in("x", "batch, 3", 2, 3), v("a", 3, 1));
    add(t, "a.mul(s)", m -> a(m).mul(m.get("s")), v("a", 2, 3), in("s", ""));
    add(t, "a.add(0f).mul(1f).div(1f).sub(0f)", m -> a(m), v("a", 2, 3));
    add(t, "a.sub(a)", m -> a(m).map(x -> 0), v("a", 2, 3));
    add(t, "a.div(a)", m -> a(m).map(x -> 1), pos("a", 2, 3));
    add(t, "a.mul(0f)", m -> a(m).map(x -> 0), v("a", 2, 3));
    add(t, "a.mul(a)", m -> a(m).mul(a(m)), v("a", 2, 3));
    add(t, "matmul(a, a)", m -> a(m).matmul(a(m)), v("a", 3, 3));
    add(t, "neg(neg(a))", m -> a(m), v("a", 2, 3));
    add(t, "sqrt(square(a))", m -> a(m).map(Math::abs), v("a", 2, 3));
    add(t, "exp(log(a))", m -> a(m), pos("a", 2, 3));
    add(t, "log(exp(a))", m -> a(m), v("a", 2, 3));
    add(t, "transpose(transpose(a))", m -> a(m), v("a", 2, 3));
    add(t, "a.transpose(1, 0, 2).transpose(1, 0, 2)", m -> a(m), v("a", 2, 3, 2));
    add(t, "a.reshape(\"3, 2\").reshape(\"6\")", m -> a(m).reshape(6), v("a", 2, 3));
    add(t, "slice(concat(1, a, b), 1, 3, 2)", m -> m.get("b"), v("a", 2, 3), v("b", 2, 2));
    add(t, "matmul(transpose(a), transpose(b))", m -> a(m).transpose().matmul(m.get("b").transpose()), v("a", 3, 2),
        v("b", 4, 3));
    add(t, "exp(constant(1f)).mul(a)", m -> a(m).map(x -> x * Math.exp(1)), v("a", 2));
    add(t, "constant(\"2, 2\", 1, 2, 3, 4).mul(2f).add(constant(1f))", m -> new Nd(new double[] {3, 5, 7, 9}, 2, 2));
    add(t, "softmax(a) [1-d]", m -> a(m).softmax(), v("a", 5));
    add(t, "softmax(a) [one class]", m -> a(m).softmax(), v("a", 3, 1));
    add(t, "reduceMax(a, 0, true)", m -> a(m).reduce(Reduction.MAX, true, 0), v("a", 4));
    add(t, "reduceMean(a.sub(reduceMean(a, -1, true)).square(), -1)", m -> a(m).zip(
        a(m).reduce(Reduction.MEAN, true, -1), (x, y) -> (x - y) * (x - y)).reduce(Reduction.MEAN, false, -1),
        v("a", 3, 4));
    // Sizes with vector tails and several blocks, on two threads.
    add(t, "matmul(a, b) [33 x 17 x 9]", m -> a(m).matmul(m.get("b")), v("a", 33, 17), v("b", 17, 9));
    add(t, "softmax(a.mul(b)).reduceMax(0) [37 x 19]", m -> a(m).mul(m.get("b")).softmax().reduce(Reduction.MAX, false, 0),
        v("a", 37, 19), v("b", 19));
    return t;
  }

  private static Nd a(Map<String, Nd> m) {
    return m.get("a");
  }

  private static void add(List<Case> t, String expression, Reference reference, Operand... operands) {
    String code = expression.replaceAll(" \\[.*]$", ""); // "[batched]": a label, not code
    t.add(new Case(t.size(), expression, code, reference, List.of(operands)));
  }

  private static Operand v(String name, int... shape) {
    return new Operand(name, dims(shape), shape, Operand.Kind.VARIABLE, -1, 1);
  }

  /** A variable in [0.5, 2]: for sqrt, log and divisors. */
  private static Operand pos(String name, int... shape) {
    return new Operand(name, dims(shape), shape, Operand.Kind.VARIABLE, 0.5, 2);
  }

  private static Operand in(String name, String declared, int... shape) {
    return new Operand(name, declared, shape, Operand.Kind.FLOAT_INPUT, -1, 1);
  }

  /** A float input in [0, 1], not normalized: cross-entropy labels. */
  private static Operand probs(String name, int... shape) {
    return new Operand(name, dims(shape), shape, Operand.Kind.FLOAT_INPUT, 0, 1);
  }

  private static Operand ints(String name, int bound, int... shape) {
    return new Operand(name, dims(shape), shape, Operand.Kind.INT_INPUT, 0, bound);
  }

  private static String dims(int[] shape) {
    return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(", "));
  }

  // ---- running a case ----

  /** All cases in one javac run (a fraction of the time of one run each); see {@link #compiledCase}. */
  private static synchronized ModelCompilation compiled() {
    if (compiled == null) {
      Map<String, String> sources = new LinkedHashMap<>();
      for (Case c : CASES) sources.put("e2e." + c.className(), c.source());
      compiled = ModelCompilation.compile(sources);
    }
    return compiled;
  }

  /**
   * The compilation holding case {@code c}. javac writes no class at all when any source has an
   * error, so after a failed batch each case is compiled alone, to blame only the broken ones.
   */
  private static ModelCompilation compiledCase(Case c) {
    ModelCompilation all = compiled();
    if (all.result.success()) return all;
    ModelCompilation alone = ModelCompilation.compile(Map.of("e2e." + c.className(), c.source()));
    String errors = alone.errorsIn("e2e." + c.className());
    if (!alone.result.success()) fail("case does not compile:\n" + errors + "\n" + alone.result.describe() + c.source());
    return alone;
  }

  static Stream<Case> table() {
    return CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void generatedCodeMatchesTheReference(Case c) {
    ModelCompilation compilation = compiledCase(c);
    Random random = new Random(c.id() * 7919L + 1);
    Map<String, Nd> values = new LinkedHashMap<>();
    for (Operand o : c.operands()) values.put(o.name(), o.random(random));
    try (Session session = Session.open(compilation.instantiate("e2e." + c.className()), Device.cpu(2), Dims.none())) {
      Feeds.Builder feeds = Feeds.builder();
      for (Operand o : c.operands()) {
        if (o.kind() == Operand.Kind.VARIABLE) session.assign(o.name(), o.array(values.get(o.name())));
        else feeds.put(o.name(), o.array(values.get(o.name())));
      }
      Nd expected = c.reference().apply(values);
      NDArray actual = session.run("out", feeds.build());
      assertArrayEquals(expected.shape, actual.shape(), () -> "shape of out\n" + c.source());
      assertClose("out", expected.data, actual.toFloatArray(), FORWARD_TOLERANCE, c);
      if (!c.differentiable()) return;

      float loss = session.eval("loss", feeds.build());
      assertClose("loss", new double[] {loss(c, values)}, new float[] {loss}, FORWARD_TOLERANCE, c);
      Map<String, float[]> before = new LinkedHashMap<>();
      for (Operand o : c.operands()) {
        if (o.kind() == Operand.Kind.VARIABLE) before.put(o.name(), session.variable(o.name()).toFloatArray());
      }
      Trainer sgd = session.trainer("loss", Optimizers.sgd(1));
      assertEquals(loss, sgd.step(feeds.build()), 0f, "the step's loss is the forward loss");
      for (Map.Entry<String, float[]> v : before.entrySet()) {
        float[] after = session.variable(v.getKey()).toFloatArray();
        float[] gradient = new float[after.length];
        for (int i = 0; i < after.length; i++) gradient[i] = v.getValue()[i] - after[i];
        assertClose("d loss / d " + v.getKey(), numericGradient(c, values, v.getKey()), gradient, GRADIENT_TOLERANCE, c);
      }
    }
  }

  /** {@code sum(out^2)} in double precision. */
  private static double loss(Case c, Map<String, Nd> values) {
    double s = 0;
    for (double x : c.reference().apply(values).data) s += x * x;
    return s;
  }

  /** Central differences of the reference loss; h is small because the reference is double. */
  private static double[] numericGradient(Case c, Map<String, Nd> values, String variable) {
    double[] x = values.get(variable).data;
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double saved = x[i];
      double h = 1e-6 * Math.max(1, Math.abs(saved));
      x[i] = saved + h;
      double up = loss(c, values);
      x[i] = saved - h;
      double down = loss(c, values);
      x[i] = saved;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  private static void assertClose(String what, double[] expected, float[] actual, double tolerance, Case c) {
    assertEquals(expected.length, actual.length, what + ": number of values");
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= tolerance * (1 + Math.abs(expected[i])))) {
        fail(what + "[" + i + "] is " + actual[i] + ", expected " + expected[i] + "\n  expected " + Arrays.toString(expected)
            + "\n  actual   " + Arrays.toString(actual) + "\n" + c.source());
      }
    }
  }

  private static float[] floats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }

  // ---- coverage ----

  /** A new public DSL method fails here until a case above calls it. */
  @Test
  void everyPublicDslMethodHasACase() {
    ModelCompilation all = compiled();
    if (!all.result.success()) { // javac stopped before attributing: look again without the processor
      Map<String, String> sources = new LinkedHashMap<>();
      for (Case c : CASES) sources.put("e2e." + c.className(), c.source());
      all = ModelCompilation.compileWithoutProcessor(sources);
    }
    Set<String> missing = new TreeSet<>(ModelCompilation.publicDslMethods());
    missing.removeAll(all.calledDslMethods);
    missing.removeAll(ScanEndToEndTest.compiled().calledDslMethods); // scan and zeros need model methods of their own
    missing.removeAll(CellsEndToEndTest.compiled().calledDslMethods); // rnn, gru, lstm: checked against references there
    assertTrue(missing.isEmpty(), "DSL methods without an end-to-end case in OpsEndToEndTest: " + missing);
  }
}
