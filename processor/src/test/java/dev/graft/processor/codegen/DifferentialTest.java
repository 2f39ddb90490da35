package dev.graft.processor.codegen;

import static dev.graft.processor.codegen.Harness.input;
import static dev.graft.processor.codegen.Harness.variable;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.autodiff.Autodiff;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import dev.graft.processor.ir.Verifier;
import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.runtime.ModelExecutor;
import dev.graft.runtime.kernel.ScalarKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generated kernels against the unfused double-precision {@code Interpreter} on the same IR:
 * every entry, forward only and (for losses) forward with gradients, with the symbolic batch
 * bound to several values in one executor (so workspaces grow and are reused), fused and unfused.
 * The Vector API variant is checked against both the interpreter and the scalar variant, with
 * sizes below, at and off multiples of the vector width so that main loops and tails both run.
 * Generated row loops run in many ranges ({@link Harness#splittingKernels}), as on a pool.
 */
class DifferentialTest {
  static final double TOLERANCE = 2e-3;
  static final int[] BATCHES = {3, 1, 8, 5};
  /** With {@code n = batch + 2}: 5, 3, 10, 39 and 66 wide, 15 to 4224 elements. */
  static final int[] VECTOR_BATCHES = {3, 1, 8, 37, 64};
  /** Vector and scalar variants differ only by the rounding of vector transcendentals. */
  static final double VARIANT_TOLERANCE = 1e-4;

  static Stream<Arguments> models() {
    List<Arguments> l = new ArrayList<>();
    l.add(Arguments.of("softmaxRegression", Models.softmaxRegression()));
    l.add(Arguments.of("elementwise", Models.elementwise()));
    l.add(Arguments.of("mlp", mlp()));
    l.add(Arguments.of("layout", layout()));
    l.add(Arguments.of("embedding", embedding()));
    l.add(Arguments.of("reductions", reductions()));
    l.add(Arguments.of("batchedMatmul", batchedMatmul()));
    l.add(Arguments.of("unusedVariable", unusedVariable()));
    l.add(Arguments.of("rnnScan", rnnScan()));
    l.add(Arguments.of("lstmScanWithEmbedding", lstmScan()));
    l.add(Arguments.of("reverseScanSwappingCarries", swapScan()));
    IntStream.range(0, 40).forEach(seed -> l.add(Arguments.of("random" + seed, RandomModels.build(seed))));
    return l.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void fusedMatchesInterpreter(String name, ModelGraph model) {
    check(model, FusionPolicy.DEFAULT);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void unfusedMatchesInterpreter(String name, ModelGraph model) {
    check(model, FusionPolicy.NONE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void vectorVariantMatchesInterpreterAndScalar(String name, ModelGraph model) {
    checkVector(model, FusionPolicy.DEFAULT);
  }

  /** Runs the scalar and the Vector API variant of {@code model} against the interpreter and each other. */
  static void checkVector(ModelGraph model, FusionPolicy policy) {
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "run the tests with --add-modules jdk.incubator.vector (processor/pom.xml sets it for surefire)");
    Verifier.verify(model);
    Harness.Compiled c = Harness.compile(model, policy, true);
    ModelExecutor scalar = c.model().newExecutor(new ScalarKernels(Harness.POOL));
    ModelExecutor vector = c.vector().newExecutor(Harness.splittingKernels());
    for (int batch : VECTOR_BATCHES) {
      Harness.Feeds feeds = new Harness.Feeds(model, Harness.dims("batch", batch, "n", batch + 2), batch * 17L, 5);
      for (int e = 0; e < model.entries().size(); e++) {
        ModelGraph.Entry entry = model.entries().get(e);
        List<Boolean> modes = entry.gradients().isEmpty() ? List.of(false) : List.of(false, true);
        for (boolean grads : modes) {
          List<float[]> actual = Harness.run(vector, model, e, feeds, grads);
          List<float[]> scalarValues = Harness.run(scalar, model, e, feeds, grads);
          List<DoubleArray> expected = Harness.reference(model, e, feeds, grads);
          for (int i = 0; i < expected.size(); i++) {
            String what = "vector variant: " + entry.name() + (grads ? " with gradients" : "") + (i == 0 ? " result"
                : " gradient of " + model.trainableVariables().get(i - 1).name()) + " at batch " + batch + " in\n"
                + Harness.numbered(c.source().source());
            Harness.assertClose(what, expected.get(i), actual.get(i), TOLERANCE);
            double[] s = new double[scalarValues.get(i).length];
            for (int j = 0; j < s.length; j++) s[j] = scalarValues.get(i)[j];
            Harness.assertClose(what + "\ncompared with the scalar variant", DoubleArray.of(s, s.length), actual.get(i),
                VARIANT_TOLERANCE);
          }
        }
      }
    }
  }

  static void check(ModelGraph model, FusionPolicy policy) {
    Verifier.verify(model);
    Harness.Compiled c = Harness.compile(model, policy);
    ModelExecutor ex = c.model().newExecutor(Harness.splittingKernels());
    for (int batch : BATCHES) {
      Harness.Feeds feeds = new Harness.Feeds(model, Harness.dims("batch", batch, "n", batch + 2), batch * 31L, 5);
      for (int e = 0; e < model.entries().size(); e++) {
        ModelGraph.Entry entry = model.entries().get(e);
        List<Boolean> modes = entry.gradients().isEmpty() ? List.of(false) : List.of(false, true);
        for (boolean grads : modes) {
          List<float[]> actual = Harness.run(ex, model, e, feeds, grads);
          List<DoubleArray> expected = Harness.reference(model, e, feeds, grads);
          for (int i = 0; i < expected.size(); i++) {
            String what = entry.name() + (grads ? " with gradients" : "") + (i == 0 ? " result" : " gradient of "
                + model.trainableVariables().get(i - 1).name()) + " at batch " + batch + " in\n" + Harness.numbered(c.source().source());
            Harness.assertClose(what, expected.get(i), actual.get(i), TOLERANCE);
          }
        }
      }
    }
  }

  static SourcePos at(int line) {
    return new SourcePos("/src/demo/M.java", line, 1, "", null);
  }

  static ModelGraph.Entry output(String name, List<ModelGraph.InputDecl> inputs, Node result) {
    return new ModelGraph.Entry(name, ModelGraph.EntryKind.OUTPUT, inputs, result, List.of(), at(1));
  }

  static ModelGraph.Entry loss(String name, List<ModelGraph.InputDecl> inputs, Node result) {
    return new ModelGraph.Entry(name, ModelGraph.EntryKind.LOSS, inputs, result, List.of(), at(1));
  }

  /** A model variable as a leaf of a scan body's graph. */
  private static Node in(Graph body, Node variable) {
    return body.make(Op.VARIABLE, List.of(), variable.attrs());
  }

  /**
   * The lecture's RNN cell h' = tanh(x·Wx + h·Wh + b) scanned over n steps: the stacked states,
   * the final state and a loss over both, so BPTT runs as a reverse loop reading carry histories.
   */
  static ModelGraph rnnScan() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Dim time = Dim.symbol("n");
    Shape xs = Shape.of(time, batch, Dim.of(3));
    Shape hs = Shape.of(batch, Dim.of(4));
    Node wx = g.variable("wx", 0, Shape.of(3, 4));
    Node wh = g.variable("wh", 1, Shape.of(4, 4));
    Node b = g.variable("b", 2, Shape.of(4));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node h0 = g.input("h0", 1, hs, DType.FLOAT32);
    Graph body = new Graph();
    Node xt = body.input("xt", 0, Shape.of(batch, Dim.of(3)), DType.FLOAT32);
    Node h = body.input("h", 1, hs, DType.FLOAT32);
    Node next = body.unary(Op.TANH, body.add(body.add(body.matmul(xt, in(body, wx), false, false),
        body.matmul(h, in(body, wh), false, false)), in(body, b)));
    ScanBody step = new ScanBody(body, List.of(xt), List.of(h), List.of(next), List.of(next), List.of());
    Node states = g.scan(step, List.of(x), List.of(h0), false, 1);
    Node last = g.scan(step, List.of(x), List.of(h0), false, 0);
    Node cost = g.add(g.reduce(Op.REDUCE_SUM, g.unary(Op.SQUARE, states), new int[0], false),
        g.reduce(Op.REDUCE_SUM, g.mul(last, g.scalar(3)), new int[0], false));
    List<ModelGraph.InputDecl> inputs = List.of(input("x", xs, DType.FLOAT32), input("h0", hs, DType.FLOAT32));
    ModelGraph m = new ModelGraph("demo", "Rnn", g,
        List.of(variable("wx", Shape.of(3, 4)), variable("wh", Shape.of(4, 4)), variable("b", Shape.of(4))),
        List.of(output("states", inputs, states), output("last", inputs, last), loss("cost", inputs, cost)));
    return Autodiff.differentiate(m);
  }

  /**
   * An LSTM over embedded int ids (the gather inside the step, so the loop slices an int
   * sequence), gates from one matmul split by slices, a sparse softmax cross-entropy over the
   * stacked outputs; the final cell state is an output of its own.
   */
  static ModelGraph lstmScan() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Dim time = Dim.symbol("n");
    int hidden = 3;
    Shape ids = Shape.of(time, batch);
    Shape hs = Shape.of(batch, Dim.of(hidden));
    Node emb = g.variable("emb", 0, Shape.of(5, 2));
    Node w = g.variable("w", 1, Shape.of(2 + hidden, 4 * hidden));
    Node bias = g.variable("bias", 2, Shape.of(4 * hidden));
    Node proj = g.variable("proj", 3, Shape.of(hidden, 5));
    Node words = g.input("words", 0, ids, DType.INT32);
    Node targets = g.input("targets", 1, ids, DType.INT32);
    Graph body = new Graph();
    Node xt = body.input("xt", 0, Shape.of(batch), DType.INT32);
    Node h = body.input("h", 1, hs, DType.FLOAT32);
    Node c = body.input("c", 2, hs, DType.FLOAT32);
    Node z = body.add(body.matmul(body.concat(1, List.of(body.gather(in(body, emb), xt), h)), in(body, w), false, false),
        in(body, bias));
    List<Node> gate = new ArrayList<>();
    for (int i = 0; i < 4; i++) gate.add(body.slice(z, 1, i == 0 ? Dim.zero() : Dim.of(i * hidden), Dim.of(hidden)));
    Node c2 = body.add(body.mul(body.unary(Op.SIGMOID, body.add(gate.get(1), body.scalar(1))), c),
        body.mul(body.unary(Op.SIGMOID, gate.get(0)), body.unary(Op.TANH, gate.get(3))));
    Node h2 = body.mul(body.unary(Op.SIGMOID, gate.get(2)), body.unary(Op.TANH, c2));
    ScanBody step = new ScanBody(body, List.of(xt), List.of(h, c), List.of(h2, c2), List.of(h2), List.of());
    Node zeros = g.broadcastTo(g.scalar(0), hs);
    Node states = g.scan(step, List.of(words), List.of(zeros, zeros), false, 2);
    Node lastCell = g.scan(step, List.of(words), List.of(zeros, zeros), false, 1);
    Node flat = g.reshape(states, Shape.of(time.times(batch), Dim.of(hidden)));
    Node logits = g.matmul(flat, proj, false, false);
    Node cost = g.reduce(Op.REDUCE_MEAN, g.sparseSoftmaxCrossEntropy(logits, g.reshape(targets, Shape.of(time.times(batch)))),
        new int[0], false);
    ModelGraph m = new ModelGraph("demo", "Lstm", g,
        List.of(variable("emb", Shape.of(5, 2)), variable("w", Shape.of(2 + hidden, 4 * hidden)),
            variable("bias", Shape.of(4 * hidden)), variable("proj", Shape.of(hidden, 5))),
        List.of(output("lastCell", List.of(input("words", ids, DType.INT32)), lastCell),
            loss("cost", List.of(input("words", ids, DType.INT32), input("targets", ids, DType.INT32)), cost)));
    return Autodiff.differentiate(m);
  }

  /**
   * A reverse scan whose new carries swap (a' = b·w, b' = a + x): carry updates must not
   * overwrite a carry another update still reads; summed output sum_t a·x.
   */
  static ModelGraph swapScan() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Dim time = Dim.symbol("n");
    Shape row = Shape.of(batch, Dim.of(2));
    Node w = g.variable("w", 0, Shape.of(2));
    Node x = g.input("x", 0, Shape.of(time, batch, Dim.of(2)), DType.FLOAT32);
    Node a0 = g.input("a0", 1, row, DType.FLOAT32);
    Graph body = new Graph();
    Node xt = body.input("xt", 0, row, DType.FLOAT32);
    Node a = body.input("a", 1, row, DType.FLOAT32);
    Node b = body.input("b", 2, row, DType.FLOAT32);
    ScanBody step = new ScanBody(body, List.of(xt), List.of(a, b), List.of(body.mul(b, in(body, w)), body.add(a, xt)),
        List.of(a), List.of(body.mul(a, xt)));
    List<Node> out = g.scanOutputs(step, List.of(x), List.of(a0, g.unary(Op.TANH, a0)), true);
    Node cost = g.add(g.reduce(Op.REDUCE_SUM, g.unary(Op.SQUARE, out.get(2)), new int[0], false),
        g.add(g.reduce(Op.REDUCE_SUM, out.get(3), new int[0], false), g.reduce(Op.REDUCE_SUM, g.mul(out.get(0), out.get(1)),
            new int[0], false)));
    List<ModelGraph.InputDecl> inputs = List.of(input("x", Shape.of(time, batch, Dim.of(2)), DType.FLOAT32), input("a0", row,
        DType.FLOAT32));
    ModelGraph m = new ModelGraph("demo", "Swap", g, List.of(variable("w", Shape.of(2))),
        List.of(output("summed", inputs, out.get(3)), loss("cost", inputs, cost)));
    return Autodiff.differentiate(m);
  }

  /** Two layers, tanh then relu, with a sparse softmax cross-entropy loss. */
  static ModelGraph mlp() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xs = Shape.of(batch, Dim.of(5));
    Shape ls = Shape.of(batch);
    Node w1 = g.variable("w1", 0, Shape.of(5, 6));
    Node b1 = g.variable("b1", 1, Shape.of(6));
    Node w2 = g.variable("w2", 2, Shape.of(6, 5));
    Node b2 = g.variable("b2", 3, Shape.of(5));
    Function<Node, Node> net = x -> {
      Node h = g.unary(Op.TANH, g.add(g.matmul(x, w1, false, false), b1));
      return g.unary(Op.RELU, g.add(g.matmul(h, w2, false, false), b2));
    };
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node labels = g.input("labels", 1, ls, DType.INT32);
    Node out = net.apply(x);
    Node cost = g.reduce(Op.REDUCE_MEAN, g.sparseSoftmaxCrossEntropy(out, labels), new int[0], false);
    Node reg = g.mul(g.scalar(0.01), g.reduce(Op.REDUCE_SUM, g.unary(Op.SQUARE, w1), new int[0], false));
    ModelGraph m = new ModelGraph("demo", "Mlp", g,
        List.of(variable("w1", Shape.of(5, 6)), variable("b1", Shape.of(6)), variable("w2", Shape.of(6, 5)), variable("b2", Shape.of(5))),
        List.of(output("logits", List.of(input("x", xs, DType.FLOAT32)), out),
            output("probabilities", List.of(input("x", xs, DType.FLOAT32)), g.logSoftmax(out)),
            loss("cost", List.of(input("x", xs, DType.FLOAT32), input("labels", ls, DType.INT32)), g.add(cost, reg))));
    return Autodiff.differentiate(m);
  }

  /** Transpose, concat, slice, reshape and their gradients (pad, transposes, reshapes). */
  static ModelGraph layout() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xs = Shape.of(batch, Dim.of(3));
    Node w = g.variable("w", 0, Shape.of(3, 4));
    Node v = g.variable("v", 1, Shape.of(2, 3));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node w2 = g.add(w, g.reshape(g.concat(1, List.of(v, v)), Shape.of(3, 4)));
    Node xw = g.matmul(x, w2, false, false); // [batch, 4]
    Node t = g.transpose(xw, 1, 0); // [4, batch]
    Node cat = g.concat(0, List.of(t, g.unary(Op.TANH, t))); // [8, batch]
    Node sl = g.slice(cat, 0, Dim.of(1), Dim.of(5)); // [5, batch]
    Node r = g.reshape(g.unary(Op.SIGMOID, sl), Shape.of(sl.shape().size()));
    Node lossValue = g.reduce(Op.REDUCE_SUM, g.mul(r, r), new int[0], false);
    ModelGraph m = new ModelGraph("demo", "Layout", g, List.of(variable("w", Shape.of(3, 4)), variable("v", Shape.of(2, 3))),
        List.of(output("flat", List.of(input("x", xs, DType.FLOAT32)), r),
            output("transposed", List.of(input("x", xs, DType.FLOAT32)), t),
            loss("cost", List.of(input("x", xs, DType.FLOAT32)), lossValue)));
    return Autodiff.differentiate(m);
  }

  /** Gather from an embedding table, one-hot labels and a dense cross-entropy. */
  static ModelGraph embedding() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape ids = Shape.of(batch, Dim.of(2));
    Node table = g.variable("table", 0, Shape.of(5, 3));
    Node proj = g.variable("proj", 1, Shape.of(6, 5));
    Node words = g.input("words", 0, ids, DType.INT32);
    Node labels = g.input("labels", 1, Shape.of(batch), DType.INT32);
    Node e = g.reshape(g.gather(table, words), Shape.of(batch, Dim.of(6)));
    Node logits = g.matmul(e, proj, false, false);
    Node ce = g.softmaxCrossEntropy(logits, g.oneHot(labels, Dim.of(5)));
    ModelGraph m = new ModelGraph("demo", "Embedding", g, List.of(variable("table", Shape.of(5, 3)), variable("proj", Shape.of(6, 5))),
        List.of(output("embed", List.of(input("words", ids, DType.INT32)), e),
            loss("cost", List.of(input("words", ids, DType.INT32), input("labels", Shape.of(batch), DType.INT32)),
                g.reduce(Op.REDUCE_MEAN, ce, new int[0], false))));
    return Autodiff.differentiate(m);
  }

  /** Reductions over leading, middle, trailing and non-adjacent axes, kept or dropped. */
  static ModelGraph reductions() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xs = Shape.of(batch, Dim.of(3), Dim.of(4));
    Node w = g.variable("w", 0, Shape.of(3, 4));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node y = g.mul(x, w);
    Node a = g.reduce(Op.REDUCE_SUM, y, new int[] {0, 2}, false); // [3]
    Node b = g.reduce(Op.REDUCE_MAX, y, new int[] {1}, true); // [batch, 1, 4]
    Node c = g.reduce(Op.REDUCE_MEAN, g.sub(y, b), new int[] {0, 2}, true); // [1, 3, 1]
    Node d = g.reduce(Op.REDUCE_MEAN, y, new int[] {-1}, false); // [batch, 3]
    Node total = g.add(g.add(g.reduce(Op.REDUCE_SUM, a, new int[0], false), g.reduce(Op.REDUCE_SUM, c, new int[0], false)),
        g.reduce(Op.REDUCE_MAX, d, new int[0], false));
    ModelGraph m = new ModelGraph("demo", "Reductions", g, List.of(variable("w", Shape.of(3, 4))),
        List.of(output("a", List.of(input("x", xs, DType.FLOAT32)), a),
            output("c", List.of(input("x", xs, DType.FLOAT32)), c),
            output("d", List.of(input("x", xs, DType.FLOAT32)), g.softmax(d)),
            loss("total", List.of(input("x", xs, DType.FLOAT32)), total)));
    return Autodiff.differentiate(m);
  }

  /** A trainable variable the loss does not use: its gradient is zeros, written by a fill. */
  static ModelGraph unusedVariable() {
    Graph g = new Graph();
    Shape xs = Shape.of(Dim.symbol("batch"), Dim.of(2));
    Node w = g.variable("w", 0, Shape.of(2));
    g.variable("unused", 1, Shape.of(3, 2));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node lossValue = g.reduce(Op.REDUCE_SUM, g.mul(x, w), new int[0], false);
    ModelGraph m = new ModelGraph("demo", "Unused", g, List.of(variable("w", Shape.of(2)), variable("unused", Shape.of(3, 2))),
        List.of(loss("cost", List.of(input("x", xs, DType.FLOAT32)), lossValue)));
    return Autodiff.differentiate(m);
  }

  /** A batched product with a shared matrix and a transposed one. */
  static ModelGraph batchedMatmul() {
    Graph g = new Graph();
    Dim batch = Dim.symbol("batch");
    Shape xs = Shape.of(batch, Dim.of(2), Dim.of(3));
    Node w = g.variable("w", 0, Shape.of(3, 3));
    Node x = g.input("x", 0, xs, DType.FLOAT32);
    Node h = g.unary(Op.SIGMOID, g.matmul(x, w, false, true)); // [batch, 2, 3]
    Node hh = g.matmul(h, x, false, true); // [batch, 2, 2]
    Node lossValue = g.reduce(Op.REDUCE_MEAN, g.unary(Op.SQUARE, hh), new int[0], false);
    ModelGraph m = new ModelGraph("demo", "Batched", g, List.of(variable("w", Shape.of(3, 3))),
        List.of(output("hh", List.of(input("x", xs, DType.FLOAT32)), hh),
            loss("cost", List.of(input("x", xs, DType.FLOAT32)), lossValue)));
    return Autodiff.differentiate(m);
  }

}
