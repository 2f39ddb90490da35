package dev.graft.processor.e2e;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * A row-major double-precision array with the few operations the end-to-end references need,
 * written as plain loops over multi-indices. Deliberately independent of the compiler (its IR, its
 * shape rules and its {@code Interpreter}): it is the second opinion the generated kernels are
 * checked against. Slow: meant for arrays of up to a few hundred thousand elements.
 */
final class Nd {
  final double[] data;
  final int[] shape;

  Nd(double[] data, int... shape) {
    if (data.length != size(shape)) throw new IllegalArgumentException(data.length + " values for " + Arrays.toString(shape));
    this.data = data;
    this.shape = shape.clone();
  }

  /** The values of a runtime array, in double. */
  static Nd of(dev.graft.runtime.NDArray a) {
    float[] f = a.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return new Nd(d, a.shape());
  }

  /** A runtime float array of {@code shape} with values uniform in [-scale, scale). */
  static dev.graft.runtime.NDArray uniform(java.util.Random r, double scale, int... shape) {
    float[] v = new float[size(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    return dev.graft.runtime.NDArray.of(v, shape);
  }

  static Nd scalar(double v) {
    return new Nd(new double[] {v});
  }

  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  int rank() {
    return shape.length;
  }

  int size() {
    return data.length;
  }

  private static int axis(int axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }

  private static int[] unravel(int flat, int[] shape) {
    int[] index = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      index[d] = flat % shape[d];
      flat /= shape[d];
    }
    return index;
  }

  private static int ravel(int[] index, int[] shape) {
    int flat = 0;
    for (int d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
    return flat;
  }

  Nd map(DoubleUnaryOperator f) {
    double[] out = new double[data.length];
    for (int i = 0; i < out.length; i++) out[i] = f.applyAsDouble(data[i]);
    return new Nd(out, shape);
  }

  /** Elementwise with NumPy broadcasting. */
  Nd zip(Nd b, DoubleBinaryOperator f) {
    int rank = Math.max(rank(), b.rank());
    int[] out = new int[rank];
    for (int d = 0; d < rank; d++) {
      int da = dimFromEnd(shape, rank - d), db = dimFromEnd(b.shape, rank - d);
      if (da != db && da != 1 && db != 1) throw new IllegalArgumentException(this + " and " + b + " do not broadcast");
      out[d] = Math.max(da, db);
    }
    double[] values = new double[size(out)];
    for (int i = 0; i < values.length; i++) {
      int[] index = unravel(i, out);
      values[i] = f.applyAsDouble(data[broadcastIndex(index, shape)], b.data[broadcastIndex(index, b.shape)]);
    }
    return new Nd(values, out);
  }

  private static int dimFromEnd(int[] shape, int k) {
    return k <= shape.length ? shape[shape.length - k] : 1;
  }

  private static int broadcastIndex(int[] outIndex, int[] shape) {
    int offset = outIndex.length - shape.length;
    int flat = 0;
    for (int d = 0; d < shape.length; d++) flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIndex[d + offset]);
    return flat;
  }

  Nd add(Nd b) {
    return zip(b, Double::sum);
  }

  Nd mul(Nd b) {
    return zip(b, (x, y) -> x * y);
  }

  enum Reduction { SUM, MEAN, MAX }

  /** Reduces over {@code axes} (negative counts from the end; none given: every axis). */
  Nd reduce(Reduction kind, boolean keepDims, int... axes) {
    boolean[] reduced = new boolean[rank()];
    if (axes.length == 0) Arrays.fill(reduced, true);
    for (int a : axes) reduced[axis(a, rank())] = true;
    int[] kept = shape.clone();
    int count = 1;
    for (int d = 0; d < rank(); d++) {
      if (reduced[d]) {
        kept[d] = 1;
        count *= shape[d];
      }
    }
    double[] out = new double[size(kept)];
    if (kind == Reduction.MAX) Arrays.fill(out, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < data.length; i++) {
      int[] index = unravel(i, shape);
      for (int d = 0; d < rank(); d++) if (reduced[d]) index[d] = 0;
      int o = ravel(index, kept);
      out[o] = kind == Reduction.MAX ? Math.max(out[o], data[i]) : out[o] + data[i];
    }
    if (kind == Reduction.MEAN) for (int i = 0; i < out.length; i++) out[i] /= count;
    if (keepDims) return new Nd(out, kept);
    return new Nd(out, Arrays.stream(range(rank())).filter(d -> !reduced[d]).map(d -> shape[d]).toArray());
  }

  Nd sum(boolean keepDims, int... axes) {
    return reduce(Reduction.SUM, keepDims, axes);
  }

  private static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  /** Reverses the axes. */
  Nd transpose() {
    int[] perm = new int[rank()];
    for (int d = 0; d < perm.length; d++) perm[d] = rank() - 1 - d;
    return transpose(perm);
  }

  /** Output axis {@code d} is input axis {@code perm[d]}. */
  Nd transpose(int... perm) {
    int[] out = new int[rank()];
    for (int d = 0; d < out.length; d++) out[d] = shape[perm[d]];
    double[] values = new double[data.length];
    for (int i = 0; i < values.length; i++) {
      int[] o = unravel(i, out);
      int[] in = new int[rank()];
      for (int d = 0; d < o.length; d++) in[perm[d]] = o[d];
      values[i] = data[ravel(in, shape)];
    }
    return new Nd(values, out);
  }

  Nd reshape(int... newShape) {
    return new Nd(data.clone(), newShape);
  }

  /** [m, k] x [k, n], [b, m, k] x [b, k, n] or [b, m, k] x [k, n]. */
  Nd matmul(Nd b) {
    int batch = rank() == 3 ? shape[0] : 1;
    int m = shape[rank() - 2], k = shape[rank() - 1], n = b.shape[b.rank() - 1];
    if (b.shape[b.rank() - 2] != k) throw new IllegalArgumentException(this + " x " + b);
    double[] out = new double[batch * m * n];
    for (int p = 0; p < batch; p++) {
      int aBase = p * m * k, bBase = b.rank() == 3 ? p * k * n : 0;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int q = 0; q < k; q++) s += data[aBase + i * k + q] * b.data[bBase + q * n + j];
          out[p * m * n + i * n + j] = s;
        }
      }
    }
    return rank() == 3 ? new Nd(out, batch, m, n) : new Nd(out, m, n);
  }

  static Nd concat(int axis, Nd... parts) {
    int a = axis(axis, parts[0].rank());
    int[] out = parts[0].shape.clone();
    out[a] = Arrays.stream(parts).mapToInt(p -> p.shape[a]).sum();
    double[] values = new double[size(out)];
    for (int i = 0; i < values.length; i++) {
      int[] index = unravel(i, out);
      int part = 0;
      while (index[a] >= parts[part].shape[a]) index[a] -= parts[part++].shape[a];
      values[i] = parts[part].data[ravel(index, parts[part].shape)];
    }
    return new Nd(values, out);
  }

  Nd slice(int axis, int start, int length) {
    int a = axis(axis, rank());
    int[] out = shape.clone();
    out[a] = length;
    double[] values = new double[size(out)];
    for (int i = 0; i < values.length; i++) {
      int[] index = unravel(i, out);
      index[a] += start;
      values[i] = data[ravel(index, shape)];
    }
    return new Nd(values, out);
  }

  /** Softmax over the last axis, computed from the maximum of each row. */
  Nd softmax() {
    return logSoftmax().map(Math::exp);
  }

  Nd logSoftmax() {
    int n = shape[rank() - 1];
    double[] out = new double[data.length];
    for (int row = 0; row < data.length / n; row++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) max = Math.max(max, data[row * n + j]);
      double sum = 0;
      for (int j = 0; j < n; j++) sum += Math.exp(data[row * n + j] - max);
      double logSum = max + Math.log(sum);
      for (int j = 0; j < n; j++) out[row * n + j] = data[row * n + j] - logSum;
    }
    return new Nd(out, shape);
  }

  /** Per row (last axis): {@code -sum(labels * logSoftmax(this))}. */
  Nd softmaxCrossEntropy(Nd labels) {
    return labels.mul(logSoftmax()).sum(false, -1).map(v -> -v);
  }

  /** Per row: {@code -logSoftmax(this)[label]}, labels one class index per row. */
  Nd sparseSoftmaxCrossEntropy(Nd labels) {
    Nd logp = logSoftmax();
    int n = shape[rank() - 1];
    double[] out = new double[labels.size()];
    for (int row = 0; row < out.length; row++) out[row] = -logp.data[row * n + (int) labels.data[row]];
    return new Nd(out, labels.shape);
  }

  /** Rows of this table (axis 0) at {@code indices}. */
  Nd gather(Nd indices) {
    int row = size() / shape[0];
    double[] out = new double[indices.size() * row];
    for (int i = 0; i < indices.size(); i++) System.arraycopy(data, (int) indices.data[i] * row, out, i * row, row);
    int[] outShape = Arrays.copyOf(indices.shape, indices.rank() + rank() - 1);
    System.arraycopy(shape, 1, outShape, indices.rank(), rank() - 1);
    return new Nd(out, outShape);
  }

  /** This array of class indices, one-hot along a new last axis. */
  Nd oneHot(int depth) {
    double[] out = new double[size() * depth];
    for (int i = 0; i < size(); i++) out[i * depth + (int) data[i]] = 1;
    int[] outShape = Arrays.copyOf(shape, rank() + 1);
    outShape[rank()] = depth;
    return new Nd(out, outShape);
  }

  @Override
  public String toString() {
    return "Nd" + Arrays.toString(shape);
  }
}
