package dev.graft.processor.e2e;

import static dev.graft.processor.e2e.ScanEndToEndTest.HEADER;
import static dev.graft.processor.e2e.ScanEndToEndTest.TOLERANCE;
import static dev.graft.processor.e2e.ScanEndToEndTest.array;
import static dev.graft.processor.e2e.ScanEndToEndTest.assertClose;
import static dev.graft.processor.e2e.ScanEndToEndTest.checkGradients;
import static dev.graft.processor.e2e.ScanEndToEndTest.matmul;
import static dev.graft.processor.e2e.ScanEndToEndTest.random;
import static dev.graft.processor.e2e.ScanEndToEndTest.sigmoid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The built-in recurrent layers {@code rnn}, {@code gru} and {@code lstm} through the whole
 * pipeline (javac with the processor, generated loops, a runtime session), against hand-written
 * double-precision references: outputs, final states, and gradients (BPTT) compared with central
 * differences of the reference loss, read from one SGD step with learning rate 1. A two-layer
 * LSTM language model is checked against its reference and against the same model written by
 * hand with {@code scan} (a differential test: both must agree on every value and gradient).
 */
class CellsEndToEndTest {
  /** Each layer alone, with hidden a symbol bound when the session opens. */
  static final String LAYERS = HEADER + """
      @Model
      abstract class Layers {
        @Variable(shape = "3, hidden") Tensor rw;
        @Variable(shape = "hidden, hidden") Tensor ru;
        @Variable(shape = "hidden") Tensor rb;
        @Variable(shape = "3, 3*hidden") Tensor gw;
        @Variable(shape = "hidden, 3*hidden") Tensor gu;
        @Variable(shape = "3*hidden") Tensor gb;
        @Variable(shape = "3, 4*hidden") Tensor lw;
        @Variable(shape = "hidden, 4*hidden") Tensor lu;
        @Variable(shape = "4*hidden") Tensor lb;

        @Output Tensor rnnOutputs(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          return rnn(xs, h0, rw, ru, rb)[0];
        }

        @Output Tensor rnnFinal(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          return rnn(xs, h0, rw, ru, rb)[1];
        }

        @Loss Tensor rnnCost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          Tensor[] r = rnn(xs, h0, rw, ru, rb);
          return reduceSum(square(r[0])).add(reduceSum(r[1]));
        }

        @Output Tensor gruOutputs(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          return gru(xs, h0, gw, gu, gb)[0];
        }

        @Output Tensor gruFinal(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          return gru(xs, h0, gw, gu, gb)[1];
        }

        @Loss Tensor gruCost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
          Tensor[] r = gru(xs, h0, gw, gu, gb);
          return reduceSum(square(r[0])).add(reduceSum(r[1]));
        }

        @Output Tensor lstmOutputs(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0,
            @Input(shape = "batch, hidden") Tensor c0) {
          return lstm(xs, h0, c0, lw, lu, lb)[0];
        }

        @Output Tensor lstmFinalH(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0,
            @Input(shape = "batch, hidden") Tensor c0) {
          return lstm(xs, h0, c0, lw, lu, lb)[1];
        }

        @Output Tensor lstmFinalC(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0,
            @Input(shape = "batch, hidden") Tensor c0) {
          return lstm(xs, h0, c0, lw, lu, lb)[2];
        }

        @Loss Tensor lstmCost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0,
            @Input(shape = "batch, hidden") Tensor c0) {
          Tensor[] r = lstm(xs, h0, c0, lw, lu, lb);
          return reduceSum(square(r[0])).add(reduceSum(r[1])).add(reduceSum(r[2].mul(0.5f)));
        }

        /** Another forget bias, and a sequence given already as [time, batch, in] by a computation. */
        @Loss Tensor lstmBiasCost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0,
            @Input(shape = "batch, hidden") Tensor c0) {
          Tensor[] r = lstm(xs.mul(1f), h0, c0, lw, lu, lb, -0.5f);
          return reduceSum(square(r[0])).add(reduceSum(r[2]));
        }
      }
      """;

  /** A two-layer LSTM language model with the built-in layers. */
  static final String STACK = HEADER + """
      @Model
      abstract class Stack {
        @Variable(shape = "vocab, 3") Tensor embedding;
        @Variable(shape = "3, 4*hidden") Tensor w1;
        @Variable(shape = "hidden, 4*hidden") Tensor u1;
        @Variable(shape = "4*hidden") Tensor b1;
        @Variable(shape = "hidden, 4*hidden") Tensor w2;
        @Variable(shape = "hidden, 4*hidden") Tensor u2;
        @Variable(shape = "4*hidden") Tensor b2;
        @Variable(shape = "hidden, vocab") Tensor proj;

        /** {outputs of layer 2, h1, c1, h2, c2}. */
        Tensor[] layers(Tensor ids) {
          Tensor zero = zeros("batch, hidden");
          Tensor[] l1 = lstm(gather(embedding, ids), zero, zero, w1, u1, b1);
          Tensor[] l2 = lstm(l1[0], zero, zero, w2, u2, b2);
          return new Tensor[] {l2[0], l1[1], l1[2], l2[1], l2[2]};
        }

        @Output Tensor state(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids) {
          Tensor[] l = layers(ids);
          return concat(0, reshape(l[1], "1, batch, hidden"), reshape(l[2], "1, batch, hidden"),
              reshape(l[3], "1, batch, hidden"), reshape(l[4], "1, batch, hidden"));
        }

        @Loss Tensor cost(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
            @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets) {
          Tensor logits = matmul(reshape(layers(ids)[0], "time*batch, hidden"), proj);
          return reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch")));
        }
      }
      """;

  /** The same model written by hand with scan, as PtbLstm is. */
  static final String HAND_STACK = HEADER + """
      @Model
      abstract class HandStack {
        @Variable(shape = "vocab, 3") Tensor embedding;
        @Variable(shape = "3, 4*hidden") Tensor w1;
        @Variable(shape = "hidden, 4*hidden") Tensor u1;
        @Variable(shape = "4*hidden") Tensor b1;
        @Variable(shape = "hidden, 4*hidden") Tensor w2;
        @Variable(shape = "hidden, 4*hidden") Tensor u2;
        @Variable(shape = "4*hidden") Tensor b2;
        @Variable(shape = "hidden, vocab") Tensor proj;

        Tensor[] gates(Tensor z, Tensor c) {
          Tensor[] g = split(z, 4, 1);
          Tensor next = sigmoid(g[1].add(1f)).mul(c).add(sigmoid(g[0]).mul(tanh(g[2])));
          return new Tensor[] {sigmoid(g[3]).mul(tanh(next)), next};
        }

        Tensor[] cell1(Tensor xw, Tensor h, Tensor c) {
          return gates(xw.add(matmul(h, u1)), c);
        }

        Tensor[] cell2(Tensor xw, Tensor h, Tensor c) {
          return gates(xw.add(matmul(h, u2)), c);
        }

        Tensor project(Tensor x, String in, Tensor w, Tensor b) {
          return reshape(matmul(reshape(x, "time*batch, " + in), w).add(b), "time, batch, 4*hidden");
        }

        Tensor[] layers(Tensor ids) {
          Tensor zero = zeros("batch, hidden");
          Tensor[] l1 = scan(this::cell1, project(gather(embedding, ids), "3", w1, b1), zero, zero);
          Tensor[] l2 = scan(this::cell2, project(l1[0], "hidden", w2, b2), zero, zero);
          return new Tensor[] {l2[0], l1[1], l1[2], l2[1], l2[2]};
        }

        @Output Tensor state(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids) {
          Tensor[] l = layers(ids);
          return concat(0, reshape(l[1], "1, batch, hidden"), reshape(l[2], "1, batch, hidden"),
              reshape(l[3], "1, batch, hidden"), reshape(l[4], "1, batch, hidden"));
        }

        @Loss Tensor cost(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
            @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets) {
          Tensor logits = matmul(reshape(layers(ids)[0], "time*batch, hidden"), proj);
          return reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch")));
        }
      }
      """;

  private static ModelCompilation compiled;

  /** All three models in one javac run; OpsEndToEndTest's coverage check counts the DSL calls in them. */
  static synchronized ModelCompilation compiled() {
    if (compiled == null) {
      compiled = ModelCompilation.compile(Map.of("scan.Layers", LAYERS, "scan.Stack", STACK, "scan.HandStack", HAND_STACK))
          .requireSuccess();
    }
    return compiled;
  }

  static final int IN = 3;

  // ---- references in double precision; xs [time, batch, IN], states [batch, hidden]

  /** {outputs [time, batch, hidden], final h}: h' = tanh(x·w + h·u + b). */
  static double[][] rnn(double[] xs, double[] h0, double[] w, double[] u, double[] b, int time, int batch, int in, int hidden) {
    double[] h = h0.clone();
    double[] outputs = new double[time * batch * hidden];
    for (int t = 0; t < time; t++) {
      double[] xw = matmul(Arrays.copyOfRange(xs, t * batch * in, (t + 1) * batch * in), w, batch, in, hidden);
      double[] hu = matmul(h, u, batch, hidden, hidden);
      for (int i = 0; i < batch * hidden; i++) h[i] = Math.tanh(xw[i] + hu[i] + b[i % hidden]);
      System.arraycopy(h, 0, outputs, t * batch * hidden, batch * hidden);
    }
    return new double[][] {outputs, h};
  }

  /**
   * {outputs, final h}: gates r, z, n; r = σ(x·w_r + h·u_r + b_r), z = σ(x·w_z + h·u_z + b_z),
   * n = tanh(x·w_n + b_n + r·(h·u_n)), h' = (1 − z)·n + z·h.
   */
  static double[][] gru(double[] xs, double[] h0, double[] w, double[] u, double[] b, int time, int batch, int in, int hidden) {
    double[] h = h0.clone();
    double[] outputs = new double[time * batch * hidden];
    int g3 = 3 * hidden;
    for (int t = 0; t < time; t++) {
      double[] xw = matmul(Arrays.copyOfRange(xs, t * batch * in, (t + 1) * batch * in), w, batch, in, g3);
      double[] hu = matmul(h, u, batch, hidden, g3);
      double[] next = new double[batch * hidden];
      for (int s = 0; s < batch; s++) {
        for (int j = 0; j < hidden; j++) {
          int row = s * g3;
          double r = sigmoid(xw[row + j] + hu[row + j] + b[j]);
          double z = sigmoid(xw[row + hidden + j] + hu[row + hidden + j] + b[hidden + j]);
          double n = Math.tanh(xw[row + 2 * hidden + j] + b[2 * hidden + j] + r * hu[row + 2 * hidden + j]);
          next[s * hidden + j] = (1 - z) * n + z * h[s * hidden + j];
        }
      }
      h = next;
      System.arraycopy(h, 0, outputs, t * batch * hidden, batch * hidden);
    }
    return new double[][] {outputs, h};
  }

  /** {outputs, final h, final c}: gates i, f, g, o; c' = σ(f + forgetBias)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). */
  static double[][] lstm(double[] xs, double[] h0, double[] c0, double[] w, double[] u, double[] b, double forgetBias,
      int time, int batch, int in, int hidden) {
    double[] h = h0.clone();
    double[] c = c0.clone();
    double[] outputs = new double[time * batch * hidden];
    int g4 = 4 * hidden;
    for (int t = 0; t < time; t++) {
      double[] xw = matmul(Arrays.copyOfRange(xs, t * batch * in, (t + 1) * batch * in), w, batch, in, g4);
      double[] hu = matmul(h, u, batch, hidden, g4);
      for (int s = 0; s < batch; s++) {
        for (int j = 0; j < hidden; j++) {
          int row = s * g4;
          double i = sigmoid(xw[row + j] + hu[row + j] + b[j]);
          double f = sigmoid(xw[row + hidden + j] + hu[row + hidden + j] + b[hidden + j] + forgetBias);
          double g = Math.tanh(xw[row + 2 * hidden + j] + hu[row + 2 * hidden + j] + b[2 * hidden + j]);
          double o = sigmoid(xw[row + 3 * hidden + j] + hu[row + 3 * hidden + j] + b[3 * hidden + j]);
          int k = s * hidden + j;
          c[k] = f * c[k] + i * g;
          h[k] = o * Math.tanh(c[k]);
        }
      }
      System.arraycopy(h, 0, outputs, t * batch * hidden, batch * hidden);
    }
    return new double[][] {outputs, h, c};
  }

  static double sumOfSquares(double[] v) {
    return Arrays.stream(v).map(x -> x * x).sum();
  }

  static double sum(double[] v) {
    return Arrays.stream(v).sum();
  }

  /** {h1, c1, h2, c2 stacked as [4, batch, hidden], mean cross-entropy} of the two-layer LSTM model. */
  static double[][] stack(Map<String, double[]> v, int[] ids, int[] targets, int time, int batch, int hidden, int vocab) {
    double[] x = new double[time * batch * IN];
    for (int i = 0; i < time * batch; i++) System.arraycopy(v.get("embedding"), ids[i] * IN, x, i * IN, IN);
    double[] zero = new double[batch * hidden];
    double[][] l1 = lstm(x, zero, zero, v.get("w1"), v.get("u1"), v.get("b1"), 1, time, batch, IN, hidden);
    double[][] l2 = lstm(l1[0], zero, zero, v.get("w2"), v.get("u2"), v.get("b2"), 1, time, batch, hidden, hidden);
    double[] logits = matmul(l2[0], v.get("proj"), time * batch, hidden, vocab);
    double loss = 0;
    for (int r = 0; r < time * batch; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) max = Math.max(max, logits[r * vocab + j]);
      double s = 0;
      for (int j = 0; j < vocab; j++) s += Math.exp(logits[r * vocab + j] - max);
      loss += Math.log(s) + max - logits[r * vocab + targets[r]];
    }
    double[] state = new double[4 * batch * hidden];
    double[][] parts = {l1[1], l1[2], l2[1], l2[2]};
    for (int k = 0; k < 4; k++) System.arraycopy(parts[k], 0, state, k * batch * hidden, batch * hidden);
    return new double[][] {state, {loss / (time * batch)}};
  }

  // ---- each layer alone

  static final int TIME = 4;
  static final int BATCH = 2;
  static final int HIDDEN = 3;

  /** Random variables and inputs for the Layers model, assigned to {@code s}. */
  static Map<String, double[]> layersValues(Session s, long seed) {
    Random r = new Random(seed);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("rw", random(r, IN * HIDDEN, 0.8));
    v.put("ru", random(r, HIDDEN * HIDDEN, 0.8));
    v.put("rb", random(r, HIDDEN, 0.5));
    v.put("gw", random(r, IN * 3 * HIDDEN, 0.8));
    v.put("gu", random(r, HIDDEN * 3 * HIDDEN, 0.8));
    v.put("gb", random(r, 3 * HIDDEN, 0.5));
    v.put("lw", random(r, IN * 4 * HIDDEN, 0.8));
    v.put("lu", random(r, HIDDEN * 4 * HIDDEN, 0.8));
    v.put("lb", random(r, 4 * HIDDEN, 0.5));
    v.put("xs", random(r, TIME * BATCH * IN, 1));
    v.put("h0", random(r, BATCH * HIDDEN, 1));
    v.put("c0", random(r, BATCH * HIDDEN, 1));
    for (String name : List.of("rw", "gw", "lw")) s.assign(name, array(v.get(name), IN, v.get(name).length / IN));
    for (String name : List.of("ru", "gu", "lu")) s.assign(name, array(v.get(name), HIDDEN, v.get(name).length / HIDDEN));
    for (String name : List.of("rb", "gb", "lb")) s.assign(name, array(v.get(name), v.get(name).length));
    return v;
  }

  static Session layersSession() {
    return Session.open(compiled().instantiate("scan.Layers"), Device.cpu(2), Dims.of("hidden", HIDDEN));
  }

  static Feeds feeds(Map<String, double[]> v, boolean withC0) {
    NDArray xs = array(v.get("xs"), TIME, BATCH, IN);
    NDArray h0 = array(v.get("h0"), BATCH, HIDDEN);
    return withC0 ? Feeds.of("xs", xs, "h0", h0, "c0", array(v.get("c0"), BATCH, HIDDEN)) : Feeds.of("xs", xs, "h0", h0);
  }

  @Test
  void rnnMatchesTheReferenceWithBptt() {
    try (Session s = layersSession()) {
      Map<String, double[]> v = layersValues(s, 3);
      Feeds feeds = feeds(v, false);
      double[][] expected = rnn(v.get("xs"), v.get("h0"), v.get("rw"), v.get("ru"), v.get("rb"), TIME, BATCH, IN, HIDDEN);
      NDArray outputs = s.run("rnnOutputs", feeds);
      assertArrayEquals(new int[] {TIME, BATCH, HIDDEN}, outputs.shape());
      assertClose("outputs", expected[0], outputs.toFloatArray(), TOLERANCE);
      assertClose("final h", expected[1], s.run("rnnFinal", feeds).toFloatArray(), TOLERANCE);
      checkGradients(s, "rnnCost", feeds, v, List.of("rw", "ru", "rb"), m -> {
        double[][] o = rnn(m.get("xs"), m.get("h0"), m.get("rw"), m.get("ru"), m.get("rb"), TIME, BATCH, IN, HIDDEN);
        return sumOfSquares(o[0]) + sum(o[1]);
      });
    }
  }

  @Test
  void gruMatchesTheReferenceWithBptt() {
    try (Session s = layersSession()) {
      Map<String, double[]> v = layersValues(s, 4);
      Feeds feeds = feeds(v, false);
      double[][] expected = gru(v.get("xs"), v.get("h0"), v.get("gw"), v.get("gu"), v.get("gb"), TIME, BATCH, IN, HIDDEN);
      NDArray outputs = s.run("gruOutputs", feeds);
      assertArrayEquals(new int[] {TIME, BATCH, HIDDEN}, outputs.shape());
      assertClose("outputs", expected[0], outputs.toFloatArray(), TOLERANCE);
      assertClose("final h", expected[1], s.run("gruFinal", feeds).toFloatArray(), TOLERANCE);
      checkGradients(s, "gruCost", feeds, v, List.of("gw", "gu", "gb"), m -> {
        double[][] o = gru(m.get("xs"), m.get("h0"), m.get("gw"), m.get("gu"), m.get("gb"), TIME, BATCH, IN, HIDDEN);
        return sumOfSquares(o[0]) + sum(o[1]);
      });
    }
  }

  @Test
  void lstmMatchesTheReferenceWithBptt() {
    try (Session s = layersSession()) {
      Map<String, double[]> v = layersValues(s, 5);
      Feeds feeds = feeds(v, true);
      double[][] expected = lstm(v.get("xs"), v.get("h0"), v.get("c0"), v.get("lw"), v.get("lu"), v.get("lb"), 1, TIME, BATCH,
          IN, HIDDEN);
      NDArray outputs = s.run("lstmOutputs", feeds);
      assertArrayEquals(new int[] {TIME, BATCH, HIDDEN}, outputs.shape());
      assertClose("outputs", expected[0], outputs.toFloatArray(), TOLERANCE);
      assertClose("final h", expected[1], s.run("lstmFinalH", feeds).toFloatArray(), TOLERANCE);
      assertClose("final c", expected[2], s.run("lstmFinalC", feeds).toFloatArray(), TOLERANCE);
      checkGradients(s, "lstmCost", feeds, v, List.of("lw", "lu", "lb"), m -> {
        double[][] o = lstm(m.get("xs"), m.get("h0"), m.get("c0"), m.get("lw"), m.get("lu"), m.get("lb"), 1, TIME, BATCH, IN,
            HIDDEN);
        return sumOfSquares(o[0]) + sum(o[1]) + 0.5 * sum(o[2]);
      });
    }
  }

  @Test
  void lstmWithAnExplicitForgetBias() {
    try (Session s = layersSession()) {
      Map<String, double[]> v = layersValues(s, 6);
      Feeds feeds = feeds(v, true);
      java.util.function.ToDoubleFunction<Map<String, double[]>> reference = m -> {
        double[][] o = lstm(m.get("xs"), m.get("h0"), m.get("c0"), m.get("lw"), m.get("lu"), m.get("lb"), -0.5, TIME, BATCH,
            IN, HIDDEN);
        return sumOfSquares(o[0]) + sum(o[2]);
      };
      assertClose("cost", new double[] {reference.applyAsDouble(v)}, new float[] {s.eval("lstmBiasCost", feeds)}, TOLERANCE);
      checkGradients(s, "lstmBiasCost", feeds, v, List.of("lw", "lu", "lb"), reference);
    }
  }

  @Test
  void anEmptySequenceLeavesTheInitialStates() {
    try (Session s = layersSession()) {
      s.initialize(1);
      NDArray h0 = NDArray.of(new float[] {1, -2, 3, 0.5f, 0, 7}, BATCH, HIDDEN);
      NDArray c0 = NDArray.of(new float[] {4, 5, -6, 0, 1, 2}, BATCH, HIDDEN);
      Feeds feeds = Feeds.of("xs", NDArray.of(new float[0], 0, BATCH, IN), "h0", h0, "c0", c0);
      assertArrayEquals(new int[] {0, BATCH, HIDDEN}, s.run("lstmOutputs", feeds).shape());
      assertArrayEquals(h0.toFloatArray(), s.run("lstmFinalH", feeds).toFloatArray());
      assertArrayEquals(c0.toFloatArray(), s.run("lstmFinalC", feeds).toFloatArray());
      assertArrayEquals(h0.toFloatArray(), s.run("gruFinal", Feeds.of("xs", NDArray.of(new float[0], 0, BATCH, IN), "h0", h0))
          .toFloatArray());
    }
  }

  // ---- a two-layer stack

  static final int VOCAB = 5;
  static final int STACK_TIME = 4;
  static final int STACK_BATCH = 3;

  static Map<String, double[]> stackValues(long seed) {
    Random r = new Random(seed);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("embedding", random(r, VOCAB * IN, 1));
    v.put("w1", random(r, IN * 4 * HIDDEN, 0.7));
    v.put("u1", random(r, HIDDEN * 4 * HIDDEN, 0.7));
    v.put("b1", random(r, 4 * HIDDEN, 0.3));
    v.put("w2", random(r, HIDDEN * 4 * HIDDEN, 0.7));
    v.put("u2", random(r, HIDDEN * 4 * HIDDEN, 0.7));
    v.put("b2", random(r, 4 * HIDDEN, 0.3));
    v.put("proj", random(r, HIDDEN * VOCAB, 1));
    return v;
  }

  static Session stackSession(String model, Map<String, double[]> v) {
    Session s = Session.open(compiled().instantiate(model), Device.cpu(2), Dims.of("vocab", VOCAB, "hidden", HIDDEN));
    s.assign("embedding", array(v.get("embedding"), VOCAB, IN));
    s.assign("w1", array(v.get("w1"), IN, 4 * HIDDEN));
    for (String name : List.of("u1", "w2", "u2")) s.assign(name, array(v.get(name), HIDDEN, 4 * HIDDEN));
    s.assign("b1", array(v.get("b1"), 4 * HIDDEN));
    s.assign("b2", array(v.get("b2"), 4 * HIDDEN));
    s.assign("proj", array(v.get("proj"), HIDDEN, VOCAB));
    return s;
  }

  static int[][] idsAndTargets(long seed) {
    Random r = new Random(seed);
    int[] ids = new int[STACK_TIME * STACK_BATCH];
    int[] targets = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(VOCAB);
      targets[i] = r.nextInt(VOCAB);
    }
    return new int[][] {ids, targets};
  }

  static final List<String> STACK_VARIABLES = List.of("embedding", "w1", "u1", "b1", "w2", "u2", "b2", "proj");

  @Test
  void twoStackedLstmLayersMatchTheReferenceWithBptt() {
    Map<String, double[]> v = stackValues(13);
    int[][] data = idsAndTargets(14);
    try (Session s = stackSession("scan.Stack", v)) {
      NDArray ids = NDArray.ofInts(data[0], STACK_TIME, STACK_BATCH);
      Feeds feeds = Feeds.of("ids", ids, "targets", NDArray.ofInts(data[1], STACK_TIME, STACK_BATCH));
      double[][] expected = stack(v, data[0], data[1], STACK_TIME, STACK_BATCH, HIDDEN, VOCAB);
      assertClose("h1, c1, h2, c2", expected[0], s.run("state", Feeds.of("ids", ids)).toFloatArray(), TOLERANCE);
      assertClose("cost", expected[1], new float[] {s.eval("cost", feeds)}, TOLERANCE);
      checkGradients(s, "cost", feeds, v, STACK_VARIABLES,
          m -> stack(m, data[0], data[1], STACK_TIME, STACK_BATCH, HIDDEN, VOCAB)[1][0]);
    }
  }

  /** The built-in layers and the same LSTM written by hand with scan agree on values, and after a few SGD steps. */
  @Test
  void builtInLstmAgreesWithTheSameCellWrittenWithScan() {
    Map<String, double[]> v = stackValues(21);
    try (Session builtIn = stackSession("scan.Stack", v); Session byHand = stackSession("scan.HandStack", v)) {
      var builtInTrainer = builtIn.trainer("cost", Optimizers.sgd(0.5f));
      var byHandTrainer = byHand.trainer("cost", Optimizers.sgd(0.5f));
      for (int step = 0; step < 3; step++) {
        int[][] data = idsAndTargets(100 + step);
        NDArray ids = NDArray.ofInts(data[0], STACK_TIME, STACK_BATCH);
        Feeds feeds = Feeds.of("ids", ids, "targets", NDArray.ofInts(data[1], STACK_TIME, STACK_BATCH));
        assertClose("state at step " + step, toDouble(byHand.run("state", Feeds.of("ids", ids)).toFloatArray()),
            builtIn.run("state", Feeds.of("ids", ids)).toFloatArray(), 1e-5);
        assertClose("cost at step " + step, new double[] {byHand.eval("cost", feeds)}, new float[] {builtIn.eval("cost", feeds)},
            1e-5);
        builtInTrainer.step(feeds);
        byHandTrainer.step(feeds);
        for (String name : STACK_VARIABLES) {
          assertClose(name + " after step " + step, toDouble(byHand.variable(name).toFloatArray()),
              builtIn.variable(name).toFloatArray(), 1e-5);
        }
      }
    }
  }

  /** Two layers of one kind and shape share their kernels: the built-in stack is no bigger than the hand-written one. */
  @Test
  void builtInLayersGenerateNoMoreKernelsThanTheSameCellsWrittenWithScan() {
    long builtIn = kernels(compiled().generatedSource("scan.GraftStack"));
    long byHand = kernels(compiled().generatedSource("scan.GraftHandStack"));
    org.junit.jupiter.api.Assertions.assertTrue(builtIn <= byHand, builtIn + " kernel methods, by hand " + byHand);
  }

  private static long kernels(String source) {
    return source.lines().filter(l -> l.contains("private static void k")).count();
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }
}
