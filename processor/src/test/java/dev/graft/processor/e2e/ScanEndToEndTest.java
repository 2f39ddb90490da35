package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * {@code scan} through the whole pipeline (javac with the processor, generated loops, a runtime
 * session) against hand-written double-precision recurrences: the lecture's RNN cell, an LSTM
 * written the fast way (input projections for all steps in one matmul outside the loop, one
 * matmul per step inside, a forget-gate bias), a cell with three states, and an empty sequence.
 * Gradients (BPTT as generated reverse loops) are compared with central differences of the
 * reference loss, read from one SGD step with learning rate 1.
 */
class ScanEndToEndTest {
  static final String HEADER = "package scan;\n\nimport static dev.graft.dsl.Ops.*;\n\nimport dev.graft.dsl.*;\n\n";

  /** h' = tanh(x·Wx + h·Wh + b), one state. */
  static final String RNN = HEADER + """
      @Model
      abstract class Rnn {
        @Variable(shape = "3, 4") Tensor wx;
        @Variable(shape = "4, 4") Tensor wh;
        @Variable(shape = "4") Tensor b;

        Tensor cell(Tensor x, Tensor h) {
          return tanh(matmul(x, wx).add(matmul(h, wh)).add(b));
        }

        @Output Tensor states(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          return scan(this::cell, xs, h0)[0];
        }

        @Output Tensor last(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          return scan(this::cell, xs, h0)[1];
        }

        @Loss Tensor cost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          return reduceSum(square(states(xs, h0))).add(reduceSum(last(xs, h0)));
        }

        @Output Tensor[] statesAndLast(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          Tensor[] r = scan(this::cell, xs, h0);
          return new Tensor[] {r[0], r[1]};
        }

        @Loss Tensor[] costAndLast(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          return new Tensor[] {cost(xs, h0), last(xs, h0)};
        }

        /** As cell, with tanh(h) in h's place in the product: a factor of wh's gradient the step computes. */
        Tensor squashedCell(Tensor x, Tensor h) {
          return tanh(matmul(x, wx).add(matmul(tanh(h), wh)).add(b));
        }

        @Loss Tensor squashedCost(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
          return reduceSum(square(scan(this::squashedCell, xs, h0)[0]));
        }
      }
      """;

  /** An LSTM language model: embedding, input projection outside the loop, h·U inside. */
  static final String LSTM = HEADER + """
      @Model
      abstract class Lstm {
        @Variable(shape = "vocab, 3") Tensor embedding;
        @Variable(shape = "3, 4*hidden") Tensor w;
        @Variable(shape = "hidden, 4*hidden") Tensor u;
        @Variable(shape = "4*hidden") Tensor bias;
        @Variable(shape = "hidden, vocab") Tensor proj;

        Tensor[] step(Tensor xw, Tensor h, Tensor c) {
          Tensor z = xw.add(matmul(h, u));
          Tensor[] g = split(z, 4, 1);
          Tensor next = sigmoid(g[1].add(1f)).mul(c).add(sigmoid(g[0]).mul(tanh(g[2])));
          return new Tensor[] {sigmoid(g[3]).mul(tanh(next)), next};
        }

        Tensor[] run(Tensor ids) {
          Tensor xw = reshape(matmul(reshape(gather(embedding, ids), "time*batch, 3"), w).add(bias), "time, batch, 4*hidden");
          return scan(this::step, xw, zeros("batch, hidden"), zeros("batch, hidden"));
        }

        @Output Tensor cell(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids) {
          return run(ids)[2];
        }

        @Loss Tensor cost(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
            @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets) {
          Tensor logits = matmul(reshape(run(ids)[0], "time*batch, hidden"), proj);
          return reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch")));
        }
      }
      """;

  /** Three states rotating: (a, b, c) → (b, c, a·w + x). */
  static final String THREE = HEADER + """
      @Model
      abstract class Three {
        @Variable(shape = "2") Tensor w;

        Tensor[] rotate(Tensor x, Tensor a, Tensor b, Tensor c) {
          return new Tensor[] {b, c, a.mul(w).add(x)};
        }

        @Loss Tensor cost(@Input(shape = "time, 2") Tensor xs, @Input(shape = "2") Tensor a0) {
          Tensor[] r = scan(this::rotate, xs, a0, a0.mul(2f), a0.neg());
          return reduceSum(square(r[0])).add(reduceSum(r[1].mul(r[3])));
        }
      }
      """;

  private static ModelCompilation compiled;

  static synchronized ModelCompilation compiled() {
    if (compiled == null) {
      compiled = ModelCompilation.compile(Map.of("scan.Rnn", RNN, "scan.Lstm", LSTM, "scan.Three", THREE)).requireSuccess();
    }
    return compiled;
  }

  static final double TOLERANCE = 1e-4;
  static final double GRADIENT_TOLERANCE = 2e-3;

  // ---- references in double precision

  static double[] random(Random r, int n, double scale) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    return v;
  }

  /** {@code a[rows, k] · b[k, cols]}. */
  static double[] matmul(double[] a, double[] b, int rows, int k, int cols) {
    double[] out = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int l = 0; l < k; l++) s += a[i * k + l] * b[l * cols + j];
        out[i * cols + j] = s;
      }
    }
    return out;
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** {states [time, batch, 4], last [batch, 4]} of the RNN. */
  static double[][] rnn(Map<String, double[]> v, int time, int batch) {
    return rnn(v, time, batch, false);
  }

  /** As {@link #rnn(Map, int, int)}, with tanh(h) in h's place in the product when {@code squashed}. */
  static double[][] rnn(Map<String, double[]> v, int time, int batch, boolean squashed) {
    double[] h = v.get("h0").clone();
    double[] states = new double[time * batch * 4];
    for (int t = 0; t < time; t++) {
      double[] x = Arrays.copyOfRange(v.get("xs"), t * batch * 3, (t + 1) * batch * 3);
      double[] a = matmul(x, v.get("wx"), batch, 3, 4);
      double[] c = matmul(squashed ? Arrays.stream(h).map(Math::tanh).toArray() : h, v.get("wh"), batch, 4, 4);
      for (int i = 0; i < batch * 4; i++) h[i] = Math.tanh(a[i] + c[i] + v.get("b")[i % 4]);
      System.arraycopy(h, 0, states, t * batch * 4, batch * 4);
    }
    return new double[][] {states, h};
  }

  /** {hs [time, batch, hidden], final c [batch, hidden], mean cross-entropy}: gates i, f, g, o. */
  static double[][] lstm(Map<String, double[]> v, int[] ids, int[] targets, int time, int batch, int hidden, int vocab) {
    double[] h = new double[batch * hidden];
    double[] c = new double[batch * hidden];
    double[] hs = new double[time * batch * hidden];
    double loss = 0;
    int g4 = 4 * hidden;
    for (int t = 0; t < time; t++) {
      double[] x = new double[batch * 3];
      for (int b = 0; b < batch; b++) System.arraycopy(v.get("embedding"), ids[t * batch + b] * 3, x, b * 3, 3);
      double[] z = matmul(x, v.get("w"), batch, 3, g4);
      double[] zh = matmul(h, v.get("u"), batch, hidden, g4);
      for (int b = 0; b < batch; b++) {
        for (int j = 0; j < hidden; j++) {
          int r = b * g4;
          double in = sigmoid(z[r + j] + zh[r + j] + v.get("bias")[j]);
          double forget = sigmoid(z[r + hidden + j] + zh[r + hidden + j] + v.get("bias")[hidden + j] + 1);
          double cand = Math.tanh(z[r + 2 * hidden + j] + zh[r + 2 * hidden + j] + v.get("bias")[2 * hidden + j]);
          double out = sigmoid(z[r + 3 * hidden + j] + zh[r + 3 * hidden + j] + v.get("bias")[3 * hidden + j]);
          int k = b * hidden + j;
          c[k] = forget * c[k] + in * cand;
          h[k] = out * Math.tanh(c[k]);
        }
      }
      System.arraycopy(h, 0, hs, t * batch * hidden, batch * hidden);
      double[] logits = matmul(h, v.get("proj"), batch, hidden, vocab);
      for (int b = 0; b < batch; b++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) max = Math.max(max, logits[b * vocab + j]);
        double sum = 0;
        for (int j = 0; j < vocab; j++) sum += Math.exp(logits[b * vocab + j] - max);
        loss += Math.log(sum) + max - logits[b * vocab + targets[t * batch + b]];
      }
    }
    return new double[][] {hs, c, {loss / (time * batch)}};
  }

  static double three(Map<String, double[]> v, int time) {
    double[] a = v.get("a0").clone();
    double[] b = new double[2];
    double[] c = new double[2];
    for (int i = 0; i < 2; i++) {
      b[i] = 2 * a[i];
      c[i] = -a[i];
    }
    double loss = 0;
    double[] w = v.get("w");
    for (int t = 0; t < time; t++) {
      double[] next = new double[2];
      for (int i = 0; i < 2; i++) next[i] = a[i] * w[i] + v.get("xs")[t * 2 + i];
      a = b;
      b = c;
      c = next;
      for (int i = 0; i < 2; i++) loss += a[i] * a[i]; // stacked first state
    }
    for (int i = 0; i < 2; i++) loss += a[i] * c[i]; // final a · final c
    return loss;
  }

  // ---- checks

  static void assertClose(String what, double[] expected, float[] actual, double tolerance) {
    assertEquals(expected.length, actual.length, what + ": number of values");
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= tolerance * (1 + Math.abs(expected[i])))) {
        fail(what + "[" + i + "] is " + actual[i] + ", expected " + expected[i] + "\n  expected " + Arrays.toString(expected)
            + "\n  actual   " + Arrays.toString(actual));
      }
    }
  }

  static NDArray array(double[] v, int... shape) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return NDArray.of(f, shape);
  }

  /**
   * One SGD step with learning rate 1 on {@code loss}: each variable's change is its generated
   * gradient, compared with central differences of {@code reference}.
   */
  static void checkGradients(Session session, String loss, Feeds feeds, Map<String, double[]> values, List<String> variables,
      ToDoubleFunction<Map<String, double[]>> reference) {
    Map<String, float[]> before = new LinkedHashMap<>();
    for (String name : variables) before.put(name, session.variable(name).toFloatArray());
    session.trainer(loss, Optimizers.sgd(1)).step(feeds);
    for (String name : variables) {
      float[] after = session.variable(name).toFloatArray();
      float[] gradient = new float[after.length];
      for (int i = 0; i < after.length; i++) gradient[i] = before.get(name)[i] - after[i];
      double[] x = values.get(name);
      double[] numeric = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        double saved = x[i];
        double h = 1e-6;
        x[i] = saved + h;
        double up = reference.applyAsDouble(values);
        x[i] = saved - h;
        double down = reference.applyAsDouble(values);
        x[i] = saved;
        numeric[i] = (up - down) / (2 * h);
      }
      assertClose("d " + loss + " / d " + name, numeric, gradient, GRADIENT_TOLERANCE);
    }
  }

  /** Random weights, sequence and initial state of the RNN model, by name. */
  static Map<String, double[]> rnnValues(long seed, int time, int batch) {
    Random r = new Random(seed);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("wx", random(r, 12, 0.8));
    v.put("wh", random(r, 16, 0.8));
    v.put("b", random(r, 4, 0.5));
    v.put("xs", random(r, time * batch * 3, 1));
    v.put("h0", random(r, batch * 4, 1));
    return v;
  }

  /** A session of the RNN model on two threads with the weights of {@code v}. */
  static Session rnnSession(Map<String, double[]> v) {
    Session s = Session.open(compiled().instantiate("scan.Rnn"), Device.cpu(2), Dims.none());
    s.assign("wx", array(v.get("wx"), 3, 4));
    s.assign("wh", array(v.get("wh"), 4, 4));
    s.assign("b", array(v.get("b"), 4));
    return s;
  }

  static Feeds rnnFeeds(Map<String, double[]> v, int time, int batch) {
    return Feeds.of("xs", array(v.get("xs"), time, batch, 3), "h0", array(v.get("h0"), batch, 4));
  }

  @Test
  void rnnStatesFinalStateAndBpttMatchTheReference() {
    int time = 5;
    int batch = 3;
    Map<String, double[]> v = rnnValues(7, time, batch);
    try (Session s = rnnSession(v)) {
      Feeds feeds = rnnFeeds(v, time, batch);
      double[][] expected = rnn(v, time, batch);
      NDArray states = s.run("states", feeds);
      assertArrayEquals(new int[] {time, batch, 4}, states.shape());
      assertClose("states", expected[0], states.toFloatArray(), TOLERANCE);
      assertClose("last", expected[1], s.run("last", feeds).toFloatArray(), TOLERANCE);
      checkGradients(s, "cost", feeds, v, List.of("wx", "wh", "b"), m -> {
        double[][] o = rnn(m, time, batch);
        return Arrays.stream(o[0]).map(x -> x * x).sum() + Arrays.stream(o[1]).sum();
      });
    }
  }

  /** wh's gradient from a factor the step computes (tanh of the state), stacked by the backward loop. */
  @Test
  void aWeightGradientFactorComputedInTheStepMatchesTheReference() {
    int time = 4;
    int batch = 3;
    Map<String, double[]> v = rnnValues(11, time, batch);
    try (Session s = rnnSession(v)) {
      checkGradients(s, "squashedCost", rnnFeeds(v, time, batch), v, List.of("wx", "wh", "b"),
          m -> Arrays.stream(rnn(m, time, batch, true)[0]).map(x -> x * x).sum());
    }
  }

  /**
   * Entries returning {@code Tensor[]}: every result from one pass, equal to the single-result
   * entries; a loss's extra result (the final state, for the next batch) comes from the trainer's
   * step, computed before the update, and does not change the gradients.
   */
  @Test
  void entriesWithSeveralResults() {
    int time = 4;
    int batch = 2;
    Random r = new Random(3);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("xs", random(r, time * batch * 3, 1));
    v.put("h0", random(r, batch * 4, 1));
    Feeds feeds = Feeds.of("xs", array(v.get("xs"), time, batch, 3), "h0", array(v.get("h0"), batch, 4));
    try (Session a = Session.open(compiled().instantiate("scan.Rnn"), Device.cpu(1), Dims.none());
        Session b = Session.open(compiled().instantiate("scan.Rnn"), Device.cpu(1), Dims.none())) {
      a.initialize(9);
      b.initialize(9);
      NDArray[] both = a.runAll("statesAndLast", feeds);
      assertEquals(2, both.length);
      assertArrayEquals(a.run("states", feeds).toFloatArray(), both[0].toFloatArray());
      assertArrayEquals(new int[] {batch, 4}, both[1].shape());
      assertArrayEquals(a.run("last", feeds).toFloatArray(), both[1].toFloatArray());
      assertArrayEquals(both[0].toFloatArray(), a.run("statesAndLast", feeds).toFloatArray(), "run gives the first result");
      int entry = a.spec().entries().stream().map(e -> e.name()).toList().indexOf("statesAndLast");
      NDArray xs = array(v.get("xs"), time, batch, 3);
      NDArray h0 = array(v.get("h0"), batch, 4);
      NDArray[] into = {NDArray.zeros(time, batch, 4), NDArray.zeros(batch, 4)};
      a.runAllInto(entry, into, xs, h0);
      assertArrayEquals(both[0].toFloatArray(), into[0].toFloatArray());
      assertArrayEquals(both[1].toFloatArray(), into[1].toFloatArray());
      NDArray[] aliased = {NDArray.zeros(time, batch, 4), h0};
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> a.runAllInto(entry, aliased, xs, h0));
      NDArray[] wrongShape = {NDArray.zeros(time, batch, 4), NDArray.zeros(batch, 5)};
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> a.runAllInto(entry, wrongShape, xs, h0));
      assertArrayEquals(new float[batch * 5], wrongShape[1].toFloatArray(), "nothing written after a rejected call");

      float[] lastBefore = a.run("last", feeds).toFloatArray();
      var withState = a.trainer("costAndLast", Optimizers.sgd(0.1f));
      float loss = withState.step(feeds);
      float plainLoss = b.trainer("cost", Optimizers.sgd(0.1f)).step(feeds);
      assertEquals(plainLoss, loss, 1e-6f * Math.abs(plainLoss));
      assertArrayEquals(lastBefore, withState.output(1).toFloatArray(), "the state computed with the loss, before the update");
      for (String name : List.of("wx", "wh", "b")) {
        assertArrayEquals(b.variable(name).toFloatArray(), a.variable(name).toFloatArray(), 1e-6f, "same update of " + name);
      }
      org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> withState.output(2));
    }
  }

  @Test
  void anEmptySequenceLeavesTheInitialStateAndNoSteps() {
    try (Session s = Session.open(compiled().instantiate("scan.Rnn"), Device.cpu(1), Dims.none())) {
      s.initialize(3);
      NDArray h0 = NDArray.of(new float[] {1, -2, 3, 0.5f, 0, 0, 7, 8}, 2, 4);
      Feeds feeds = Feeds.of("xs", NDArray.of(new float[0], 0, 2, 3), "h0", h0);
      assertArrayEquals(new int[] {0, 2, 4}, s.run("states", feeds).shape());
      assertArrayEquals(h0.toFloatArray(), s.run("last", feeds).toFloatArray());
    }
  }

  @Test
  void lstmAgainstAHandWrittenReferenceWithBptt() {
    int time = 4;
    int batch = 2;
    int hidden = 3;
    int vocab = 5;
    Random r = new Random(11);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("embedding", random(r, vocab * 3, 1));
    v.put("w", random(r, 3 * 4 * hidden, 0.7));
    v.put("u", random(r, hidden * 4 * hidden, 0.7));
    v.put("bias", random(r, 4 * hidden, 0.3));
    v.put("proj", random(r, hidden * vocab, 1));
    int[] ids = new int[time * batch];
    int[] targets = new int[time * batch];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(vocab);
      targets[i] = r.nextInt(vocab);
    }
    try (Session s = Session.open(compiled().instantiate("scan.Lstm"), Device.cpu(2), Dims.of("vocab", vocab, "hidden", hidden))) {
      s.assign("embedding", array(v.get("embedding"), vocab, 3));
      s.assign("w", array(v.get("w"), 3, 4 * hidden));
      s.assign("u", array(v.get("u"), hidden, 4 * hidden));
      s.assign("bias", array(v.get("bias"), 4 * hidden));
      s.assign("proj", array(v.get("proj"), hidden, vocab));
      Feeds feeds = Feeds.of("ids", NDArray.ofInts(ids, time, batch), "targets", NDArray.ofInts(targets, time, batch));
      double[][] expected = lstm(v, ids, targets, time, batch, hidden, vocab);
      assertClose("final cell state", expected[1], s.run("cell", Feeds.of("ids", NDArray.ofInts(ids, time, batch)))
          .toFloatArray(), TOLERANCE);
      assertClose("cost", expected[2], new float[] {s.eval("cost", feeds)}, TOLERANCE);
      checkGradients(s, "cost", feeds, v, List.of("embedding", "w", "u", "bias", "proj"),
          m -> lstm(m, ids, targets, time, batch, hidden, vocab)[2][0]);
    }
  }

  @Test
  void threeRotatingStatesWithBptt() {
    int time = 6;
    Random r = new Random(5);
    Map<String, double[]> v = new LinkedHashMap<>();
    v.put("w", random(r, 2, 1));
    v.put("xs", random(r, time * 2, 1));
    v.put("a0", random(r, 2, 1));
    try (Session s = Session.open(compiled().instantiate("scan.Three"), Device.cpu(1), Dims.none())) {
      s.assign("w", array(v.get("w"), 2));
      Feeds feeds = Feeds.of("xs", array(v.get("xs"), time, 2), "a0", array(v.get("a0"), 2));
      assertClose("cost", new double[] {three(v, time)}, new float[] {s.eval("cost", feeds)}, TOLERANCE);
      checkGradients(s, "cost", feeds, v, List.of("w"), m -> three(m, time));
    }
  }
}
