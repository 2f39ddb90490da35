package dev.graft.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ScalarKernels against straightforward double-precision references. */
class ScalarKernelsTest {
  private static final ThreadPool POOL2 = new ThreadPool(2);
  private static final ThreadPool POOL1 = new ThreadPool(1);
  private static final Kernels K = new ScalarKernels(POOL2);
  private static final Kernels K1 = new ScalarKernels(POOL1);

  @AfterAll
  static void closePools() {
    POOL2.close();
    POOL1.close();
  }
  /**
   * forRows hands each row over exactly once; on a pool of two a large loop runs in several
   * ranges, in whole multiples of 16 rows when there are many; a small
   * one, or one on a single thread, runs as one range on the caller.
   */
  @Test
  void forRowsCoversEachRowOnce() {
    for (int rows : new int[] {0, 1, 7, 100, 5000, 1 << 17}) {
      for (long elements : new long[] {rows, 1L << 20}) {
        for (Kernels k : new Kernels[] {K, K1}) {
          java.util.concurrent.atomic.AtomicIntegerArray visits = new java.util.concurrent.atomic.AtomicIntegerArray(rows);
          java.util.List<int[]> ranges = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
          java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
          k.forRows(rows, elements, (r0, r1) -> {
            ranges.add(new int[] {r0, r1});
            threads.add(Thread.currentThread());
            for (int r = r0; r < r1; r++) visits.incrementAndGet(r);
          });
          String what = "rows=" + rows + " elements=" + elements + (k == K ? " 2 threads" : " 1 thread");
          for (int r = 0; r < rows; r++) assertEquals(1, visits.get(r), what + ": visits of row " + r);
          boolean split = k == K && rows >= 2 && elements >= ScalarKernels.PARALLEL_ELEMENTS;
          assertEquals(rows == 0 ? 0 : split ? Math.min(rows, 8) : 1, ranges.size(), what + ": ranges");
          if (!split) {
            assertTrue(threads.isEmpty() || threads.equals(java.util.Set.of(Thread.currentThread())), what + ": on the caller");
          }
          if (split && rows >= 64 * 8) {
            for (int[] range : ranges) {
              assertTrue(range[0] % 16 == 0 && (range[1] % 16 == 0 || range[1] == rows), what + ": range " + Arrays.toString(range));
            }
          }
        }
      }
    }
  }


  static float[] random(SplittableRandom rnd, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return x;
  }

  /** Naive triple loop in double, reading A and B through their stored layouts. */
  static double[] gemmReference(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao,
      float[] b, int bo, float[] c0, int co, boolean accumulate) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = accumulate ? c0[co + i * n + j] : 0;
        for (int p = 0; p < k; p++) {
          double av = ta ? a[ao + p * m + i] : a[ao + i * k + p];
          double bv = tb ? b[bo + j * k + p] : b[bo + p * n + j];
          s += av * bv;
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void gemmMatchesReferenceForAllLayouts(int layout) {
    boolean ta = (layout & 1) != 0;
    boolean tb = (layout & 2) != 0;
    SplittableRandom rnd = new SplittableRandom(42 + layout);
    int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {1, 100, 257}, {100, 1, 33},
        {65, 70, 200}, {130, 600, 9}, {37, 1030, 131}, {0, 4, 4}, {4, 0, 4}, {4, 4, 0}};
    for (int[] s : shapes) {
      int m = s[0];
      int n = s[1];
      int k = s[2];
      for (boolean acc : new boolean[] {false, true}) {
        for (Kernels kernels : new Kernels[] {K, K1}) {
          int ao = 3;
          int bo = 5;
          int co = 7;
          float[] a = random(rnd, ao + m * k + 2, 1);
          float[] b = random(rnd, bo + k * n + 2, 1);
          float[] c = random(rnd, co + m * n + 2, 1);
          float[] before = c.clone();
          double[] expected = gemmReference(ta, tb, m, n, k, a, ao, b, bo, c, co, acc);
          kernels.gemm(ta, tb, m, n, k, a, ao, b, bo, c, co, acc);
          String what = "ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k
              + " acc=" + acc + " threads=" + (kernels == K ? 2 : 1);
          for (int i = 0; i < m * n; i++) {
            assertEquals(expected[i], c[co + i], 1e-5 * (k + 1) + 1e-6, what + " at " + i);
          }
          for (int i = 0; i < co; i++) {
            assertEquals(before[i], c[i], what + ": wrote before the offset");
          }
          for (int i = co + m * n; i < c.length; i++) {
            assertEquals(before[i], c[i], what + ": wrote past the end");
          }
        }
      }
    }
  }

  @Test
  void gemmRejectsArraysThatAreTooSmall() {
    float[] a = new float[6];
    assertThrows(IndexOutOfBoundsException.class,
        () -> K.gemm(false, false, 2, 3, 3, a, 1, new float[9], 0, new float[6], 0, false));
    assertThrows(IllegalArgumentException.class,
        () -> K.gemm(false, false, -1, 3, 3, a, 0, new float[9], 0, new float[6], 0, false));
  }

  /** log(sum exp(x[o, o + cols))) in double precision, shifted by the row's max. */
  private static double referenceLogSumExp(float[] x, int o, int cols) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < cols; j++) {
      max = Math.max(max, x[o + j]);
    }
    double sum = 0;
    for (int j = 0; j < cols; j++) {
      sum += Math.exp(x[o + j] - max);
    }
    return max + Math.log(sum);
  }

  @Test
  void softmaxFamilyMatchesReference() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int[] s : new int[][] {{1, 1}, {3, 17}, {20, 10000}, {70, 1000}}) {
      int rows = s[0];
      int cols = s[1];
      float[] x = random(rnd, rows * cols, 30);
      x[0] = 500f; // large logits must not overflow
      float[] labels = new float[rows * cols];
      int[] sparse = new int[rows];
      for (int r = 0; r < rows; r++) {
        sparse[r] = rnd.nextInt(cols);
        double norm = 0;
        for (int j = 0; j < cols; j++) {
          labels[r * cols + j] = (float) rnd.nextDouble();
          norm += labels[r * cols + j];
        }
        for (int j = 0; j < cols; j++) {
          labels[r * cols + j] /= (float) norm;
        }
      }
      float[] rowScale = random(rnd, rows, 2);
      float[] sm = new float[x.length];
      float[] lsm = new float[x.length];
      float[] ce = new float[rows];
      float[] sce = new float[rows];
      float[] sceGrad = new float[x.length];
      float[] tripled = new float[x.length]; // label rows that sum to 3
      for (int i = 0; i < x.length; i++) {
        tripled[i] = 3 * labels[i];
      }
      float[] ceGrad = new float[x.length];
      K.softmaxRows(x, sm, rows, cols);
      K.logSoftmaxRows(x, lsm, rows, cols);
      K.softmaxCrossEntropyRows(x, labels, ce, rows, cols);
      K.sparseSoftmaxCrossEntropyRows(x, sparse, sce, rows, cols);
      K.sparseSoftmaxCrossEntropyGradRows(x, sparse, sce, rowScale, sceGrad, rows, cols);
      K.softmaxCrossEntropyGradRows(x, tripled, rowScale, ceGrad, rows, cols);
      for (int r = 0; r < rows; r++) {
        double lse = referenceLogSumExp(x, r * cols, cols);
        double expectedCe = 0;
        for (int j = 0; j < cols; j++) {
          int i = r * cols + j;
          double logP = x[i] - lse;
          assertEquals(Math.exp(logP), sm[i], 1e-6 + 1e-5 * Math.exp(logP), "softmax " + i);
          assertEquals(logP, lsm[i], 1e-4 * (1 + Math.abs(logP)), "log-softmax " + i);
          double grad = (Math.exp(logP) - (j == sparse[r] ? 1 : 0)) * rowScale[r];
          assertEquals(grad, sceGrad[i], 1e-6 + 1e-5 * Math.abs(grad), "sparse ce gradient " + i);
          double denseGrad = (Math.exp(logP) * 3 - tripled[i]) * rowScale[r];
          assertEquals(denseGrad, ceGrad[i], 1e-6 + 1e-5 * Math.abs(denseGrad), "ce gradient " + i);
          expectedCe -= labels[i] * logP;
        }
        assertEquals(expectedCe, ce[r], 1e-4 * (1 + Math.abs(expectedCe)), "ce row " + r);
        double expectedSparse = lse - x[r * cols + sparse[r]];
        assertEquals(expectedSparse, sce[r], 1e-4 * (1 + Math.abs(expectedSparse)),
            "sparse ce row " + r);
      }
      // in place
      float[] copy = x.clone();
      K.softmaxRows(copy, copy, rows, cols);
      assertTrue(Arrays.equals(copy, sm), "in-place softmax");
      copy = x.clone();
      K.logSoftmaxRows(copy, copy, rows, cols);
      assertTrue(Arrays.equals(copy, lsm), "in-place log-softmax");
    }
  }

  /**
   * The sparse cross-entropy gradient takes a row's log-sum-exp from its loss when that is
   * finite and below the limit, and otherwise computes the row from its logits: a loss given
   * log 2 too high halves the row's softmax, while a row far from zero, or one whose label logit
   * is -inf, gives the same gradient whatever its loss.
   */
  @Test
  void sparseCrossEntropyGradientTakesEachRowsLogSumExpFromItsLoss() {
    float inf = Float.NEGATIVE_INFINITY;
    float[] x = {
        0.5f, -1f, 2f, 0f, 1f, // an ordinary row
        0.5f, -1f, 2f, 0f, 1f, // the same, its loss raised by log 2
        100.5f, 99f, 102f, 100f, 101f, // log-sum-exp past the limit, its loss raised by log 2
        0.5f, inf, 2f, 0f, 1f}; // a label logit of -inf: the loss is +inf
    int rows = 4;
    int cols = 5;
    int[] labels = {2, 2, 2, 1};
    float[] loss = new float[rows];
    K.sparseSoftmaxCrossEntropyRows(x, labels, loss, rows, cols);
    assertEquals(Float.POSITIVE_INFINITY, loss[3]);
    loss[1] += (float) Math.log(2);
    loss[2] += (float) Math.log(2);
    float[] scale = {1f, 1f, 0.5f, 2f};
    float[] grad = new float[rows * cols];
    K.sparseSoftmaxCrossEntropyGradRows(x, labels, loss, scale, grad, rows, cols);
    for (int r = 0; r < rows; r++) {
      double lse = referenceLogSumExp(x, r * cols, cols);
      for (int j = 0; j < cols; j++) {
        double softmax = Math.exp(x[r * cols + j] - lse) * (r == 1 ? 0.5 : 1);
        double expected = (softmax - (j == labels[r] ? 1 : 0)) * scale[r];
        assertEquals(expected, grad[r * cols + j], 1e-6, "row " + r + ", column " + j);
      }
    }
  }

  @Test
  void sparseCrossEntropyNamesBadLabel() {
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> K.sparseSoftmaxCrossEntropyRows(new float[6], new int[] {1, 3}, new float[2], 2, 3));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("label 3"),
        e.getMessage());
    assertThrows(IndexOutOfBoundsException.class,
        () -> K.sparseSoftmaxCrossEntropyRows(new float[6], new int[] {-1, 0}, new float[2], 2, 3));
    IndexOutOfBoundsException g = assertThrows(IndexOutOfBoundsException.class,
        () -> K.sparseSoftmaxCrossEntropyGradRows(new float[6], new int[] {1, 3}, new float[2],
            new float[2], new float[6], 2, 3));
    assertTrue(g.getMessage().contains("row 1") && g.getMessage().contains("label 3"),
        g.getMessage());
  }

  @Test
  void reductionsMatchReference() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int[] s : new int[][] {{1, 1, 1}, {2, 3, 4}, {5, 100, 1}, {3, 17, 33}, {64, 300, 5},
        {1, 70000, 1}, {1, 151, 3}, {2, 7, 7}}) {
      int outer = s[0];
      int axis = s[1];
      int inner = s[2];
      float[] x = random(rnd, outer * axis * inner, 10);
      float[] sum = new float[outer * inner];
      float[] max = new float[outer * inner];
      K.reduceSum(x, sum, outer, axis, inner);
      K.reduceMax(x, max, outer, axis, inner);
      for (int o = 0; o < outer; o++) {
        for (int i = 0; i < inner; i++) {
          double es = 0;
          float em = Float.NEGATIVE_INFINITY;
          for (int a = 0; a < axis; a++) {
            float v = x[(o * axis + a) * inner + i];
            es += v;
            em = Math.max(em, v);
          }
          assertEquals(es, sum[o * inner + i], 1e-5 * axis * 10, "sum " + o + "," + i);
          assertEquals(em, max[o * inner + i], "max " + o + "," + i);
        }
      }
    }
  }

  @Test
  void gatherAndScatterAdd() {
    float[] table = {0, 1, 10, 11, 20, 21};
    float[] out = new float[6];
    K.gather(table, 3, 2, new int[] {2, 0, 2}, 3, out);
    assertTrue(Arrays.equals(new float[] {20, 21, 0, 1, 20, 21}, out), Arrays.toString(out));
    float[] grad = new float[6];
    K.scatterAdd(new int[] {2, 0, 2}, 3, new float[] {1, 2, 3, 4, 5, 6}, 2, grad, 3);
    assertTrue(Arrays.equals(new float[] {3, 4, 0, 0, 6, 8}, grad), Arrays.toString(grad));
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> K.gather(table, 3, 2, new int[] {0, 3}, 2, out));
    assertTrue(e.getMessage().contains("position 1") && e.getMessage().contains("index 3"),
        e.getMessage());
    float[] untouched = new float[6];
    assertThrows(IndexOutOfBoundsException.class,
        () -> K.scatterAdd(new int[] {0, -2}, 2, new float[] {1, 1, 1, 1}, 2, untouched, 3));
    assertTrue(Arrays.equals(new float[6], untouched), "no partial update");
  }

  @Test
  void optimizerUpdatesAndElementwise() {
    float[] w = {1, 2, 3};
    K.sgdUpdate(w, new float[] {1, -1, 0.5f}, 0.1f, 3);
    assertTrue(Arrays.equals(new float[] {0.9f, 2.1f, 2.95f}, w), Arrays.toString(w));

    SplittableRandom rnd = new SplittableRandom(11);
    int n = 37;
    float[] weights = random(rnd, n, 1);
    float[] m = new float[n];
    float[] v = new float[n];
    double[] wd = new double[n];
    double[] md = new double[n];
    double[] vd = new double[n];
    for (int i = 0; i < n; i++) {
      wd[i] = weights[i];
    }
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-7;
    for (int step = 1; step <= 5; step++) {
      float[] g = random(rnd, n, 1);
      K.adamUpdate(weights, g, m, v, (float) lr, (float) b1, (float) b2, (float) eps, step, n);
      for (int i = 0; i < n; i++) {
        md[i] = b1 * md[i] + (1 - b1) * g[i];
        vd[i] = b2 * vd[i] + (1 - b2) * g[i] * g[i];
        double mh = md[i] / (1 - Math.pow(b1, step));
        double vh = vd[i] / (1 - Math.pow(b2, step));
        wd[i] -= lr * mh / (Math.sqrt(vh) + eps);
      }
    }
    for (int i = 0; i < n; i++) {
      assertEquals(wd[i], weights[i], 1e-5, "adam w " + i);
      assertEquals(md[i], m[i], 1e-6, "adam m " + i);
      assertEquals(vd[i], v[i], 1e-6, "adam v " + i);
    }
    assertThrows(IllegalArgumentException.class,
        () -> K.adamUpdate(w, w, w, w, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 3));

    float[] x = random(rnd, 1001, 3);
    double ss = 0;
    for (float f : x) {
      ss += (double) f * f;
    }
    assertEquals(ss, K.sumOfSquares(x, x.length), 1e-9 * ss);
    assertEquals(ss - (double) x[1000] * x[1000], K.sumOfSquares(x, 1000), 1e-9 * ss);
    // Past the parallel threshold, split over 1, 2 and 3 threads: a large last element shows a
    // range that stops short.
    float[] big = random(rnd, ScalarKernels.PARALLEL_SUM + 4, 3); // 2 past a multiple of 6
    big[big.length - 1] = 1e3f;
    double bigSum = 0;
    for (float f : big) {
      bigSum += (double) f * f;
    }
    for (int threads = 1; threads <= 3; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        assertEquals(bigSum, new ScalarKernels(pool).sumOfSquares(big, big.length), 1e-9 * bigSum,
            threads + " threads");
      }
    }
    float[] y = x.clone();
    K.scale(y, -2f, 1000);
    for (int i = 0; i < 1000; i++) {
      assertEquals(-2f * x[i], y[i]);
    }
    assertEquals(x[1000], y[1000], "scale stops at n");
  }

  @Test
  void providerFallsBackToScalarWithoutVectorModule() {
    try (ThreadPool pool = new ThreadPool(1)) {
      Kernels k = KernelProvider.create(pool);
      // runtime's own tests run without --add-modules jdk.incubator.vector and without
      // graft-runtime-simd on the class path
      assertEquals("scalar", k.description());
      assertEquals("scalar", KernelProvider.scalar(pool).description());
    }
  }
}
