package dev.graft.runtime.simd;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Warmed-up kernel calls allocate nothing on the calling thread (zero garbage per training step),
 * for both kernel libraries, on one thread and on a pool of two.
 *
 * <p>Bytes are counted with {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} over
 * rounds of calls; a kernel passes when some round (after warm-up) averages under
 * {@value #MAX_BYTES_PER_CALL} bytes a call within a few seconds. Taking the best round keeps JIT compilation and
 * deoptimization out of the figure, while an allocation the kernel makes on every call shows in
 * every round. On the pool, what {@link ThreadPool#parallelFor} itself allocates per call is
 * measured first and allowed for, so that the test is about the kernels.
 */
class KernelAllocationTest {
  private static final long MAX_BYTES_PER_CALL = 16;
  private static final int MIN_ROUNDS = 10;
  private static final long PATIENCE_NANOS = 8_000_000_000L;
  private static final int CALLS_PER_ROUND = 40;
  private static final IntConsumer NOTHING = i -> { };

  private static final ThreadPool POOL1 = new ThreadPool(1);
  private static final ThreadPool POOL2 = new ThreadPool(2);
  private static final com.sun.management.ThreadMXBean MX =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @AfterAll
  static void closePools() {
    POOL1.close();
    POOL2.close();
  }

  /**
   * The best per-call average over rounds of calls: rounds go on until one comes in under
   * {@code goal} (after the first, which may include this thread's first scratch arrays), or
   * until {@link #PATIENCE_NANOS} have passed, since C2 may take a while to compile a small
   * kernel when the compile queue is long.
   */
  private static double bytesPerCall(Runnable op, double goal) {
    long thread = Thread.currentThread().getId();
    long start = System.nanoTime();
    double best = Double.MAX_VALUE;
    for (int round = 0; round < MIN_ROUNDS || System.nanoTime() - start < PATIENCE_NANOS;
        round++) {
      long before = MX.getThreadAllocatedBytes(thread);
      for (int i = 0; i < CALLS_PER_ROUND; i++) {
        op.run();
      }
      double perCall = (MX.getThreadAllocatedBytes(thread) - before) / (double) CALLS_PER_ROUND;
      if (round > 0) {
        best = Math.min(best, perCall);
        if (best < goal) {
          break;
        }
      }
    }
    return best;
  }

  /** What one parallelFor on {@code pool} allocates on the calling thread, kernels aside. */
  private static double poolBytesPerCall(ThreadPool pool) {
    return bytesPerCall(() -> pool.parallelFor(pool.threads(), NOTHING), Double.MAX_VALUE);
  }

  private static void assertAllocationFree(String what, double poolBytes, Runnable op) {
    double limit = MAX_BYTES_PER_CALL + poolBytes;
    double perCall = bytesPerCall(op, limit);
    assertTrue(perCall < limit, what + " allocated " + perCall + " bytes per call (limit " + limit
        + ", of which " + poolBytes + " for ThreadPool.parallelFor itself)");
  }

  private static Kernels[] kernels(ThreadPool pool) {
    return new Kernels[] {new ScalarKernels(pool), new VectorKernels(pool)};
  }

  @Test
  void warmedUpGemmDoesNotAllocate() {
    assumeTrue(MX.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    MX.setThreadAllocatedMemoryEnabled(true);
    checkGemms();
  }

  /** The GEMM paths of both libraries on one thread and on a pool of two. */
  private static void checkGemms() {
    // Direct path (tiny), packed single-thread path, a single row, a single row whose columns
    // VectorKernels splits on a pool of two, and m·n·k = 192³ ≥ 2²² so that both libraries run
    // row blocks on a pool of two; k·n < 2¹⁷, so one parallelFor a call.
    // The Iris shapes of a softmax regression, 150 × 4 · 4 × 3 and 4 × 150 · 150 × 3, take the
    // narrow-B path of the Vector API library. 136 × 2000 · 2000 × 17 packs an A of over 1 MB
    // with a small C: the Vector API library goes k block by k block, and on a pool of two
    // splits the k blocks, the second thread's into a partial product kept for reuse.
    int[][] shapes = {{3, 5, 7}, {40, 72, 90}, {1, 300, 129}, {1, 800, 200}, {192, 192, 192},
        {150, 3, 4}, {4, 3, 150}, {136, 17, 2000}};
    for (ThreadPool pool : new ThreadPool[] {POOL1, POOL2}) {
      double poolBytes = pool.threads() > 1 ? poolBytesPerCall(pool) : 0;
      for (Kernels k : kernels(pool)) {
        for (int[] s : shapes) {
          int m = s[0];
          int n = s[1];
          int depth = s[2];
          float[] a = new float[m * depth];
          float[] b = new float[depth * n];
          float[] c = new float[m * n];
          for (int layout = 0; layout < 4; layout++) {
            boolean ta = (layout & 1) != 0;
            boolean tb = (layout & 2) != 0;
            boolean acc = layout == 3;
            assertAllocationFree(k.description() + " gemm m=" + m + " n=" + n + " k=" + depth
                    + " ta=" + ta + " tb=" + tb + " threads=" + pool.threads(), poolBytes,
                () -> k.gemm(ta, tb, m, n, depth, a, 0, b, 0, c, 0, acc));
          }
        }
      }
    }
  }

  /** A kernel call for the allocation checks; {@code pooled} when it may run on the pool. */
  private record Call(String name, boolean pooled, Runnable op) {}

  /** Calls of every row-wise, reduction and update kernel of {@code k}, on arrays of their own. */
  private static List<Call> rowKernelCalls(Kernels k) {
    // 8 × 10000 crosses the parallel threshold of the row-wise kernels.
    int rows = 8;
    int cols = 10000;
    float[] x = new float[rows * cols];
    float[] y = new float[rows * cols];
    float[] big = new float[1 << 19]; // past the parallel threshold of sums
    float[] labels = new float[rows * cols];
    float[] loss = new float[rows];
    int[] sparse = new int[rows];
    float[] moment1 = new float[1001];
    float[] moment2 = new float[1001];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
      labels[i] = 1f / cols;
    }
    // Rows narrower than a vector (3 classes) take the staged-block paths; 26000 of them cross
    // the parallel threshold. Their column sums (a bias gradient) gather rows.
    int narrow = 3;
    int narrowRows = 26000;
    int[] narrowLabels = new int[narrowRows];
    float[] narrowLoss = new float[narrowRows];
    return List.of(
        new Call("softmaxRows", true, () -> k.softmaxRows(x, y, rows, cols)),
        new Call("logSoftmaxRows", true, () -> k.logSoftmaxRows(x, y, rows, cols)),
        new Call("softmaxCrossEntropyRows", true, () -> k.softmaxCrossEntropyRows(x, labels, loss, rows, cols)),
        new Call("sparseSoftmaxCrossEntropyRows", true, () -> k.sparseSoftmaxCrossEntropyRows(x, sparse, loss, rows, cols)),
        new Call("softmaxCrossEntropyGradRows", true, () -> k.softmaxCrossEntropyGradRows(x, labels, loss, y, rows, cols)),
        new Call("sparseSoftmaxCrossEntropyGradRows", true,
            () -> k.sparseSoftmaxCrossEntropyGradRows(x, sparse, loss, loss, y, rows, cols)),
        new Call("reduceSum", true, () -> k.reduceSum(x, y, rows, 100, 100)),
        new Call("reduceSum of one row", true, () -> k.reduceSum(x, y, 1, rows, cols)),
        new Call("reduceMax", true, () -> k.reduceMax(x, y, rows, 100, 100)),
        new Call("gather", false, () -> k.gather(x, 100, 50, sparse, rows, y)),
        new Call("scatterAdd", false, () -> k.scatterAdd(sparse, rows, x, 50, y, 100)),
        new Call("adamUpdate", false, () -> k.adamUpdate(y, x, moment1, moment2, 1e-3f, 0.9f, 0.999f, 1e-8f, 3, 1001)),
        new Call("sgdUpdate", false, () -> k.sgdUpdate(y, x, 1e-3f, 1001)),
        new Call("sgdUpdate on the pool", true, () -> k.sgdUpdate(y, x, 1e-3f, rows * cols)),
        new Call("scale", false, () -> k.scale(y, 1f, 1001)),
        new Call("sumOfSquares", false, () -> k.sumOfSquares(x, 3001)),
        new Call("sumOfSquares on the pool", true, () -> k.sumOfSquares(big, big.length)),
        new Call("softmaxRows, 150 x 3", false, () -> k.softmaxRows(x, y, 150, narrow)),
        new Call("reduceSum of 150 x 3 over rows", false, () -> k.reduceSum(x, y, 1, 150, narrow)),
        new Call("reduceSum of 26000 x 3 over rows", false,
            () -> k.reduceSum(x, y, 1, narrowRows, narrow)),
        new Call("softmaxCrossEntropyRows, 150 x 3", false,
            () -> k.softmaxCrossEntropyRows(x, labels, narrowLoss, 150, narrow)),
        new Call("softmaxCrossEntropyGradRows, 150 x 3", false,
            () -> k.softmaxCrossEntropyGradRows(x, labels, narrowLoss, y, 150, narrow)),
        new Call("logSoftmaxRows, 26000 x 3", true, () -> k.logSoftmaxRows(x, y, narrowRows, narrow)),
        new Call("sparseSoftmaxCrossEntropyRows, 26000 x 3", true,
            () -> k.sparseSoftmaxCrossEntropyRows(x, narrowLabels, narrowLoss, narrowRows, narrow)),
        new Call("sparseSoftmaxCrossEntropyGradRows, 26000 x 3", true,
            () -> k.sparseSoftmaxCrossEntropyGradRows(x, narrowLabels, narrowLoss, narrowLoss, y, narrowRows,
                narrow)));
  }

  @Test
  void warmedUpRowKernelsDoNotAllocate() {
    assumeTrue(MX.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    MX.setThreadAllocatedMemoryEnabled(true);
    checkRowKernels(false);
  }

  /** The row kernels of both libraries, or of VectorKernels only, on one thread and on two. */
  private static void checkRowKernels(boolean vectorOnly) {
    for (ThreadPool pool : new ThreadPool[] {POOL1, POOL2}) {
      double poolBytes = pool.threads() > 1 ? poolBytesPerCall(pool) : 0;
      Kernels[] libraries = vectorOnly ? new Kernels[] {new VectorKernels(pool)} : kernels(pool);
      for (Kernels k : libraries) {
        for (Call c : rowKernelCalls(k)) {
          assertAllocationFree(k.description() + " threads=" + pool.threads() + " " + c.name(),
              c.pooled() ? poolBytes : 0, c.op());
        }
      }
    }
  }

  /**
   * Allocation checks in a JVM of their own ({@link #main}), where the JIT profiles only what
   * that check has run. Two orders, each of which once left a Vector API row kernel boxing its
   * vectors for good on JDK 17 while the tests above, after other test classes, passed:
   *
   * <ul>
   *   <li>{@code row-kernels}: the Vector API row kernels alone. With one row length that is a
   *       multiple of the vectors' unrolling, C2 kept a vector box a row.
   *   <li>{@code gemm-first}: the GEMM checks, then both libraries' row kernels. With two or four
   *       vector accumulators in a reduction loop, logSoftmaxRows or softmaxCrossEntropyGradRows
   *       then allocated every vector of the row (0.4–1.1 MB a call of 8 × 10,000) in 5 of 5
   *       runs; with one accumulator, 0 of 8.
   * </ul>
   */
  @ParameterizedTest
  @ValueSource(strings = {"row-kernels", "gemm-first"})
  void kernelsDoNotAllocateInAFreshJvm(String order) throws Exception {
    assumeTrue(MX.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    String javaCommand = ProcessHandle.current().info().command().orElse(null);
    assumeTrue(javaCommand != null, "cannot tell which java runs the tests");
    Process p = new ProcessBuilder(javaCommand, "--add-modules", "jdk.incubator.vector", "-cp",
        System.getProperty("java.class.path"), KernelAllocationTest.class.getName(), order)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, java.util.concurrent.TimeUnit.SECONDS), "the child JVM did not finish");
    assertTrue(p.exitValue() == 0 && out.contains("checked " + order), "the child JVM failed:\n" + out);
  }

  /**
   * The body of {@link #kernelsDoNotAllocateInAFreshJvm}: the checks of {@code args[0]}'s order,
   * stopping at the first kernel that allocates (a non-zero exit).
   */
  public static void main(String[] args) {
    MX.setThreadAllocatedMemoryEnabled(true);
    switch (args[0]) {
      case "row-kernels" -> checkRowKernels(true);
      case "gemm-first" -> {
        checkGemms();
        checkRowKernels(false);
      }
      default -> throw new IllegalArgumentException("unknown order " + args[0]);
    }
    System.out.println("checked " + args[0]);
    POOL1.close();
    POOL2.close();
  }
}
