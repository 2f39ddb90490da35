package dev.graft.runtime.kernel;

import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * The plain-Java kernel library: no Vector API, nothing beyond what Android offers. Inner loops
 * run over contiguous slices of {@code float[]} so that C2 can auto-vectorize them.
 *
 * <p>GEMM copies op(B) into row arrays, loops in i-k-j order over k×n blocks with four k steps
 * fused into each pass over a C row (copied into a scratch array so that the inner loop indexes
 * every array from 0, which C2 vectorizes), and runs row blocks on the thread pool when the
 * product is large.
 *
 * <p>After warm-up no call allocates: scratch arrays are per thread and only grow, and the
 * bodies handed to the pool are per-thread objects reused across calls (see {@link #forRanges}
 * and {@link GemmTask}) rather than capturing lambdas.
 */
public final class ScalarKernels implements Kernels {
  /**
   * m·n·k at or above which GEMM row blocks go to the pool (n ≈ 161 for a square product; at
   * n = 128 two threads measured slower than one, at 256 faster).
   */
  static final long PARALLEL_GEMM_FLOPS = 1L << 22;
  /** Element count at or above which row-wise and elementwise kernels go to the pool. */
  static final long PARALLEL_ELEMENTS = 1L << 16;
  private static final int KC = 128;
  private static final int NC = 512;
  private static final int MAX_ROW_BLOCK = 64;
  /** Steps of k per pass when packing a transposed B. */
  private static final int TRANSPOSE_CHUNK = 64;

  private final ThreadPool pool;
  /** Per calling thread: op(B) as row arrays (see {@link #packB}). */
  private final ThreadLocal<float[][]> packedRows = new ThreadLocal<>();
  /** Per thread running a row block: one row of C. */
  private final ThreadLocal<float[]> rowBuffer = new ThreadLocal<>();
  /** Per calling thread: the parallelFor body of a parallel GEMM. */
  private final ThreadLocal<GemmTask> gemmTasks = ThreadLocal.withInitial(() -> new GemmTask(this));

  public ScalarKernels(ThreadPool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  @Override
  public String description() {
    return "scalar";
  }

  // ---------------------------------------------------------------------------------------
  // GEMM

  @Override
  public void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, float[] a,
      int aOffset, float[] b, int bOffset, float[] c, int cOffset, boolean accumulate,
      RowWork epilogue) {
    checkGemmArgs(m, n, k, a, aOffset, b, bOffset, c, cOffset);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        java.util.Arrays.fill(c, cOffset, cOffset + m * n, 0f);
      }
      if (epilogue != null) {
        epilogue.run(0, m);
      }
      return;
    }
    float[][] rows = packB(transposeB, n, k, b, bOffset);
    long work = (long) m * n * k;
    int rowBlock = rowBlock(m, pool.threads(), work);
    int blocks = (m + rowBlock - 1) / rowBlock;
    if (blocks == 1) {
      gemmRows(transposeA, m, n, k, a, aOffset, rows, c, cOffset, accumulate, epilogue, 0, m);
      return;
    }
    GemmTask task = gemmTasks.get();
    task.set(transposeA, m, n, k, a, aOffset, rows, c, cOffset, accumulate, epilogue, rowBlock);
    try {
      pool.parallelFor(blocks, task);
    } finally {
      task.clear();
    }
  }

  /** Keeps a reference: the scalar GEMM packs B's rows per call, which costs little next to its loops. */
  @Override
  public PreparedMatrix prepareB(boolean transposeB, int n, int k, float[] b, int bOffset, PreparedMatrix reuse) {
    return (reuse != null ? reuse : new PreparedMatrix()).of(transposeB, n, k, b, bOffset);
  }

  @Override
  public void gemm(boolean transposeA, int m, float[] a, int aOffset, PreparedMatrix b, float[] c, int cOffset,
      boolean accumulate, RowWork epilogue) {
    gemm(transposeA, b.transposed(), m, b.n(), b.k(), a, aOffset, b.source(), b.sourceOffset(), c, cOffset, accumulate,
        epilogue);
  }

  /**
   * The row blocks of one parallel GEMM: a body for {@link ThreadPool#parallelFor} that the
   * calling thread reuses from call to call, so that a parallel GEMM allocates no lambda. The
   * caller sets the fields, runs the pool (which returns only when every block is done) and
   * clears them; a thread runs one GEMM at a time, so one object per thread suffices.
   */
  private static final class GemmTask implements IntConsumer {
    private final ScalarKernels kernels;
    private boolean transA;
    private boolean accumulate;
    private int m;
    private int n;
    private int k;
    private int aOff;
    private int cOff;
    private int rowBlock;
    private float[] a;
    private float[][] rows;
    private float[] c;
    private RowWork epilogue;

    GemmTask(ScalarKernels kernels) {
      this.kernels = kernels;
    }

    void set(boolean transA, int m, int n, int k, float[] a, int aOff, float[][] rows, float[] c,
        int cOff, boolean accumulate, RowWork epilogue, int rowBlock) {
      this.transA = transA;
      this.m = m;
      this.n = n;
      this.k = k;
      this.a = a;
      this.aOff = aOff;
      this.rows = rows;
      this.c = c;
      this.cOff = cOff;
      this.accumulate = accumulate;
      this.epilogue = epilogue;
      this.rowBlock = rowBlock;
    }

    /** Drops the array references so that the caller's arrays are not kept reachable. */
    void clear() {
      a = null;
      rows = null;
      c = null;
      epilogue = null;
    }

    @Override
    public void accept(int blk) {
      int i0 = blk * rowBlock;
      kernels.gemmRows(transA, m, n, k, a, aOff, rows, c, cOff, accumulate, epilogue, i0,
          Math.min(m, i0 + rowBlock));
    }
  }

  /** Rows per parallel task; {@code m} (one block) when the product is small. */
  static int rowBlock(int m, int threads, long work) {
    if (threads <= 1 || work < PARALLEL_GEMM_FLOPS || m < 2) {
      return m;
    }
    int perTask = (m + 2 * threads - 1) / (2 * threads);
    perTask = Math.min(MAX_ROW_BLOCK, Math.max(4, (perTask + 3) & ~3));
    return Math.min(m, perTask);
  }

  /**
   * Throws {@link IllegalArgumentException} for a negative size and
   * {@link IndexOutOfBoundsException} when a matrix does not fit its array from its offset.
   */
  public static void checkGemmArgs(int m, int n, int k, float[] a, int aOffset, float[] b,
      int bOffset, float[] c, int cOffset) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("negative GEMM size m=" + m + " n=" + n + " k=" + k);
    }
    checkRange("A", a, aOffset, (long) m * k);
    checkRange("B", b, bOffset, (long) k * n);
    checkRange("C", c, cOffset, (long) m * n);
  }

  private static void checkRange(String name, float[] x, int offset, long size) {
    Objects.requireNonNull(x, name);
    if (offset < 0 || offset + size > x.length) {
      throw new IndexOutOfBoundsException(name + ": " + size + " elements from offset " + offset
          + " do not fit in an array of length " + x.length);
    }
  }

  /**
   * Copies op(B) into separate row arrays: column block jb (columns [jb·NC, jb·NC + NC)) of row
   * p is {@code rows[jb·k + p]}, starting at index 0. The arrays are this thread's, reused
   * across calls, and only read by the tasks of this call. Each dimension only grows, so calls
   * alternating between a tall narrow and a short wide B do not reallocate.
   */
  private float[][] packB(boolean transB, int n, int k, float[] b, int bOff) {
    int nb = (n + NC - 1) / NC;
    int width = Math.min(n, NC);
    float[][] rows = packedRows.get();
    if (rows == null || rows.length < nb * k || rows[0].length < width) {
      rows = new float[Math.max(nb * k, rows == null ? 0 : rows.length)]
          [Math.max(width, rows == null ? 0 : rows[0].length)];
      packedRows.set(rows);
    }
    for (int jb = 0; jb < nb; jb++) {
      int j0 = jb * NC;
      int jn = Math.min(NC, n - j0);
      if (!transB) {
        for (int p = 0; p < k; p++) {
          System.arraycopy(b, bOff + p * n + j0, rows[jb * k + p], 0, jn);
        }
      } else {
        // B is stored [n, k]: read rows of B (columns of op(B)) in chunks of TRANSPOSE_CHUNK steps so
        // the destination arrays being written stay in cache.
        for (int p0 = 0; p0 < k; p0 += TRANSPOSE_CHUNK) {
          int pn = Math.min(TRANSPOSE_CHUNK, k - p0);
          for (int j = 0; j < jn; j++) {
            int src = bOff + (j0 + j) * k + p0;
            for (int p = 0; p < pn; p++) {
              rows[jb * k + p0 + p][j] = b[src + p];
            }
          }
        }
      }
    }
    return rows;
  }

  /**
   * Rows [i0, i1) of C. Loops i-k-j over KC×NC blocks of op(B); each row of C is copied into a
   * scratch array and updated four k steps at a time by {@link #axpy4}. Every array in that loop
   * is indexed from 0 by the loop variable alone: that is the shape C2's auto-vectorizer
   * (SuperWord) handles on JDK 17 and 25. The same loop over a flat array with offsets
   * ({@code c[ci + j] += s * b[bi + j]}) is not vectorized, and runs ≈5× slower. The epilogue
   * (or null) then runs on the finished rows.
   */
  private void gemmRows(boolean transA, int m, int n, int k, float[] a, int aOff, float[][] rows,
      float[] c, int cOff, boolean accumulate, RowWork epilogue, int i0, int i1) {
    float[] crow = rowBuffer.get();
    if (crow == null || crow.length < Math.min(n, NC)) {
      crow = new float[Math.min(n, NC)];
      rowBuffer.set(crow);
    }
    for (int j0 = 0, jb = 0; j0 < n; j0 += NC, jb++) {
      int jn = Math.min(NC, n - j0);
      int rb = jb * k;
      for (int p0 = 0; p0 < k; p0 += KC) {
        int pn = Math.min(KC, k - p0);
        for (int i = i0; i < i1; i++) {
          int ci = cOff + i * n + j0;
          if (p0 == 0 && !accumulate) {
            java.util.Arrays.fill(crow, 0, jn, 0f);
          } else {
            System.arraycopy(c, ci, crow, 0, jn);
          }
          int p = p0;
          int pEnd = p0 + pn;
          for (; p + 3 < pEnd; p += 4) {
            axpy4(crow, jn, aAt(a, aOff, transA, m, k, i, p), aAt(a, aOff, transA, m, k, i, p + 1),
                aAt(a, aOff, transA, m, k, i, p + 2), aAt(a, aOff, transA, m, k, i, p + 3),
                rows[rb + p], rows[rb + p + 1], rows[rb + p + 2], rows[rb + p + 3]);
          }
          for (; p < pEnd; p++) {
            axpy(crow, jn, aAt(a, aOff, transA, m, k, i, p), rows[rb + p]);
          }
          System.arraycopy(crow, 0, c, ci, jn);
        }
      }
    }
    if (epilogue != null) {
      epilogue.run(i0, i1);
    }
  }

  private static float aAt(float[] a, int aOff, boolean transA, int m, int k, int i, int p) {
    return transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
  }

  /** {@code c[j] += s0·b0[j] + s1·b1[j] + s2·b2[j] + s3·b3[j]} for j in [0, len). */
  private static void axpy4(float[] c, int len, float s0, float s1, float s2, float s3,
      float[] b0, float[] b1, float[] b2, float[] b3) {
    for (int j = 0; j < len; j++) {
      c[j] += s0 * b0[j] + s1 * b1[j] + s2 * b2[j] + s3 * b3[j];
    }
  }

  /** {@code c[j] += s·b[j]} for j in [0, len). */
  private static void axpy(float[] c, int len, float s, float[] b) {
    for (int j = 0; j < len; j++) {
      c[j] += s * b[j];
    }
  }

  // ---------------------------------------------------------------------------------------
  // Row-wise softmax family

  @Override
  public void softmaxRows(float[] x, float[] y, int rows, int cols) {
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::softmaxRange, x, y, null, null, null,
        cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void softmaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float max = rowMax(x, o, cols);
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        float e = FloatMath.exp(x[o + j] - max);
        y[o + j] = e;
        sum += e;
      }
      float inv = (float) (1.0 / sum);
      for (int j = 0; j < cols; j++) {
        y[o + j] *= inv;
      }
    }
  }

  @Override
  public void logSoftmaxRows(float[] x, float[] y, int rows, int cols) {
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::logSoftmaxRange, x, y, null, null,
        null, cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void logSoftmaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float lse = logSumExp(x, o, cols);
      for (int j = 0; j < cols; j++) {
        y[o + j] = x[o + j] - lse;
      }
    }
  }

  @Override
  public void softmaxCrossEntropyRows(float[] logits, float[] labels, float[] loss, int rows,
      int cols) {
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::crossEntropyRange, logits, labels,
        loss, null, null, cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void crossEntropyRange(float[] logits, float[] labels, float[] loss,
      float[] unused, int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float lse = logSumExp(logits, o, cols);
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        sum += labels[o + j] * (lse - logits[o + j]);
      }
      loss[r] = (float) sum;
    }
  }

  @Override
  public void sparseSoftmaxCrossEntropyRows(float[] logits, int[] labels, float[] loss, int rows,
      int cols) {
    checkLabels(labels, rows, cols);
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::sparseCrossEntropyRange, logits, null,
        loss, null, labels, cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void sparseCrossEntropyRange(float[] logits, float[] unused, float[] loss,
      float[] unused2, int[] labels, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      loss[r] = logSumExp(logits, o, cols) - logits[o + labels[r]];
    }
  }

  @Override
  public void softmaxCrossEntropyGradRows(float[] logits, float[] labels, float[] rowScale,
      float[] out, int rows, int cols) {
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::crossEntropyGradRange, logits, labels,
        rowScale, out, null, cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void crossEntropyGradRange(float[] logits, float[] labels, float[] rowScale,
      float[] out, int[] none, int cols, int zero, int r0, int r1) {
    softmaxRange(logits, out, null, null, null, cols, 0, r0, r1);
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      double labelSum = 0;
      for (int j = 0; j < cols; j++) {
        labelSum += labels[o + j];
      }
      float scale = rowScale[r];
      float outScale = (float) labelSum * scale;
      for (int j = 0; j < cols; j++) {
        out[o + j] = out[o + j] * outScale - labels[o + j] * scale;
      }
    }
  }

  @Override
  public void sparseSoftmaxCrossEntropyGradRows(float[] logits, int[] labels, float[] rowLoss,
      float[] rowScale, float[] out, int rows, int cols) {
    checkLabels(labels, rows, cols);
    forRanges(pool, rows, (long) rows * cols, ScalarKernels::sparseCrossEntropyGradRange, logits,
        rowScale, out, rowLoss, labels, cols, 0);
  }

  /** Public for the Vector API library, which sends it calls of too few narrow rows. */
  public static void sparseCrossEntropyGradRange(float[] logits, float[] rowScale, float[] out,
      float[] rowLoss, int[] labels, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float scale = rowScale[r];
      float logSumExp = logSumExpFromLoss(rowLoss[r], logits[o + labels[r]]);
      if (logSumExp == logSumExp) {
        for (int j = 0; j < cols; j++) {
          out[o + j] = FloatMath.exp(logits[o + j] - logSumExp) * scale;
        }
      } else {
        softmaxRange(logits, out, null, null, null, cols, 0, r, r + 1);
        for (int j = 0; j < cols; j++) {
          out[o + j] *= scale;
        }
      }
      out[o + labels[r]] -= scale;
    }
  }

  /**
   * Magnitude below which {@link #logSumExpFromLoss} trusts a recovered log-sum-exp. The
   * recovery adds the rounding of the loss to that of the sum, a few units in the last place of
   * the result, and each exp of the row inherits that absolute error as a relative one: at most
   * about 2e-5 below 64 (and 3e-6 for a language model's log-sum-exps near 10, measured).
   */
  public static final float RECOVERED_LOG_SUM_EXP_LIMIT = 64f;

  /**
   * A row's log-sum-exp from its sparse cross-entropy {@code loss} (log-sum-exp − the label's
   * logit) and the label's logit: their sum, or NaN when that is not finite or not below
   * {@link #RECOVERED_LOG_SUM_EXP_LIMIT} in magnitude, and the row is to be computed from its
   * logits alone (its max first).
   */
  public static float logSumExpFromLoss(float loss, float labelLogit) {
    float logSumExp = loss + labelLogit;
    return Math.abs(logSumExp) < RECOVERED_LOG_SUM_EXP_LIMIT ? logSumExp : Float.NaN;
  }

  /** Throws if any of the first {@code rows} labels lies outside [0, cols). */
  public static void checkLabels(int[] labels, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int label = labels[r];
      if (label < 0 || label >= cols) {
        throw new IndexOutOfBoundsException(
            "label " + label + " at row " + r + " is outside [0, " + cols + ")");
      }
    }
  }

  private static float rowMax(float[] x, int o, int cols) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < cols; j++) {
      max = Math.max(max, x[o + j]);
    }
    return max;
  }

  /** {@code max + log(sum exp(x - max))}; an all -inf row gives -inf. */
  private static float logSumExp(float[] x, int o, int cols) {
    float max = rowMax(x, o, cols);
    if (max == Float.NEGATIVE_INFINITY) {
      return max;
    }
    double sum = 0;
    for (int j = 0; j < cols; j++) {
      sum += FloatMath.exp(x[o + j] - max);
    }
    return max + FloatMath.log((float) sum);
  }

  // ---------------------------------------------------------------------------------------
  // Row ranges on the pool

  /**
   * The body of a row-wise kernel over rows [r0, r1): up to four float arrays, an int array and
   * two sizes (unused ones are null or 0). Implementations are static method references, which
   * capture nothing, so passing one to {@link #forRanges} allocates nothing.
   */
  public interface RowKernel {
    void run(float[] x, float[] y, float[] z, float[] w, int[] idx, int p, int q, int r0, int r1);
  }

  /**
   * Runs {@code body} over rows [0, rows) with the given arguments: inline when the pool has one
   * thread, there is one row, or there are fewer than {@code PARALLEL_ELEMENTS} elements;
   * otherwise split as {@link #forRows} splits. Allocates nothing after the calling thread's first
   * parallel call.
   */
  public static void forRanges(ThreadPool pool, int rows, long elements, RowKernel body,
      float[] x, float[] y, float[] z, float[] w, int[] idx, int p, int q) {
    int threads = pool.threads();
    if (threads <= 1 || rows < 2 || elements < PARALLEL_ELEMENTS) {
      body.run(x, y, z, w, idx, p, q, 0, rows);
      return;
    }
    RangeTask task = RANGE_TASKS.get();
    task.set(body, x, y, z, w, idx, p, q);
    try {
      forRows(pool, rows, elements, task);
    } finally {
      task.clear();
    }
  }

  private static final ThreadLocal<RangeTask> RANGE_TASKS = ThreadLocal.withInitial(RangeTask::new);

  @Override
  public void forRows(int rows, long elements, RowWork work) {
    forRows(pool, rows, elements, work);
  }

  /** {@link Kernels#forRows} on {@code pool}, for both libraries. */
  public static void forRows(ThreadPool pool, int rows, long elements, RowWork work) {
    int threads = pool.threads();
    if (threads <= 1 || rows < 2 || elements < PARALLEL_ELEMENTS) {
      if (rows > 0) {
        work.run(0, rows);
      }
      return;
    }
    int chunks = Math.min(rows, threads * 4);
    int per = (rows + chunks - 1) / chunks;
    if (rows >= 64 * chunks) {
      per = (per + 15) & ~15;
    }
    RowWorkTask task = ROW_WORK_TASKS.get();
    task.work = work;
    task.rows = rows;
    task.per = per;
    try {
      pool.parallelFor((rows + per - 1) / per, task);
    } finally {
      task.work = null;
    }
  }

  private static final ThreadLocal<RowWorkTask> ROW_WORK_TASKS = ThreadLocal.withInitial(RowWorkTask::new);

  /**
   * The {@link ThreadPool#parallelFor} body of {@link #forRows}: task t runs rows
   * [t·per, min(rows, (t + 1)·per)). One per calling thread, reused; row work never calls the
   * library, so a thread is inside at most one {@code forRows} at a time.
   */
  private static final class RowWorkTask implements IntConsumer {
    private RowWork work;
    private int rows;
    private int per;

    @Override
    public void accept(int t) {
      work.run(t * per, Math.min(rows, (t + 1) * per));
    }
  }

  /**
   * {@link #forRanges}' row kernel and its arguments as row work. One per calling thread, reused;
   * a thread is inside at most one {@code forRanges} at a time, since no row kernel calls another
   * kernel.
   */
  private static final class RangeTask implements RowWork {
    private RowKernel body;
    private float[] x;
    private float[] y;
    private float[] z;
    private float[] w;
    private int[] idx;
    private int p;
    private int q;

    void set(RowKernel body, float[] x, float[] y, float[] z, float[] w, int[] idx, int p, int q) {
      this.body = body;
      this.x = x;
      this.y = y;
      this.z = z;
      this.w = w;
      this.idx = idx;
      this.p = p;
      this.q = q;
    }

    /** Drops the references so that the caller's arrays are not kept reachable. */
    void clear() {
      body = null;
      x = null;
      y = null;
      z = null;
      w = null;
      idx = null;
    }

    @Override
    public void run(int r0, int r1) {
      body.run(x, y, z, w, idx, p, q, r0, r1);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Reductions

  @Override
  public void reduceSum(float[] x, float[] y, int outer, int axis, int inner) {
    forRanges(pool, outer, (long) outer * axis * inner, ScalarKernels::reduceSumRange, x, y, null,
        null, null, axis, inner);
  }

  /**
   * {@link #reduceSum} over the outer indices [o0, o1), on the calling thread. Public for the
   * Vector API library, which sends it reductions too small to be worth vectors.
   */
  public static void reduceSumRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
      int base = o * axis * inner;
      int yo = o * inner;
      if (inner < FEW_COLUMNS) {
        for (int i = 0; i < inner; i++) {
          y[yo + i] = stridedSum(x, base + i, axis, inner);
        }
        continue;
      }
      for (int i = 0; i < inner; i++) {
        y[yo + i] = 0f;
      }
      for (int a = 0; a < axis; a++) {
        int xa = base + a * inner;
        for (int i = 0; i < inner; i++) {
          y[yo + i] += x[xa + i];
        }
      }
    }
  }

  /**
   * Columns below which {@link #reduceSumRange} sums each column on its own, down the rows, in
   * registers. The row-by-row loop below it adds each row into the output, which stores and
   * reloads every column's sum at every row. A 150 × 3 sum (a 3-class bias gradient) took 850
   * against 770 ns that way on JDK 17, and 1,040 against 410 ns on JDK 25 (single-call probe).
   */
  private static final int FEW_COLUMNS = 8;

  /** The sum of x[start + a·stride] for a in [0, count), in double, four rows at a time. */
  private static float stridedSum(float[] x, int start, int count, int stride) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int a = 0;
    int p = start;
    for (; a + 4 <= count; a += 4, p += 4 * stride) {
      s0 += x[p];
      s1 += x[p + stride];
      s2 += x[p + 2 * stride];
      s3 += x[p + 3 * stride];
    }
    for (; a < count; a++, p += stride) {
      s0 += x[p];
    }
    return (float) ((s0 + s1) + (s2 + s3));
  }

  @Override
  public void reduceMax(float[] x, float[] y, int outer, int axis, int inner) {
    forRanges(pool, outer, (long) outer * axis * inner, ScalarKernels::reduceMaxRange, x, y, null,
        null, null, axis, inner);
  }

  private static void reduceMaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
      int base = o * axis * inner;
      int yo = o * inner;
      for (int i = 0; i < inner; i++) {
        y[yo + i] = Float.NEGATIVE_INFINITY;
      }
      for (int a = 0; a < axis; a++) {
        int xa = base + a * inner;
        for (int i = 0; i < inner; i++) {
          y[yo + i] = Math.max(y[yo + i], x[xa + i]);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Gather / scatter

  @Override
  public void gather(float[] table, int tableRows, int width, int[] indices, int count,
      float[] out) {
    gatherRows(table, tableRows, width, indices, count, out);
  }

  /** {@link Kernels#gather}, shared by every implementation: it is all row copies. */
  public static void gatherRows(float[] table, int tableRows, int width, int[] indices, int count,
      float[] out) {
    checkIndices(indices, count, tableRows);
    for (int i = 0; i < count; i++) {
      System.arraycopy(table, indices[i] * width, out, i * width, width);
    }
  }

  @Override
  public void scatterAdd(int[] indices, int count, float[] updates, int width, float[] table,
      int tableRows) {
    checkIndices(indices, count, tableRows);
    for (int i = 0; i < count; i++) {
      int t = indices[i] * width;
      int u = i * width;
      for (int j = 0; j < width; j++) {
        table[t + j] += updates[u + j];
      }
    }
  }

  /** Checks every index before anything is written, so a bad index leaves no partial update. */
  public static void checkIndices(int[] indices, int count, int tableRows) {
    for (int i = 0; i < count; i++) {
      int idx = indices[i];
      if (idx < 0 || idx >= tableRows) {
        throw new IndexOutOfBoundsException(
            "index " + idx + " at position " + i + " is outside [0, " + tableRows + ")");
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Optimizer updates and elementwise helpers

  @Override
  public void sgdUpdate(float[] w, float[] g, float learningRate, int n) {
    sgdRange(w, g, learningRate, 0, n);
  }

  /** {@code w[i] -= learningRate * g[i]} for i in [from, to). */
  public static void sgdRange(float[] w, float[] g, float learningRate, int from, int to) {
    for (int i = from; i < to; i++) {
      w[i] -= learningRate * g[i];
    }
  }

  @Override
  public void adamUpdate(float[] w, float[] g, float[] m, float[] v, float learningRate,
      float beta1, float beta2, float epsilon, int step, int n) {
    checkAdamStep(step);
    adamRange(w, g, m, v, adamStepSize(learningRate, beta1, step),
        adamInvCorrection2(beta2, step), beta1, beta2, epsilon, 0, n);
  }

  /** Throws unless {@code step >= 1}. */
  public static void checkAdamStep(int step) {
    if (step < 1) {
      throw new IllegalArgumentException("Adam step counts from 1, got " + step);
    }
  }

  /**
   * The Adam update of elements [from, to), given {@link #adamStepSize} and
   * {@link #adamInvCorrection2} for the step.
   */
  public static void adamRange(float[] w, float[] g, float[] m, float[] v, float stepSize,
      float invCorrection2, float beta1, float beta2, float epsilon, int from, int to) {
    float oneMinusB1 = 1f - beta1;
    float oneMinusB2 = 1f - beta2;
    for (int i = from; i < to; i++) {
      float gi = g[i];
      float mi = beta1 * m[i] + oneMinusB1 * gi;
      float vi = beta2 * v[i] + oneMinusB2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] -= stepSize * mi / ((float) Math.sqrt(vi * invCorrection2) + epsilon);
    }
  }

  /** {@code lr / (1 - beta1^step)}: the learning rate with the first-moment bias correction. */
  public static float adamStepSize(float learningRate, float beta1, int step) {
    return (float) (learningRate / (1.0 - Math.pow(beta1, step)));
  }

  /** {@code 1 / (1 - beta2^step)}: the second-moment bias correction. */
  public static float adamInvCorrection2(float beta2, int step) {
    return (float) (1.0 / (1.0 - Math.pow(beta2, step)));
  }

  @Override
  public double sumOfSquares(float[] x, int n) {
    return sumRanges(pool, x, n, 2, ScalarKernels::squaresRange);
  }

  /** The sum of {@code x[i]²} for i in [from, to), in double precision. */
  public static double squaresRange(float[] x, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    int i = from;
    for (; i + 1 < to; i += 2) {
      s0 += (double) x[i] * x[i];
      s1 += (double) x[i + 1] * x[i + 1];
    }
    if (i < to) {
      s0 += (double) x[i] * x[i];
    }
    return s0 + s1;
  }

  /** A sum over elements [from, to) of x, in double precision. */
  @FunctionalInterface
  public interface RangeSum {
    double sum(float[] x, int from, int to);
  }

  /**
   * Elements at or above which {@link #sumRanges} splits a sum across the pool: the global norm
   * of a language model's gradients (4.7 million floats at the PTB small shape) was 2% of the
   * two-thread step on the caller alone.
   */
  static final int PARALLEL_SUM = 1 << 18;

  /**
   * {@code body} over [0, n): in one call below {@link #PARALLEL_SUM} or on one thread, else one
   * range per pool thread, each starting at a multiple of {@code align}, their sums added in
   * range order (so a pool of a given size always gives the same result). Allocates nothing
   * after the calling thread's first parallel call with this pool size.
   */
  public static double sumRanges(ThreadPool pool, float[] x, int n, int align, RangeSum body) {
    int threads = pool.threads();
    if (threads <= 1 || n < PARALLEL_SUM) {
      return body.sum(x, 0, n);
    }
    SumTask task = SUM_TASKS.get();
    if (task.sums.length != threads) {
      task.sums = new double[threads];
    }
    task.body = body;
    task.x = x;
    task.n = n;
    long perThread = ((long) n + threads - 1) / threads;
    task.per = (perThread + align - 1) / align * align;
    try {
      pool.parallelFor(threads, task);
    } finally {
      task.body = null;
      task.x = null;
    }
    double total = 0;
    for (double sum : task.sums) {
      total += sum;
    }
    return total;
  }

  private static final ThreadLocal<SumTask> SUM_TASKS = ThreadLocal.withInitial(SumTask::new);

  /** {@link #sumRanges}' parallel body: task t sums [t·per, min(n, (t + 1)·per)) into sums[t]. */
  private static final class SumTask implements IntConsumer {
    private double[] sums = new double[0];
    private RangeSum body;
    private float[] x;
    private int n;
    private long per;

    @Override
    public void accept(int t) {
      int from = (int) Math.min(n, t * per);
      sums[t] = body.sum(x, from, (int) Math.min(n, from + per));
    }
  }

  @Override
  public void scale(float[] x, float s, int n) {
    scaleRange(x, s, 0, n);
  }

  /** {@code x[i] *= s} for i in [from, to). */
  public static void scaleRange(float[] x, float s, int from, int to) {
    for (int i = from; i < to; i++) {
      x[i] *= s;
    }
  }
}
