package dev.graft.runtime.kernel;

import java.util.Objects;

/**
 * The plain-Java kernel library: no Vector API, nothing beyond what Android offers. Inner loops
 * run over contiguous slices of {@code float[]} so that C2 can auto-vectorize them.
 *
 * <p>GEMM copies op(B) into row arrays, loops in i-k-j order over k×n blocks with four k steps
 * fused into each pass over a C row (copied into a scratch array so that the inner loop indexes
 * every array from 0, which C2 vectorizes), and runs row blocks on the thread pool when the
 * product is large.
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
      int aOffset, float[] b, int bOffset, float[] c, int cOffset, boolean accumulate) {
    checkGemmArgs(m, n, k, a, aOffset, b, bOffset, c, cOffset, transposeA);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        java.util.Arrays.fill(c, cOffset, cOffset + m * n, 0f);
      }
      return;
    }
    float[][] rows = packB(transposeB, n, k, b, bOffset);
    long work = (long) m * n * k;
    int rowBlock = rowBlock(m, pool.threads(), work);
    int blocks = (m + rowBlock - 1) / rowBlock;
    if (blocks == 1) {
      gemmRows(transposeA, m, n, k, a, aOffset, rows, c, cOffset, accumulate, 0, m);
      return;
    }
    pool.parallelFor(blocks, blk -> {
      int i0 = blk * rowBlock;
      gemmRows(transposeA, m, n, k, a, aOffset, rows, c, cOffset, accumulate, i0,
          Math.min(m, i0 + rowBlock));
    });
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

  static void checkGemmArgs(int m, int n, int k, float[] a, int aOffset, float[] b, int bOffset,
      float[] c, int cOffset, boolean transposeA) {
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
   * across calls, and only read by the tasks of this call.
   */
  private float[][] packB(boolean transB, int n, int k, float[] b, int bOff) {
    int nb = (n + NC - 1) / NC;
    int width = Math.min(n, NC);
    float[][] rows = packedRows.get();
    if (rows == null || rows.length < nb * k || rows[0].length < width) {
      rows = new float[nb * k][width];
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
   * ({@code c[ci + j] += s * b[bi + j]}) is not vectorized, and runs ≈5× slower.
   */
  private void gemmRows(boolean transA, int m, int n, int k, float[] a, int aOff, float[][] rows,
      float[] c, int cOff, boolean accumulate, int i0, int i1) {
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
    forRows(rows, cols, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        float max = rowMax(x, o, cols);
        double sum = 0;
        for (int j = 0; j < cols; j++) {
          float e = (float) Math.exp(x[o + j] - max);
          y[o + j] = e;
          sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int j = 0; j < cols; j++) {
          y[o + j] *= inv;
        }
      }
    });
  }

  @Override
  public void logSoftmaxRows(float[] x, float[] y, int rows, int cols) {
    forRows(rows, cols, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        float lse = logSumExp(x, o, cols);
        for (int j = 0; j < cols; j++) {
          y[o + j] = x[o + j] - lse;
        }
      }
    });
  }

  @Override
  public void softmaxCrossEntropyRows(float[] logits, float[] labels, float[] loss, int rows,
      int cols) {
    forRows(rows, cols, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        float lse = logSumExp(logits, o, cols);
        double sum = 0;
        for (int j = 0; j < cols; j++) {
          sum += labels[o + j] * (lse - logits[o + j]);
        }
        loss[r] = (float) sum;
      }
    });
  }

  @Override
  public void sparseSoftmaxCrossEntropyRows(float[] logits, int[] labels, float[] loss, int rows,
      int cols) {
    checkLabels(labels, rows, cols);
    forRows(rows, cols, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = r * cols;
        loss[r] = logSumExp(logits, o, cols) - logits[o + labels[r]];
      }
    });
  }

  /** Throws if any of the first {@code rows} labels lies outside [0, cols). */
  static void checkLabels(int[] labels, int rows, int cols) {
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
      sum += Math.exp(x[o + j] - max);
    }
    return (float) (max + Math.log(sum));
  }

  /** Row-range body for {@link #forRows}. */
  interface RowRange {
    void run(int r0, int r1);
  }

  /** Runs {@code body} over [0, rows), split into row ranges on the pool when large enough. */
  void forRows(int rows, int cols, RowRange body) {
    forRanges(pool, rows, (long) rows * cols, body);
  }

  static void forRanges(ThreadPool pool, int rows, long elements, RowRange body) {
    int threads = pool.threads();
    if (threads <= 1 || rows < 2 || elements < PARALLEL_ELEMENTS) {
      body.run(0, rows);
      return;
    }
    int chunks = Math.min(rows, threads * 4);
    int per = (rows + chunks - 1) / chunks;
    int tasks = (rows + per - 1) / per;
    pool.parallelFor(tasks, t -> body.run(t * per, Math.min(rows, (t + 1) * per)));
  }

  // ---------------------------------------------------------------------------------------
  // Reductions

  @Override
  public void reduceSum(float[] x, float[] y, int outer, int axis, int inner) {
    forRanges(pool, outer, (long) outer * axis * inner, (o0, o1) -> {
      for (int o = o0; o < o1; o++) {
        int base = o * axis * inner;
        int yo = o * inner;
        if (inner == 1) {
          double sum = 0;
          for (int a = 0; a < axis; a++) {
            sum += x[base + a];
          }
          y[yo] = (float) sum;
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
    });
  }

  @Override
  public void reduceMax(float[] x, float[] y, int outer, int axis, int inner) {
    forRanges(pool, outer, (long) outer * axis * inner, (o0, o1) -> {
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
    });
  }

  // ---------------------------------------------------------------------------------------
  // Gather / scatter

  @Override
  public void gather(float[] table, int tableRows, int width, int[] indices, int count,
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
  static void checkIndices(int[] indices, int count, int tableRows) {
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
    for (int i = 0; i < n; i++) {
      w[i] -= learningRate * g[i];
    }
  }

  @Override
  public void adamUpdate(float[] w, float[] g, float[] m, float[] v, float learningRate,
      float beta1, float beta2, float epsilon, int step, int n) {
    if (step < 1) {
      throw new IllegalArgumentException("Adam step counts from 1, got " + step);
    }
    float stepSize = adamStepSize(learningRate, beta1, step);
    float invCorrection2 = adamInvCorrection2(beta2, step);
    float oneMinusB1 = 1f - beta1;
    float oneMinusB2 = 1f - beta2;
    for (int i = 0; i < n; i++) {
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
    double s0 = 0;
    double s1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      s0 += (double) x[i] * x[i];
      s1 += (double) x[i + 1] * x[i + 1];
    }
    if (i < n) {
      s0 += (double) x[i] * x[i];
    }
    return s0 + s1;
  }

  @Override
  public void scale(float[] x, float s, int n) {
    for (int i = 0; i < n; i++) {
      x[i] *= s;
    }
  }
}
