package dev.graft.processor.eval;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Attrs;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The reference evaluator of the IR: unfused, in double precision, one small method per op. It
 * is the definition the generated kernels are tested against, used for constant folding and for
 * gradient checks, so it favours being obviously right over being fast.
 *
 * <p>Semantics worth stating because kernels must match them: broadcasting is right-aligned;
 * {@code SIGN(0) = 0}; GREATER and EQUAL give 1 or 0; INSIDE is strict ({@code lo < x < hi});
 * row-wise ops work on the last axis and subtract the row maximum for stability; GATHER,
 * SCATTER_ADD and sparse labels throw {@link IndexOutOfBoundsException} for an index out of
 * range, while ONE_HOT gives an all-zero row for one (as TensorFlow does).
 *
 * <p>An instance memoizes every node it evaluated; make a new one for new feeds.
 */
public final class Interpreter {
  private final Map<String, Integer> dims;
  private final Map<String, DoubleArray> inputs;
  private final Map<String, DoubleArray> variables;
  private final Map<Node, DoubleArray> memo = new HashMap<>();
  /** Every output of each scan loop run so far: sibling SCAN nodes share one run. */
  private final Map<ScanRun, List<DoubleArray>> scans = new HashMap<>();

  private record ScanRun(ScanBody body, List<Node> inputs, boolean reverse) {}

  /**
   * @param dims the value of every dimension symbol the evaluated nodes use
   * @param inputs fed INPUT values by name
   * @param variables VARIABLE values by name
   */
  public Interpreter(Map<String, Integer> dims, Map<String, DoubleArray> inputs, Map<String, DoubleArray> variables) {
    this.dims = Map.copyOf(dims);
    this.inputs = Map.copyOf(inputs);
    this.variables = Map.copyOf(variables);
  }

  /** The concrete extents of {@code s} under the symbol binding {@code dims}. */
  public static int[] concreteShape(Shape s, Map<String, Integer> dims) {
    int[] out = new int[s.rank()];
    for (int i = 0; i < out.length; i++) out[i] = concreteDim(s.dim(i), dims);
    return out;
  }

  /** The value of one dim (zero is allowed: it is the offset of a slice at the start). */
  public static int concreteDim(Dim d, Map<String, Integer> dims) {
    long v = d.coefficient();
    for (String sym : d.symbols()) {
      Integer bound = dims.get(sym);
      if (bound == null) throw new IllegalArgumentException("dimension symbol '" + sym + "' is not bound");
      v = Math.multiplyExact(v, bound.longValue());
    }
    return Math.toIntExact(v);
  }

  /** The value of {@code node}, computing (once) whatever it depends on. */
  public DoubleArray evaluate(Node node) {
    DoubleArray known = memo.get(node);
    if (known != null) return known;
    // Iterative, in id (topological) order, so deep graphs cannot overflow the stack.
    for (Node n : pending(node)) {
      DoubleArray value = compute(n);
      int[] expected = concreteShape(n.shape(), dims);
      if (!Arrays.equals(value.shape(), expected)) {
        throw new IllegalStateException("evaluated " + Arrays.toString(value.shape()) + " for " + n);
      }
      memo.put(n, value);
    }
    return memo.get(node);
  }

  private List<Node> pending(Node root) {
    List<Node> out = new ArrayList<>();
    Map<Node, Boolean> seen = new HashMap<>();
    Deque<Node> work = new ArrayDeque<>();
    work.push(root);
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (memo.containsKey(n) || seen.put(n, Boolean.TRUE) != null) continue;
      out.add(n);
      for (Node in : n.inputs()) work.push(in);
    }
    out.sort(Comparator.comparingInt(Node::id));
    return out;
  }

  private DoubleArray in(Node n, int i) {
    return memo.get(n.input(i));
  }

  private int[] shapeOf(Node n) {
    return concreteShape(n.shape(), dims);
  }

  private DoubleArray compute(Node n) {
    Attrs a = n.attrs();
    return switch (n.op()) {
      case INPUT -> input(n);
      case VARIABLE -> variable(n);
      case CONSTANT -> new DoubleArray(shapeOf(n), a.reals());
      case COUNT -> DoubleArray.scalar(product(concreteShape(a.target(), dims)));
      case NEG -> map(n, x -> -x);
      case SQUARE -> map(n, x -> x * x);
      case SQRT -> map(n, Math::sqrt);
      case EXP -> map(n, Math::exp);
      case LOG -> map(n, Math::log);
      case TANH -> map(n, Math::tanh);
      case SIGMOID -> map(n, x -> 1 / (1 + Math.exp(-x)));
      case RELU -> map(n, x -> Math.max(x, 0));
      case ABS -> map(n, Math::abs);
      case SIGN -> map(n, Math::signum);
      case POW -> map(n, x -> Math.pow(x, a.realAt(0)));
      case CLIP -> map(n, x -> Math.min(Math.max(x, a.realAt(0)), a.realAt(1)));
      case INSIDE -> map(n, x -> a.realAt(0) < x && x < a.realAt(1) ? 1 : 0);
      case ADD -> zip(n, Double::sum);
      case SUB -> zip(n, (x, y) -> x - y);
      case MUL -> zip(n, (x, y) -> x * y);
      case DIV -> zip(n, (x, y) -> x / y);
      case MINIMUM -> zip(n, Math::min);
      case MAXIMUM -> zip(n, Math::max);
      case GREATER -> zip(n, (x, y) -> x > y ? 1 : 0);
      case EQUAL -> zip(n, (x, y) -> x == y ? 1 : 0);
      case BROADCAST_TO -> broadcastTo(n);
      case RESHAPE -> new DoubleArray(shapeOf(n), in(n, 0).data());
      case TRANSPOSE -> transpose(n);
      case CONCAT -> concat(n);
      case SLICE -> slice(n);
      case PAD -> pad(n);
      case MATMUL -> matmul(n);
      case REDUCE_SUM -> reduce(n, 0, Double::sum, false);
      case REDUCE_MEAN -> reduce(n, 0, Double::sum, true);
      case REDUCE_MAX -> reduce(n, Double.NEGATIVE_INFINITY, Math::max, false);
      case SOFTMAX -> softmax(n, false);
      case LOG_SOFTMAX -> softmax(n, true);
      case SOFTMAX_CROSS_ENTROPY -> softmaxCrossEntropy(n);
      case SOFTMAX_CROSS_ENTROPY_GRAD -> softmaxCrossEntropyGrad(n);
      case SPARSE_SOFTMAX_CROSS_ENTROPY -> sparseSoftmaxCrossEntropy(n);
      case SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD -> sparseSoftmaxCrossEntropyGrad(n);
      case GATHER -> gather(n);
      case SCATTER_ADD -> scatterAdd(n);
      case ONE_HOT -> oneHot(n);
      case SCAN -> scan(n).get(a.intAt(0));
    };
  }

  // ---- leaves

  private DoubleArray input(Node n) {
    DoubleArray v = feed(inputs, "input", n);
    if (n.dtype() == DType.INT32) {
      for (double d : v.data()) {
        if (d != Math.rint(d)) throw new IllegalArgumentException("int32 input '" + n.attrs().name() + "' holds " + d);
      }
    }
    return v;
  }

  private DoubleArray variable(Node n) {
    return feed(variables, "variable", n);
  }

  private DoubleArray feed(Map<String, DoubleArray> values, String what, Node n) {
    String name = n.attrs().name();
    DoubleArray v = values.get(name);
    if (v == null) throw new IllegalArgumentException("no value for " + what + " '" + name + "'");
    int[] expected = shapeOf(n);
    if (!Arrays.equals(v.shape(), expected)) {
      throw new IllegalArgumentException(what + " '" + name + "' has shape " + Arrays.toString(v.shape())
          + " but the graph needs " + Arrays.toString(expected) + " (" + n.shape() + ")");
    }
    return v;
  }

  // ---- elementwise

  private DoubleArray map(Node n, DoubleUnaryOperator f) {
    DoubleArray x = in(n, 0);
    double[] out = new double[x.size()];
    for (int i = 0; i < out.length; i++) out[i] = f.applyAsDouble(x.data()[i]);
    return new DoubleArray(x.shape(), out);
  }

  private DoubleArray zip(Node n, DoubleBinaryOperator f) {
    int[] shape = shapeOf(n);
    DoubleArray x = in(n, 0);
    DoubleArray y = in(n, 1);
    int[] sx = broadcastStrides(x.shape(), shape);
    int[] sy = broadcastStrides(y.shape(), shape);
    double[] out = new double[product(shape)];
    for (int i = 0; i < out.length; i++) {
      out[i] = f.applyAsDouble(x.data()[offset(i, shape, sx)], y.data()[offset(i, shape, sy)]);
    }
    return new DoubleArray(shape, out);
  }

  // ---- layout

  private DoubleArray broadcastTo(Node n) {
    int[] shape = shapeOf(n);
    DoubleArray x = in(n, 0);
    int[] sx = broadcastStrides(x.shape(), shape);
    double[] out = new double[product(shape)];
    for (int i = 0; i < out.length; i++) out[i] = x.data()[offset(i, shape, sx)];
    return new DoubleArray(shape, out);
  }

  private DoubleArray transpose(Node n) {
    DoubleArray x = in(n, 0);
    int[] perm = n.attrs().ints();
    int rank = x.rank();
    int[] inStrides = strides(x.shape());
    int[] shape = new int[rank];
    int[] walk = new int[rank]; // output axis i steps through input axis perm[i]
    for (int i = 0; i < rank; i++) {
      int p = perm[i] < 0 ? perm[i] + rank : perm[i];
      shape[i] = x.shape()[p];
      walk[i] = inStrides[p];
    }
    double[] out = new double[x.size()];
    for (int i = 0; i < out.length; i++) out[i] = x.data()[offset(i, shape, walk)];
    return new DoubleArray(shape, out);
  }

  private DoubleArray concat(Node n) {
    int[] shape = shapeOf(n);
    int axis = axis(n.attrs().intAt(0), shape.length);
    int outer = product(Arrays.copyOfRange(shape, 0, axis));
    int inner = product(Arrays.copyOfRange(shape, axis + 1, shape.length));
    double[] out = new double[product(shape)];
    int rowLength = shape[axis] * inner;
    int start = 0;
    for (int p = 0; p < n.inputs().size(); p++) {
      DoubleArray part = in(n, p);
      int block = part.shape()[axis] * inner;
      for (int o = 0; o < outer; o++) System.arraycopy(part.data(), o * block, out, o * rowLength + start, block);
      start += block;
    }
    return new DoubleArray(shape, out);
  }

  private DoubleArray slice(Node n) {
    DoubleArray x = in(n, 0);
    int[] shape = shapeOf(n);
    int axis = n.attrs().intAt(0);
    int offset = concreteDim(n.attrs().dim(), dims);
    int outer = product(Arrays.copyOfRange(shape, 0, axis));
    int inner = product(Arrays.copyOfRange(shape, axis + 1, shape.length));
    int block = shape[axis] * inner;
    int inRow = x.shape()[axis] * inner;
    double[] out = new double[product(shape)];
    for (int o = 0; o < outer; o++) System.arraycopy(x.data(), o * inRow + offset * inner, out, o * block, block);
    return new DoubleArray(shape, out);
  }

  private DoubleArray pad(Node n) {
    DoubleArray x = in(n, 0);
    int[] shape = shapeOf(n);
    int axis = n.attrs().intAt(0);
    int offset = concreteDim(n.attrs().dim(), dims);
    int outer = product(Arrays.copyOfRange(shape, 0, axis));
    int inner = product(Arrays.copyOfRange(shape, axis + 1, shape.length));
    int block = x.shape()[axis] * inner;
    int outRow = shape[axis] * inner;
    double[] out = new double[product(shape)];
    for (int o = 0; o < outer; o++) System.arraycopy(x.data(), o * block, out, o * outRow + offset * inner, block);
    return new DoubleArray(shape, out);
  }

  // ---- linear algebra

  /** out[b, i, j] = sum_p op(A)[b, i, p] * op(B)[b or shared, p, j]. */
  private DoubleArray matmul(Node n) {
    DoubleArray a = in(n, 0);
    DoubleArray b = in(n, 1);
    boolean ta = n.attrs().intAt(0) == 1;
    boolean tb = n.attrs().intAt(1) == 1;
    int[] shape = shapeOf(n);
    int batches = shape.length == 3 ? shape[0] : 1;
    int m = shape[shape.length - 2];
    int cols = shape[shape.length - 1];
    int k = ta ? a.shape()[a.rank() - 2] : a.shape()[a.rank() - 1];
    boolean sharedB = b.rank() == 2;
    double[] out = new double[product(shape)];
    for (int bi = 0; bi < batches; bi++) {
      int aBase = bi * m * k;
      int bBase = sharedB ? 0 : bi * k * cols;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < cols; j++) {
          double sum = 0;
          for (int p = 0; p < k; p++) {
            double av = a.data()[aBase + (ta ? p * m + i : i * k + p)];
            double bv = b.data()[bBase + (tb ? j * k + p : p * cols + j)];
            sum += av * bv;
          }
          out[(bi * m + i) * cols + j] = sum;
        }
      }
    }
    return new DoubleArray(shape, out);
  }

  // ---- reductions

  private DoubleArray reduce(Node n, double identity, DoubleBinaryOperator combine, boolean mean) {
    DoubleArray x = in(n, 0);
    int[] keep = x.shape().clone();
    int count = 1;
    for (int axis : n.attrs().ints()) {
      count *= keep[axis];
      keep[axis] = 1;
    }
    int[] toOut = broadcastStrides(keep, x.shape());
    double[] out = new double[product(keep)];
    Arrays.fill(out, identity);
    for (int i = 0; i < x.size(); i++) {
      int o = offset(i, x.shape(), toOut);
      out[o] = combine.applyAsDouble(out[o], x.data()[i]);
    }
    if (mean) {
      for (int i = 0; i < out.length; i++) out[i] /= count;
    }
    return new DoubleArray(shapeOf(n), out);
  }

  // ---- row-wise, over the last axis

  private DoubleArray softmax(Node n, boolean log) {
    DoubleArray x = in(n, 0);
    int c = x.shape()[x.rank() - 1];
    double[] out = new double[x.size()];
    for (int r = 0; r < x.size() / Math.max(c, 1); r++) {
      double lse = logSumExp(x.data(), r * c, c);
      for (int j = 0; j < c; j++) {
        double v = x.data()[r * c + j] - lse;
        out[r * c + j] = log ? v : Math.exp(v);
      }
    }
    return new DoubleArray(x.shape(), out);
  }

  /** -sum_j labels_j * logSoftmax(logits)_j per row. */
  private DoubleArray softmaxCrossEntropy(Node n) {
    DoubleArray logits = in(n, 0);
    DoubleArray labels = in(n, 1);
    int c = logits.shape()[logits.rank() - 1];
    double[] out = new double[product(shapeOf(n))];
    for (int r = 0; r < out.length; r++) {
      double lse = logSumExp(logits.data(), r * c, c);
      double loss = 0;
      for (int j = 0; j < c; j++) loss += labels.data()[r * c + j] * (lse - logits.data()[r * c + j]);
      out[r] = loss;
    }
    return new DoubleArray(shapeOf(n), out);
  }

  private DoubleArray softmaxCrossEntropyGrad(Node n) {
    return new DoubleArray(shapeOf(n), crossEntropyGrad(in(n, 0), in(n, 1).data(), in(n, 2).data()));
  }

  /** (softmax(row) · sum(labels) − labels) · rowScale per row, labels shaped like the logits. */
  private static double[] crossEntropyGrad(DoubleArray logits, double[] labels, double[] rowScale) {
    int c = logits.shape()[logits.rank() - 1];
    double[] out = new double[logits.size()];
    for (int r = 0; r < rowScale.length; r++) {
      double lse = logSumExp(logits.data(), r * c, c);
      double labelSum = 0;
      for (int j = 0; j < c; j++) labelSum += labels[r * c + j];
      for (int j = 0; j < c; j++) {
        out[r * c + j] = (Math.exp(logits.data()[r * c + j] - lse) * labelSum - labels[r * c + j]) * rowScale[r];
      }
    }
    return out;
  }

  /** logSumExp(row) - row[label] per row. */
  private DoubleArray sparseSoftmaxCrossEntropy(Node n) {
    DoubleArray logits = in(n, 0);
    DoubleArray labels = in(n, 1);
    int c = logits.shape()[logits.rank() - 1];
    double[] out = new double[labels.size()];
    for (int r = 0; r < out.length; r++) {
      int label = index(labels.data()[r], c, "label");
      out[r] = logSumExp(logits.data(), r * c, c) - logits.data()[r * c + label];
    }
    return new DoubleArray(shapeOf(n), out);
  }

  /**
   * The dense gradient with one-hot labels: (softmax(row) − oneHot(label)) · scale per row, from
   * the logits alone (the row losses, input 3, are the kernels' shortcut to each row's
   * log-sum-exp; the reference does not take it).
   */
  private DoubleArray sparseSoftmaxCrossEntropyGrad(Node n) {
    DoubleArray logits = in(n, 0);
    DoubleArray labels = in(n, 1);
    int c = logits.shape()[logits.rank() - 1];
    double[] oneHot = new double[logits.size()];
    for (int r = 0; r < labels.size(); r++) oneHot[r * c + index(labels.data()[r], c, "label")] = 1;
    return new DoubleArray(shapeOf(n), crossEntropyGrad(logits, oneHot, in(n, 2).data()));
  }

  private static double logSumExp(double[] x, int from, int length) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < length; j++) max = Math.max(max, x[from + j]);
    if (max == Double.NEGATIVE_INFINITY) return max;
    double sum = 0;
    for (int j = 0; j < length; j++) sum += Math.exp(x[from + j] - max);
    return max + Math.log(sum);
  }

  // ---- indexing

  private DoubleArray gather(Node n) {
    DoubleArray table = in(n, 0);
    DoubleArray indices = in(n, 1);
    int rows = table.shape()[0];
    int row = table.size() / Math.max(rows, 1);
    double[] out = new double[indices.size() * row];
    for (int i = 0; i < indices.size(); i++) {
      int r = index(indices.data()[i], rows, "gather index");
      System.arraycopy(table.data(), r * row, out, i * row, row);
    }
    return new DoubleArray(shapeOf(n), out);
  }

  private DoubleArray scatterAdd(Node n) {
    DoubleArray indices = in(n, 0);
    DoubleArray updates = in(n, 1);
    int[] shape = shapeOf(n);
    int rows = shape[0];
    int row = product(Arrays.copyOfRange(shape, 1, shape.length));
    double[] out = new double[product(shape)];
    for (int i = 0; i < indices.size(); i++) {
      int r = index(indices.data()[i], rows, "scatterAdd index");
      for (int j = 0; j < row; j++) out[r * row + j] += updates.data()[i * row + j];
    }
    return new DoubleArray(shape, out);
  }

  private DoubleArray oneHot(Node n) {
    DoubleArray indices = in(n, 0);
    int depth = concreteDim(n.attrs().dim(), dims);
    double[] out = new double[indices.size() * depth];
    for (int i = 0; i < indices.size(); i++) {
      double v = indices.data()[i];
      if (v >= 0 && v < depth) out[i * depth + (int) v] = 1;
    }
    return new DoubleArray(shapeOf(n), out);
  }

  private static int index(double value, int bound, String what) {
    if (!(value >= 0 && value < bound)) {
      throw new IndexOutOfBoundsException(what + " " + (long) value + " is out of range [0, " + bound + ")");
    }
    return (int) value;
  }

  // ---- recurrence

  private List<DoubleArray> scan(Node n) {
    return scans.computeIfAbsent(new ScanRun(n.attrs().body(), n.inputs(), n.attrs().flag()), run -> runScan(n));
  }

  /**
   * Runs the loop: each step evaluates the body with a fresh interpreter whose inputs are the
   * step's parameters and whose variables are this one's. Outputs in {@link ScanBody#outputCount}
   * order; a step output or carry history computed at step t is stored at row t, in either direction.
   */
  private List<DoubleArray> runScan(Node n) {
    ScanBody body = n.attrs().body();
    int sequences = body.sequences().size();
    int time = in(n, 0).shape()[0];
    List<DoubleArray> carries = new ArrayList<>();
    for (int k = 0; k < body.carries().size(); k++) carries.add(in(n, sequences + k));
    List<Node> stepOutputs = body.stepOutputs();
    List<Node> summed = body.summedOutputs();
    List<double[]> stacked = new ArrayList<>();
    List<double[]> history = new ArrayList<>();
    List<double[]> sums = new ArrayList<>();
    for (Node o : stepOutputs) stacked.add(new double[time * product(concreteShape(o.shape(), dims))]);
    for (Node c : body.carries()) history.add(new double[time * product(concreteShape(c.shape(), dims))]);
    for (Node s : summed) sums.add(new double[product(concreteShape(s.shape(), dims))]);
    boolean reverse = n.attrs().flag();
    for (int step = 0; step < time; step++) {
      int t = reverse ? time - 1 - step : step;
      Map<String, DoubleArray> feeds = new HashMap<>();
      for (int j = 0; j < sequences; j++) feeds.put(body.sequences().get(j).attrs().name(), row(in(n, j), t));
      for (int k = 0; k < carries.size(); k++) {
        feeds.put(body.carries().get(k).attrs().name(), carries.get(k));
        double[] c = carries.get(k).data();
        System.arraycopy(c, 0, history.get(k), t * c.length, c.length);
      }
      Interpreter stepEval = new Interpreter(dims, feeds, variables);
      for (int m = 0; m < stepOutputs.size(); m++) {
        double[] o = stepEval.evaluate(stepOutputs.get(m)).data();
        System.arraycopy(o, 0, stacked.get(m), t * o.length, o.length);
      }
      for (int p = 0; p < summed.size(); p++) {
        double[] v = stepEval.evaluate(summed.get(p)).data();
        for (int i = 0; i < v.length; i++) sums.get(p)[i] += v[i];
      }
      List<DoubleArray> next = new ArrayList<>();
      for (Node c : body.newCarries()) next.add(stepEval.evaluate(c));
      carries = next;
    }
    List<DoubleArray> out = new ArrayList<>(carries);
    for (int m = 0; m < stepOutputs.size(); m++) out.add(new DoubleArray(stackedShape(time, stepOutputs.get(m)), stacked.get(m)));
    for (int p = 0; p < summed.size(); p++) out.add(new DoubleArray(concreteShape(summed.get(p).shape(), dims), sums.get(p)));
    for (int k = 0; k < history.size(); k++) out.add(new DoubleArray(stackedShape(time, body.carries().get(k)), history.get(k)));
    return out;
  }

  private int[] stackedShape(int time, Node perStep) {
    int[] s = concreteShape(perStep.shape(), dims);
    int[] out = new int[s.length + 1];
    out[0] = time;
    System.arraycopy(s, 0, out, 1, s.length);
    return out;
  }

  /** Row {@code t} of the leading axis. */
  private static DoubleArray row(DoubleArray x, int t) {
    int[] shape = Arrays.copyOfRange(x.shape(), 1, x.rank());
    int size = product(shape);
    return new DoubleArray(shape, Arrays.copyOfRange(x.data(), t * size, (t + 1) * size));
  }

  // ---- index arithmetic

  private static int axis(int axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }

  private static int product(int[] shape) {
    int p = 1;
    for (int d : shape) p = Math.multiplyExact(p, d);
    return p;
  }

  private static int[] strides(int[] shape) {
    int[] s = new int[shape.length];
    int step = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = step;
      step *= shape[i];
    }
    return s;
  }

  /**
   * For each axis of {@code out}, how far one step along it moves in a tensor of shape {@code in}
   * broadcast right-aligned to it: 0 along axes that {@code in} lacks or has as 1.
   */
  private static int[] broadcastStrides(int[] in, int[] out) {
    int[] inStrides = strides(in);
    int[] s = new int[out.length];
    int lead = out.length - in.length;
    for (int i = lead; i < out.length; i++) s[i] = in[i - lead] == 1 ? 0 : inStrides[i - lead];
    return s;
  }

  /** The position, under per-axis {@code steps}, of the element at row-major {@code flat} of {@code shape}. */
  private static int offset(int flat, int[] shape, int[] steps) {
    int off = 0;
    for (int axis = shape.length - 1; axis >= 0; axis--) {
      int extent = shape[axis];
      off += (flat % extent) * steps[axis];
      flat /= extent;
    }
    return off;
  }
}
