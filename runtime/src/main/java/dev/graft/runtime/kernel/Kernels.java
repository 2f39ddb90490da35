package dev.graft.runtime.kernel;

/**
 * The shape-generic kernel library that generated code calls. All arrays are row-major and
 * dense; offsets and sizes are in elements. {@code ScalarKernels} (plain Java, Android-safe) is
 * always available; {@code dev.graft.runtime.simd.VectorKernels} implements the same contract
 * with the Vector API. Implementations are stateless apart from the thread pool they were
 * created with, and results of the two agree within float rounding.
 */
public interface Kernels {
  /** A short description for the log line, such as "scalar" or "Vector API, 16 float lanes". */
  String description();

  /**
   * Work over a range of rows of a row-major result, which generated code hands to the library:
   * a matrix product's epilogue (see {@link #gemm(boolean, boolean, int, int, int, float[], int,
   * float[], int, float[], int, boolean, RowWork)}), or a large elementwise loop ({@link
   * #forRows}). Implementations are objects the generated executor holds and refills before each
   * call, so handing one over allocates nothing.
   */
  @FunctionalInterface
  interface RowWork {
    /** Does the work for rows [row0, row1). */
    void run(int row0, int row1);
  }

  /**
   * {@code C = op(A) · op(B)} (or {@code C += ...} when {@code accumulate}), where op(A) is m×k
   * and op(B) is k×n. A is stored [m, k], or [k, m] when {@code transposeA}; B is stored [k, n],
   * or [n, k] when {@code transposeB}; C is stored [m, n]. Every matrix is contiguous from its
   * offset.
   *
   * <p>A non-null {@code epilogue} is fused into the store: it runs exactly once on each row of C
   * (rows numbered from {@code cOffset}), in ranges, each once those rows hold their final value:
   * right after a block of rows is done, on the pool thread that computed it, or after the whole
   * product when its columns or depth were split, split by rows across the pool. Ranges may run
   * concurrently and in any order. It may rewrite the rows it is given (a bias, an activation, a gradient's mask) and read
   * anything the product does not write; it is the caller's object, not kept after the call.
   */
  void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, float[] a, int aOffset,
      float[] b, int bOffset, float[] c, int cOffset, boolean accumulate, RowWork epilogue);

  /** The product with no epilogue. */
  default void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, float[] a,
      int aOffset, float[] b, int bOffset, float[] c, int cOffset, boolean accumulate) {
    gemm(transposeA, transposeB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate, null);
  }

  /**
   * Prepares op(B) (k×n, B stored as in {@link #gemm}) for several products with it; refills
   * {@code reuse} (an earlier result of this library, or null) rather than allocating when it
   * can. The result reflects B's values now: prepare again after B changes.
   */
  PreparedMatrix prepareB(boolean transposeB, int n, int k, float[] b, int bOffset, PreparedMatrix reuse);

  /**
   * {@link #gemm} with a B prepared by {@link #prepareB}: op(A) is m×k, C is m×n; the epilogue
   * (or null) as there.
   */
  void gemm(boolean transposeA, int m, float[] a, int aOffset, PreparedMatrix b, float[] c, int cOffset,
      boolean accumulate, RowWork epilogue);

  /** The product with a prepared B and no epilogue. */
  default void gemm(boolean transposeA, int m, float[] a, int aOffset, PreparedMatrix b, float[] c,
      int cOffset, boolean accumulate) {
    gemm(transposeA, m, a, aOffset, b, c, cOffset, accumulate, null);
  }

  /**
   * Runs {@code work} once on each of a set of disjoint row ranges covering [0, rows): as the one
   * range [0, rows) on the caller when {@code elements} (the work's size) is below the library's
   * parallel threshold or the pool has one thread, else a few ranges per thread on the pool,
   * concurrently. Ranges hold whole multiples of 16 rows (but the last) when there are many rows,
   * so that a loop over single elements splits on cache lines.
   */
  void forRows(int rows, long elements, RowWork work);

  /** {@code y[r, :] = softmax(x[r, :])} over rows of {@code cols} elements; y may be x. */
  void softmaxRows(float[] x, float[] y, int rows, int cols);

  /** {@code y[r, :] = x[r, :] - logsumexp(x[r, :])}, computed stably; y may be x. */
  void logSoftmaxRows(float[] x, float[] y, int rows, int cols);

  /** {@code loss[r] = -sum_j labels[r, j] * logSoftmax(logits[r, :])[j]}. */
  void softmaxCrossEntropyRows(float[] logits, float[] labels, float[] loss, int rows, int cols);

  /**
   * {@code loss[r] = logsumexp(logits[r, :]) - logits[r, labels[r]]}. A label outside
   * [0, cols) throws {@link IndexOutOfBoundsException} naming the row and the label.
   */
  void sparseSoftmaxCrossEntropyRows(float[] logits, int[] labels, float[] loss, int rows, int cols);

  /**
   * The gradient of {@link #softmaxCrossEntropyRows} with respect to the logits, each row scaled
   * by the cotangent of its loss: {@code out[r, j] = (softmax(logits[r, :])[j] * sum(labels[r, :])
   * - labels[r, j]) * rowScale[r]} (the familiar softmax − labels when a label row sums to 1), in
   * one pass per row. out is not one of the inputs.
   */
  void softmaxCrossEntropyGradRows(float[] logits, float[] labels, float[] rowScale, float[] out,
      int rows, int cols);

  /**
   * The gradient of {@link #sparseSoftmaxCrossEntropyRows} with respect to the logits, each row
   * scaled by the cotangent of its loss: {@code out[r, j] = (softmax(logits[r, :])[j] - (j ==
   * labels[r] ? 1 : 0)) * rowScale[r]}. Labels are checked as there; out is not one of the inputs.
   *
   * <p>{@code rowLoss} holds the loss {@link #sparseSoftmaxCrossEntropyRows} computed from these
   * logits and labels. A row's log-sum-exp is then {@code rowLoss[r] + logits[r, labels[r]]}, and
   * the row is one pass over the logits instead of three (its max, its exps, their scaling); see
   * {@link ScalarKernels#logSumExpFromLoss} for when a row is computed from the logits alone.
   */
  void sparseSoftmaxCrossEntropyGradRows(float[] logits, int[] labels, float[] rowLoss,
      float[] rowScale, float[] out, int rows, int cols);

  /** With x viewed as [outer, axis, inner]: {@code y[o, i] = sum_a x[o, a, i]}. */
  void reduceSum(float[] x, float[] y, int outer, int axis, int inner);

  /** With x viewed as [outer, axis, inner]: {@code y[o, i] = max_a x[o, a, i]}. */
  void reduceMax(float[] x, float[] y, int outer, int axis, int inner);

  /**
   * Embedding lookup: {@code out[i, :] = table[indices[i], :]} for i in [0, count), rows of
   * {@code width}. An index outside [0, tableRows) throws {@link IndexOutOfBoundsException}
   * naming the position and the index.
   */
  void gather(float[] table, int tableRows, int width, int[] indices, int count, float[] out);

  /**
   * Gradient of {@link #gather}: {@code table[indices[i], :] += updates[i, :]}; the table is
   * not cleared first. Bounds are checked as in {@link #gather}.
   */
  void scatterAdd(int[] indices, int count, float[] updates, int width, float[] table, int tableRows);

  /** Gradient descent: {@code w[i] -= learningRate * g[i]} for i in [0, n). */
  void sgdUpdate(float[] w, float[] g, float learningRate, int n);

  /**
   * One Adam step (Kingma and Ba, with bias correction): m and v are the first and second
   * moment estimates, {@code step} counts from 1.
   */
  void adamUpdate(float[] w, float[] g, float[] m, float[] v, float learningRate, float beta1,
      float beta2, float epsilon, int step, int n);

  /** {@code sum_i x[i]^2} for i in [0, n), accumulated in double precision. */
  double sumOfSquares(float[] x, int n);

  /** {@code x[i] *= s} for i in [0, n). */
  void scale(float[] x, float s, int n);
}
