package dev.graft.runtime.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.kernel.KernelProvider;
import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.PreparedMatrix;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** VectorKernels against ScalarKernels, on sizes around and between vector widths. */
class VectorKernelsTest {
  private static final int[] SIZES = {1, 3, 17, 33, 65, 100, 257};
  private static final ThreadPool POOL1 = new ThreadPool(1);
  private static final ThreadPool POOL2 = new ThreadPool(2);
  private static final Kernels SCALAR = new ScalarKernels(POOL1);
  private static final Kernels SIMD1 = new VectorKernels(POOL1);
  private static final Kernels SIMD2 = new VectorKernels(POOL2);
  /** The scalar library on a pool of two, for the epilogue contract (SCALAR runs on one thread). */
  private static final Kernels SCALAR2 = new ScalarKernels(POOL2);

  @AfterAll
  static void closePools() {
    POOL1.close();
    POOL2.close();
  }

  private static float[] random(SplittableRandom rnd, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return x;
  }

  /** Relative closeness: |e - a| <= tol * max(1, |e|). */
  private static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      double a = actual[i];
      if (Double.isNaN(e) || Double.isInfinite(e)) {
        assertEquals(e, a, what + " at " + i);
        continue;
      }
      assertTrue(Math.abs(e - a) <= tol * Math.max(1, Math.abs(e)),
          what + " at " + i + ": expected " + e + " but was " + a);
    }
  }

  static Stream<Arguments> gemmCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int layout = 0; layout < 4; layout++) {
      for (int m : SIZES) {
        for (int n : new int[] {1, 17, 65, 257}) {
          cases.add(Arguments.of(layout, m, n, m == 257 ? 3 : 33));
        }
      }
      cases.add(Arguments.of(layout, 100, 100, 257));
      cases.add(Arguments.of(layout, 65, 33, 600));
      cases.add(Arguments.of(layout, 130, 200, 300));
      cases.add(Arguments.of(layout, 8, 7, 1));
      // B narrower than a vector (a few classes), with k a multiple of 4 and not: the Iris
      // shapes of a softmax regression's forward product and weight gradient, and MNIST's; a
      // shallow product (columns across rows) with rows past the last whole vector, at the
      // deepest and widest it takes, and one deeper and one wider.
      cases.add(Arguments.of(layout, 150, 3, 4));
      cases.add(Arguments.of(layout, 37, 4, 8));
      cases.add(Arguments.of(layout, 37, 4, 9));
      cases.add(Arguments.of(layout, 37, 5, 8));
      cases.add(Arguments.of(layout, 4, 3, 150));
      cases.add(Arguments.of(layout, 7, 5, 2));
      cases.add(Arguments.of(layout, 100, 10, 784));
      // B narrower than a vector past the small-product size: direct on one thread and packed
      // on the pool of two (600 × 400 floats of A), and packed on both (A past NARROW_DIRECT_A).
      cases.add(Arguments.of(layout, 600, 7, 400));
      cases.add(Arguments.of(layout, 700, 10, 400));
      // Few rows and many columns (m·n·k above the parallel threshold): the parallel path
      // splits column panels instead of rows.
      cases.add(Arguments.of(layout, 8, 2000, 300));
      cases.add(Arguments.of(layout, 12, 1100, 400));
      // Rows that are not a whole number of micro-tile groups, several k blocks, narrow panel,
      // parallel over rows.
      cases.add(Arguments.of(layout, 253, 40, 520));
      // More rows than one packed A block (about 256) on one thread, over several k blocks.
      cases.add(Arguments.of(layout, 300, 70, 300));
      // A too large to stream B past (over 1 MB packed) and a small C: k blocks outer, with
      // several row blocks, a narrow last panel and a last k block of 8 steps; on the pool the
      // k blocks split between the threads (1 and 2 of 3; 2 and 3 of 5).
      cases.add(Arguments.of(layout, 600, 70, 520));
      cases.add(Arguments.of(layout, 300, 40, 1100));
      // A too large to stream B past, in one k block: B packed whole first.
      cases.add(Arguments.of(layout, 1100, 40, 250));
      // Few rows times a large B (generation's output layer): the direct path, with k not a
      // multiple of the eight rows of B a pass adds.
      cases.add(Arguments.of(layout, 1, 5000, 210));
      cases.add(Arguments.of(layout, 3, 4099, 257));
      // A recurrent layer's generation step, and the fewest columns the pool of two splits (65:
      // ranges of 32 and 33 columns), both large enough to split.
      cases.add(Arguments.of(layout, 1, 800, 200));
      cases.add(Arguments.of(layout, 2, 65, 1100));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "layout={0} m={1} n={2} k={3}")
  @MethodSource("gemmCases")
  void gemmAgreesWithScalar(int layout, int m, int n, int k) {
    boolean ta = (layout & 1) != 0;
    boolean tb = (layout & 2) != 0;
    SplittableRandom rnd = new SplittableRandom(31L * m + 7L * n + k + layout);
    int ao = 2;
    int bo = 3;
    int co = 5;
    float[] a = random(rnd, ao + m * k + 1, 1);
    float[] b = random(rnd, bo + k * n + 1, 1);
    float[] c0 = random(rnd, co + m * n + 1, 1);
    for (boolean acc : new boolean[] {false, true}) {
      float[] expected = c0.clone();
      SCALAR.gemm(ta, tb, m, n, k, a, ao, b, bo, expected, co, acc);
      for (Kernels simd : new Kernels[] {SIMD1, SIMD2}) {
        float[] actual = c0.clone();
        simd.gemm(ta, tb, m, n, k, a, ao, b, bo, actual, co, acc);
        assertClose(expected, actual, 1e-5 * Math.max(4, k),
            "ta=" + ta + " tb=" + tb + " acc=" + acc + (simd == SIMD2 ? " 2 threads" : ""));
      }
    }
  }

  /**
   * A prepared B gives the products of the plain GEMM, in every library, and a prepared matrix
   * reused for another B of another size is refilled (the generated loops reuse one per weight).
   */
  @ParameterizedTest(name = "layout={0} m={1} n={2} k={3}")
  @MethodSource("gemmCases")
  void preparedGemmAgreesWithPlainGemm(int layout, int m, int n, int k) {
    boolean ta = (layout & 1) != 0;
    boolean tb = (layout & 2) != 0;
    SplittableRandom rnd = new SplittableRandom(17L * m + 5L * n + k + layout);
    float[] a = random(rnd, 2 + m * k, 1);
    float[] b = random(rnd, 3 + k * n, 1);
    float[] other = random(rnd, 9, 1);
    float[] c0 = random(rnd, 5 + m * n, 1);
    for (Kernels kernels : new Kernels[] {SCALAR, SIMD1, SIMD2}) {
      PreparedMatrix stale = kernels.prepareB(false, 3, 3, other, 0, null);
      PreparedMatrix prepared = kernels.prepareB(tb, n, k, b, 3, stale);
      for (boolean acc : new boolean[] {false, true}) {
        float[] expected = c0.clone();
        kernels.gemm(ta, tb, m, n, k, a, 2, b, 3, expected, 5, acc);
        float[] actual = c0.clone();
        kernels.gemm(ta, m, a, 2, prepared, actual, 5, acc);
        assertClose(expected, actual, 1e-6 * Math.max(4, k), kernels.description() + " ta=" + ta + " tb=" + tb
            + " acc=" + acc);
      }
    }
  }

  /**
   * The epilogue contract in every library and on every path ({@link #gemmCases}, k = 0, plain
   * and prepared B): each row of C is handed over exactly once, already holding the product's
   * final value, and what the epilogue writes there is what C holds after the call.
   */
  @ParameterizedTest(name = "layout={0} m={1} n={2} k={3}")
  @MethodSource("gemmCases")
  void epilogueSeesEachFinishedRowOnce(int layout, int m, int n, int k) {
    boolean ta = (layout & 1) != 0;
    boolean tb = (layout & 2) != 0;
    SplittableRandom rnd = new SplittableRandom(13L * m + 3L * n + k + layout);
    float[] a = random(rnd, 2 + m * k, 1);
    float[] b = random(rnd, 3 + k * n, 1);
    float[] bias = random(rnd, n, 1);
    float[] c0 = random(rnd, 5 + m * n, 1);
    for (Kernels kernels : new Kernels[] {SCALAR, SCALAR2, SIMD1, SIMD2}) {
      for (boolean acc : new boolean[] {false, true}) {
        for (int depth : new int[] {k, 0}) {
          for (boolean prepare : new boolean[] {false, true}) {
            String what = kernels.description() + (kernels == SCALAR || kernels == SIMD1 ? "" : " 2 threads")
                + " ta=" + ta + " tb=" + tb + " acc=" + acc + " k=" + depth + (prepare ? " prepared" : "");
            float[] product = c0.clone();
            naiveGemm(ta, tb, m, n, depth, a, 2, b, 3, product, 5, acc);
            float[] actual = c0.clone();
            BiasTanh epilogue = new BiasTanh(actual, 5, n, bias, product, 1e-5 * Math.max(4, depth), what);
            if (prepare) {
              kernels.gemm(ta, m, a, 2, kernels.prepareB(tb, n, depth, b, 3, null), actual, 5, acc, epilogue);
            } else {
              kernels.gemm(ta, tb, m, n, depth, a, 2, b, 3, actual, 5, acc, epilogue);
            }
            float[] expected = product.clone();
            for (int i = 0; i < m; i++) {
              for (int j = 0; j < n; j++) {
                expected[5 + i * n + j] = (float) Math.tanh(product[5 + i * n + j] + bias[j]);
              }
            }
            for (int i = 0; i < m; i++) {
              assertEquals(1, epilogue.visits.get(i), what + ": visits of row " + i);
            }
            assertClose(expected, actual, 1e-5 * Math.max(4, depth), what);
          }
        }
      }
    }
  }

  /** C (+)= op(A) · op(B) in double, the epilogue test's reference. */
  private static void naiveGemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao,
      float[] b, int bo, float[] c, int co, boolean acc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = acc ? c[co + i * n + j] : 0;
        for (int p = 0; p < k; p++) {
          s += (double) a[ao + (ta ? p * m + i : i * k + p)] * b[bo + (tb ? j * k + p : p * n + j)];
        }
        c[co + i * n + j] = (float) s;
      }
    }
  }

  /**
   * An epilogue {@code c = tanh(c + bias)} that counts the visits of each row and checks that the
   * row already holds its final product.
   */
  private static final class BiasTanh implements Kernels.RowWork {
    final java.util.concurrent.atomic.AtomicIntegerArray visits;
    private final float[] c;
    private final int cOffset;
    private final int n;
    private final float[] bias;
    private final float[] product;
    private final double tolerance;
    private final String what;

    BiasTanh(float[] c, int cOffset, int n, float[] bias, float[] product, double tolerance, String what) {
      this.visits = new java.util.concurrent.atomic.AtomicIntegerArray(Math.max(0, (c.length - cOffset) / Math.max(1, n)));
      this.c = c;
      this.cOffset = cOffset;
      this.n = n;
      this.bias = bias;
      this.product = product;
      this.tolerance = tolerance;
      this.what = what;
    }

    @Override
    public void run(int row0, int row1) {
      assertTrue(0 <= row0 && row0 < row1, what + ": rows [" + row0 + ", " + row1 + ")");
      for (int i = row0; i < row1; i++) {
        visits.incrementAndGet(i);
        for (int j = 0; j < n; j++) {
          int o = cOffset + i * n + j;
          double e = product[o];
          assertTrue(Math.abs(e - c[o]) <= tolerance * Math.max(1, Math.abs(e)),
              what + ": row " + i + " handed over before it was final, at column " + j);
          c[o] = (float) Math.tanh(c[o] + bias[j]);
        }
      }
    }
  }

  @Test
  void gemmKnownProduct() {
    // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; also through the packed path
    float[] c = new float[4];
    SIMD1.gemm(false, false, 2, 2, 2, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0,
        c, 0, false);
    assertArrayEquals(new float[] {19, 22, 43, 50}, c);
    int n = 64;
    float[] eye = new float[n * n];
    float[] x = random(new SplittableRandom(1), n * n, 1);
    for (int i = 0; i < n; i++) {
      eye[i * n + i] = 1;
    }
    float[] out = new float[n * n];
    SIMD2.gemm(false, false, n, n, n, x, 0, eye, 0, out, 0, false);
    assertArrayEquals(x, out);
    SIMD2.gemm(false, true, n, n, n, eye, 0, x, 0, out, 0, false);
    float[] xt = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        xt[j * n + i] = x[i * n + j];
      }
    }
    assertArrayEquals(xt, out);
  }

  @Test
  void gemmEdgeSizesAndBounds() {
    float[] c = {9, 9, 9, 9};
    SIMD1.gemm(false, false, 2, 2, 0, new float[0], 0, new float[0], 0, c, 0, false);
    assertArrayEquals(new float[4], c);
    c = new float[] {9, 9, 9, 9};
    SIMD1.gemm(false, false, 2, 2, 0, new float[0], 0, new float[0], 0, c, 0, true);
    assertArrayEquals(new float[] {9, 9, 9, 9}, c);
    assertThrows(IndexOutOfBoundsException.class, () -> SIMD1.gemm(false, false, 2, 2, 2,
        new float[3], 0, new float[4], 0, new float[4], 0, false));
  }

  /**
   * Rows × columns for the softmax family: rows narrower than a vector (taken in blocks of rows
   * whose exps run as vectors: one row, a block and a part, many blocks split across two threads
   * at 30001 × 3, and one column short of a 256- and a 512-bit vector), and rows of one or more
   * vectors.
   */
  static Stream<Arguments> softmaxShapes() {
    return Stream.of(Arguments.of(9, 1), Arguments.of(150, 2), Arguments.of(150, 3),
        Arguments.of(1, 3), Arguments.of(7, 3), Arguments.of(41, 5), Arguments.of(33, 7),
        Arguments.of(300, 15), Arguments.of(300, 16), Arguments.of(30001, 3),
        Arguments.of(9, 17), Arguments.of(9, 33), Arguments.of(9, 65), Arguments.of(9, 100),
        Arguments.of(9, 257), Arguments.of(20, 10000));
  }

  @ParameterizedTest
  @MethodSource("softmaxShapes")
  void softmaxFamilyAgreesWithScalar(int rows, int cols) {
    SplittableRandom rnd = new SplittableRandom(cols);
    float[] x = random(rnd, rows * cols, 20);
    x[0] = 300f;
    x[x.length - 1] = Float.NEGATIVE_INFINITY; // a masked logit
    if (rows >= 3 && cols >= 2 * VectorKernels.lanes()) {
      // Rows whose log-sum-exp cannot be shifted by their first vector's max: a logit 250 past
      // it, and a first vector all -inf.
      x[2 * cols - 1] = 250f;
      java.util.Arrays.fill(x, 2 * cols, 2 * cols + VectorKernels.lanes(), Float.NEGATIVE_INFINITY);
    }
    float[] labels = random(rnd, rows * cols, 1);
    int[] sparse = new int[rows];
    for (int r = 0; r < rows; r++) {
      sparse[r] = rnd.nextInt(cols);
    }
    for (Kernels simd : new Kernels[] {SIMD1, SIMD2}) {
      float[] e = new float[x.length];
      float[] a = new float[x.length];
      SCALAR.softmaxRows(x, e, rows, cols);
      simd.softmaxRows(x, a, rows, cols);
      assertClose(e, a, 1e-5, "softmax");
      float[] inPlace = x.clone();
      simd.softmaxRows(inPlace, inPlace, rows, cols);
      assertClose(e, inPlace, 1e-5, "softmax in place");

      SCALAR.logSoftmaxRows(x, e, rows, cols);
      simd.logSoftmaxRows(x, a, rows, cols);
      assertClose(e, a, 1e-5, "log-softmax");
      inPlace = x.clone();
      simd.logSoftmaxRows(inPlace, inPlace, rows, cols);
      assertClose(e, inPlace, 1e-5, "log-softmax in place");

      float[] le = new float[rows];
      float[] la = new float[rows];
      SCALAR.softmaxCrossEntropyRows(x, labels, le, rows, cols);
      simd.softmaxCrossEntropyRows(x, labels, la, rows, cols);
      assertClose(le, la, 1e-4, "cross-entropy");
      SCALAR.sparseSoftmaxCrossEntropyRows(x, sparse, le, rows, cols);
      simd.sparseSoftmaxCrossEntropyRows(x, sparse, la, rows, cols);
      assertClose(le, la, 1e-5, "sparse cross-entropy");

      float[] rowScale = random(rnd, rows, 2);
      SCALAR.sparseSoftmaxCrossEntropyGradRows(x, sparse, le, rowScale, e, rows, cols);
      simd.sparseSoftmaxCrossEntropyGradRows(x, sparse, le, rowScale, a, rows, cols);
      assertClose(e, a, 1e-5, "sparse cross-entropy gradient");
      if (cols >= VectorKernels.lanes()) {
        // Rows of a vector or more take each log-sum-exp from the loss, as the scalar kernels do
        // (ScalarKernelsTest checks those against a reference): a loss raised by log 2 halves the
        // exps of its row, unless the row is computed from its logits (row 0 here, whose 300
        // puts its log-sum-exp past the limit, and a last row with a -inf label logit).
        float[] raised = le.clone();
        for (int r = 0; r < rows; r += 2) {
          raised[r] += (float) Math.log(2);
        }
        SCALAR.sparseSoftmaxCrossEntropyGradRows(x, sparse, raised, rowScale, e, rows, cols);
        simd.sparseSoftmaxCrossEntropyGradRows(x, sparse, raised, rowScale, a, rows, cols);
        assertClose(e, a, 1e-5, "sparse cross-entropy gradient, losses raised by log 2");
      }
      SCALAR.softmaxCrossEntropyGradRows(x, labels, rowScale, e, rows, cols);
      simd.softmaxCrossEntropyGradRows(x, labels, rowScale, a, rows, cols);
      assertClose(e, a, 1e-5, "cross-entropy gradient");
    }
  }

  @Test
  void sparseCrossEntropyNamesBadLabel() {
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> SIMD1.sparseSoftmaxCrossEntropyRows(new float[6], new int[] {0, 5}, new float[2], 2,
            3));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("label 5"),
        e.getMessage());
  }

  @Test
  void reductionsAgreeWithScalar() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int outer : new int[] {1, 3, 65}) {
      for (int axis : SIZES) {
        // 3, 8, 10 and 15 columns: a column pattern that repeats every 3, 1, 5 and 15 vectors
        // of 16 lanes (fewColumnSumRange)
        for (int inner : new int[] {1, 3, 8, 10, 15, 17, 33}) {
          float[] x = random(rnd, outer * axis * inner, 10);
          for (Kernels simd : new Kernels[] {SIMD1, SIMD2}) {
            float[] e = new float[outer * inner];
            float[] a = new float[outer * inner];
            SCALAR.reduceSum(x, e, outer, axis, inner);
            simd.reduceSum(x, a, outer, axis, inner);
            assertClose(e, a, 1e-5 * axis, "sum " + outer + "x" + axis + "x" + inner);
            SCALAR.reduceMax(x, e, outer, axis, inner);
            simd.reduceMax(x, a, outer, axis, inner);
            assertArrayEquals(e, a, "max " + outer + "x" + axis + "x" + inner);
          }
        }
      }
    }
  }

  /** A size above the pool's threshold, so that the two-thread kernel splits the columns. */
  @Test
  void splitColumnSumsAgreeWithScalar() {
    SplittableRandom rnd = new SplittableRandom(21);
    int axis = 70;
    int inner = 1001; // 70,070 elements: past the threshold, and ranges that end mid-vector
    float[] x = random(rnd, axis * inner, 10);
    float[] e = new float[inner];
    float[] a = new float[inner];
    SCALAR.reduceSum(x, e, 1, axis, inner);
    SIMD2.reduceSum(x, a, 1, axis, inner);
    assertClose(e, a, 1e-5 * axis, "column sums");
  }

  @Test
  void gatherAndScatterAgreeWithScalar() {
    SplittableRandom rnd = new SplittableRandom(9);
    for (int width : SIZES) {
      int rows = 11;
      float[] table = random(rnd, rows * width, 1);
      int[] idx = new int[25];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = rnd.nextInt(rows);
      }
      float[] e = new float[idx.length * width];
      float[] a = new float[idx.length * width];
      SCALAR.gather(table, rows, width, idx, idx.length, e);
      SIMD1.gather(table, rows, width, idx, idx.length, a);
      assertArrayEquals(e, a);
      float[] te = table.clone();
      float[] ta = table.clone();
      SCALAR.scatterAdd(idx, idx.length, e, width, te, rows);
      SIMD1.scatterAdd(idx, idx.length, e, width, ta, rows);
      assertArrayEquals(te, ta);
    }
    IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class,
        () -> SIMD1.gather(new float[4], 2, 2, new int[] {1, 2}, 2, new float[4]));
    assertTrue(ex.getMessage().contains("position 1") && ex.getMessage().contains("index 2"),
        ex.getMessage());
    float[] untouched = new float[4];
    assertThrows(IndexOutOfBoundsException.class,
        () -> SIMD1.scatterAdd(new int[] {0, 7}, 2, new float[4], 2, untouched, 2));
    assertArrayEquals(new float[4], untouched);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 17, 33, 65, 100, 257, 5000, 70_001, 300_001})
  void elementwiseAgreesWithScalar(int n) {
    SplittableRandom rnd = new SplittableRandom(n * 13L);
    float[] w = random(rnd, n, 1);
    float[] g = random(rnd, n, 1);

    float[] we = w.clone();
    SCALAR.sgdUpdate(we, g, 0.05f, n);
    for (Kernels simd : new Kernels[] {SIMD1, SIMD2}) { // 70,001 splits on the pool of two
      float[] wa = w.clone();
      simd.sgdUpdate(wa, g, 0.05f, n);
      assertClose(we, wa, 1e-6, "sgd");
    }

    float[] me = new float[n];
    float[] ve = new float[n];
    float[] ma = new float[n];
    float[] va = new float[n];
    we = w.clone();
    float[] wa = w.clone();
    for (int step = 1; step <= 3; step++) {
      float[] grad = random(rnd, n, 1);
      SCALAR.adamUpdate(we, grad, me, ve, 0.01f, 0.9f, 0.999f, 1e-7f, step, n);
      SIMD1.adamUpdate(wa, grad, ma, va, 0.01f, 0.9f, 0.999f, 1e-7f, step, n);
    }
    assertClose(me, ma, 1e-5, "adam m");
    assertClose(ve, va, 1e-5, "adam v");
    assertClose(we, wa, 1e-5, "adam w");

    double se = SCALAR.sumOfSquares(w, n);
    double sa = SIMD1.sumOfSquares(w, n);
    assertEquals(se, sa, 1e-6 * se + 1e-12, "sumOfSquares");
    assertEquals(se, SIMD2.sumOfSquares(w, n), 1e-6 * se + 1e-12, "sumOfSquares, 2 threads");
    float[] xe = w.clone();
    float[] xa = w.clone();
    SCALAR.scale(xe, -1.5f, n);
    SIMD1.scale(xa, -1.5f, n);
    assertArrayEquals(xe, xa, "scale");
  }

  @Test
  void providerPicksVectorKernelsWhenModuleIsPresent() {
    Kernels k = KernelProvider.create(POOL1);
    if (Boolean.getBoolean("graft.expectScalar")
        || "false".equalsIgnoreCase(System.getProperty("graft.simd"))) {
      assertEquals("scalar", k.description());
    } else {
      assertTrue(k instanceof VectorKernels, k.description());
      assertEquals("Vector API, " + VectorKernels.lanes() + " float lanes", k.description());
    }
  }
}
