package dev.graft.runtime.simd;

import dev.graft.runtime.kernel.FloatMath;
import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.PreparedMatrix;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.Objects;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel library on the JDK Vector API ({@code jdk.incubator.vector}). It uses only the
 * parts that have been stable from JDK 17 to 25: {@code float[]} loads and stores, {@code fma},
 * lanewise arithmetic, {@code EXP}/{@code LOG}/{@code SQRT}, and {@code reduceLanes}. Vectors
 * only live in locals; every vector loop has a scalar tail.
 *
 * <p>Loaded by class name from {@code dev.graft.runtime.kernel.KernelProvider}; never reference
 * it directly from code that must run without {@code --add-modules jdk.incubator.vector}.
 *
 * <p>GEMM packs op(B) into panels of {@code 2·lanes} columns and op(A) into groups of MR rows,
 * and runs a 5×2-vector register-tiled micro-kernel over them (a broadcast element of A times a
 * vector of B, fused into ten accumulators; on JDKs after 17, 4×2, or 8×2 with 512-bit vectors,
 * see {@link #MR}). Both transposes are absorbed by the packing routines, so all four layouts
 * run the same micro-kernel. The order of the loops depends on which operand is small, so that
 * the large one is read once and its packed copy stays in cache: when all of A packs into
 * {@link #STREAM_A_BYTES}, A is packed once and B streams past it a few panels at a time
 * ({@link #streamB}; column panels on the pool); else when C is small and k deep, the product
 * goes k block by k block ({@link #depthOuter}; k blocks on the pool); else all of B is packed
 * first (on the pool when it is large) and row blocks pack their A ({@link #multiplyPacked}; row
 * blocks, or column panels when there are few rows, on the pool). Small products and single rows
 * take a direct path without packing. Packing buffers are per thread and reused across calls.
 *
 * <p>After warm-up no call allocates: scratch arrays are per thread and only grow, and the
 * bodies handed to the pool are per-thread objects reused across calls ({@link GemmTask},
 * {@link ScalarKernels#forRanges}) rather than capturing lambdas. Bounds checks, gather and the
 * scalar tails of the optimizer updates are {@link ScalarKernels}' own static helpers. Rows
 * shorter than one vector (a 3-class classifier's) are taken a block at a time, staged
 * column-major so that vectors run across rows ({@link #stage}). Ranges shorter than one vector
 * (one such row, a 3-element bias) run plain scalar code that creates no vector at all: C1 code,
 * and C2 code that did not inline a Vector API intrinsic, allocates an object for every vector,
 * and an end-to-end test of a 3-class model measured 512–608 bytes per call from the empty-loop
 * vectors of such rows ({@code FacadeIntoTest}).
 * Reductions (max, sums, dot products, the exps of a row) keep one vector accumulator and fold
 * it into a scalar as soon as their loop ends, before any other branch. Both rules come from
 * JDK 17's C2, which boxed vectors for good in some JVMs:
 *
 * <ul>
 *   <li>a vector live into a branch the profile had never seen taken (rows whose length is a
 *       multiple of 2·L, such as a 10,000-word vocabulary) cost one 48-byte box a row;
 *   <li>with two or four accumulators unrolled in one loop, a JVM that had run the GEMMs first
 *       compiled logSoftmaxRows or softmaxCrossEntropyGradRows so that every vector of the row was
 *       allocated, 0.4–1.1 MB a call of 8 × 10,000 rows, in 5 of 5 runs (0 of 8 with one
 *       accumulator; {@code KernelAllocationTest.kernelsDoNotAllocateInAFreshJvm}). The longer
 *       add chain did not measurably slow the softmax rows or the language model's step
 *       (jmh-benchmarks/README.md, "Seventh session").
 * </ul>
 */
public final class VectorKernels implements Kernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /**
   * Rows of the micro-kernel tile (8, 5 or 4; the tile is MR rows × two vectors). The limit is
   * C2's instruction scheduler, which hoists the k step's A broadcasts to the top of the loop
   * body: JDK 17 hoists up to three, so five rows (ten accumulators, two B vectors, three
   * broadcasts) fit AVX2's sixteen vector registers, while a 6×2 tile spilled an accumulator to
   * the stack inside the loop and ran at half speed. JDK 25 hoists all of them, and 5×2 spills
   * there too (31 against 73 GFLOP/s at n=512), so newer JDKs get 4×2 (eight accumulators, two B
   * vectors, four broadcasts), which measured 20% slower than 5×2 on JDK 17.
   *
   * <p>With 512-bit vectors (AVX-512, thirty-two vector registers) newer JDKs get 8×2: sixteen
   * accumulators, and a packed A step of {@link #AS} floats with no unused slots. On an AVX-512
   * Xeon with JDK 25 its loop ran at 152–155 GFLOP/s from L1 against 127–141 for 5×2, and n=1024
   * on two threads at 60–61 against 51–55 products/s for 4×2 (other sizes equal within noise).
   * JDK 17 stays at 5×2 there: with 8×2, 4 of 19 JVMs boxed every accumulator at each step of
   * the k loop (2.4 GB allocated per 1024³ product, 12× slower), a JIT outcome that varies.
   */
  private static final int MR =
      Runtime.version().feature() <= 17 ? 5 : S.vectorBitSize() >= 512 ? 8 : 4;
  /**
   * Floats per k step in a packed A panel (MR values, the rest unused). A power of two keeps the
   * index {@code p * AS} a shift, which C2's range-check elimination recognizes, so the loop has
   * no range checks; C2 rewrites {@code p * 5} or {@code p * 6} as a sum of shifts, which it does
   * not recognize, and then leaves checks in the loop.
   */
  private static final int AS = 8;
  /** Columns of the wide micro-kernel tile (two vectors). */
  private static final int NR = 2 * L;
  /** Depth of a k block: a kc×NR B panel stays in L1. */
  private static final int KC = 256;
  /**
   * Bytes of packed A in one block at most, so that a 512 KB L2 cache holds the block beside a B
   * panel (the packed groups are AS floats a step, MR of them used).
   */
  private static final int A_BLOCK_BYTES = 416 * 1024;
  /**
   * Rows per packed A block (a multiple of MR): about 256, or fewer when their packed groups
   * would pass {@link #A_BLOCK_BYTES} (256 rows, 256 KB with MR = 8; 255 rows, 408 KB with
   * MR = 5; 208 rows, 416 KB with MR = 4). Each block streams all of the packed B, so fewer
   * blocks read B fewer times: the language model's output-layer products (m = 200 and 400
   * rows, packed B of 8 and 16 MB) take 1 and 2 blocks with MR = 8 and 5, against 2 and 3
   * (MR = 8) or 2 and 4 (MR = 5) with the earlier 24·MR rows, and its training step was
   * 2.5–4.5% faster (alternating runs, both orders, JDK 17 and 25 on the AVX-512 Xeon, whose
   * L2 is 2 MB).
   */
  private static final int MC = Math.min(256 / MR, A_BLOCK_BYTES / (AS * KC * Float.BYTES)) * MR;
  /**
   * Depth and width up to which a product with B narrower than a vector builds C's columns
   * across rows ({@link #columnsAcrossRows}) rather than C's rows from padded rows of B
   * ({@link #rowsTimesPaddedB}). Each column of C costs a scatter, and each row of op(A) a
   * gather per k, so the columns pay off for small n and k only. Single-call probes, 150 rows,
   * JDK 17 on the AVX-512 Xeon, padded against columns: n × k = 3 × 4 2.5 against 0.7 µs, 3 × 8
   * 2.9 against 1.7, 2 × 8 3.1 against 0.9; 5 × 4 1.5 against 1.8, 3 × 16 2.5 against 3.0,
   * 10 × 4 2.3 against 3.2, 10 × 16 2.6 against 6.7 (±30% run to run).
   */
  private static final int SHALLOW_DEPTH = 8;
  private static final int SHALLOW_WIDTH = 4;
  /** m·n·k below which the unpacked direct path is used. */
  private static final long SMALL_GEMM = 1L << 15;
  /**
   * Floats of A up to which a product whose B is narrower than a vector stays on the direct path
   * at any size, on one thread ({@link #direct}): with a single vector of columns the packed
   * path's micro-kernel uses each packed element of A once, so packing A cost more than the
   * product ({@code packA} was the top frame of 56% of JFR samples in the MNIST step, 100 × 784
   * · 784 × 10 and its 784 × 100 · 100 × 10 weight gradient). About 1 MB, so that A, read in
   * place (with a stride when transposed), stays in the L2 cache.
   */
  private static final long NARROW_DIRECT_A = 1L << 18;
  /**
   * m·n·k at or above which row blocks go to the pool (n ≈ 101 for a square product), which
   * includes a recurrent layer's per-step product at the PTB small shape (20 × 200 · 200 × 800).
   * The pool's idle workers spin briefly before they park ({@link ThreadPool}), so products that
   * follow each other closely hand off in well under a microsecond; a parked worker costs
   * ≈ 10–15 µs to wake on a 2-vCPU VM. With the earlier threshold of 2²² those per-step products
   * stayed on one thread, and the LM training step took 106 ms on two threads against 77 ms now.
   */
  private static final long PARALLEL_GEMM = 1L << 20;
  /**
   * Bytes of A packed at its full depth (all rows) up to which a product streams B
   * ({@link #streamB}) instead of packing all of it first: A is packed once and stays in the L2
   * cache while B goes by. The language model's forward output product and its weight gradient
   * fit (320 KB with MR = 8, 512 KB with JDK 17's MR = 5).
   */
  private static final long STREAM_A_BYTES = 1L << 20;
  /**
   * Bytes of B that {@link #streamB} packs at a time: a few panels at their full depth (5 at
   * k = 400), so that each row of B is read 640 bytes or more at a time. Alternated against
   * packing all of B first (JDK 25, the language model's weight gradient, 200 × 400 · 400 ×
   * 10000): 64 KB, one panel at a time, was 9% slower; 128 KB to 1 MB were 4–15% faster.
   */
  private static final int STREAM_B_BYTES = 256 * 1024;
  /** Bytes of C up to which a product deeper than one k block runs k block by k block ({@link #depthOuter}). */
  private static final long DEPTH_OUTER_C_BYTES = 1L << 20;
  /** k·n at or above which B is packed by the pool too. */
  private static final long PARALLEL_PACK = 1L << 17;
  /** Row (or column-panel) tasks per pool thread in a parallel GEMM. */
  private static final int ROW_TASKS_PER_THREAD = 2;
  /**
   * m·n·k at or above which an unpacked few-row product (generation's one-row products) splits
   * its columns across the pool. Such a product streams B once for two flops per float, so it is
   * bound by each core's cache bandwidth and two cores read B twice as fast: 1 × 200 · 200 × 800
   * (a recurrent layer's step, 640 KB of B) takes ≈ 15 µs on one thread, far above a hand-off to a
   * spinning worker. Splitting every product of the step, not only the large output layer, also
   * keeps the worker from parking between them.
   */
  private static final long PARALLEL_DIRECT = 1L << 17;
  /** Column ranges of a parallel unpacked product start at multiples of 16 floats (64 bytes). */
  private static final int COLUMN_ALIGN = 16;
  /**
   * Elements below which {@link #reduceSum} is plain Java. Such a sum (a mean loss over a batch)
   * often runs once per training step, so its method stays in C1 code for hundreds of steps,
   * and C1 code allocates an object for every Vector API operation: 7 KB per step of the
   * language model after JMH's warm-up, all from this one sum. The plain loop costs at most a
   * few microseconds.
   */
  private static final long SCALAR_REDUCTION = 1L << 12;
  /**
   * Columns of B (a multiple of every NR) that {@link #packRowsOfB} copies row by row before it
   * moves on: 1024 floats of each of kc rows.
   */
  private static final int PACK_GROUP = 1024;
  /**
   * Steps of a packed A group that one vector holds (2 with sixteen lanes, 1 with eight); 0 when
   * a vector is narrower than a step, and {@link #packA} then copies scalars only.
   */
  private static final int STEPS_PER_GATHER = L % AS == 0 ? L / AS : 0;
  /** Elements summed in float lanes before being added into the double total. */
  private static final int SQUARES_CHUNK = 1024;

  private final ThreadPool pool;
  private final ThreadLocal<float[]> packedB = new ThreadLocal<>();
  private final ThreadLocal<float[]> packedA = new ThreadLocal<>();
  private final ThreadLocal<float[]> tileBuffer = new ThreadLocal<>();
  /** Per calling thread: one row of op(A) in the direct path when both operands are transposed. */
  private final ThreadLocal<float[]> rowBuffer = new ThreadLocal<>();
  /** Per calling thread: the parallelFor body of a parallel GEMM. */
  private final ThreadLocal<GemmTask> gemmTasks = ThreadLocal.withInitial(() -> new GemmTask(this));

  public VectorKernels(ThreadPool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  @Override
  public String description() {
    return "Vector API, " + L + " float lanes";
  }

  /** Lanes per float vector on this JVM and CPU. */
  public static int lanes() {
    return L;
  }

  @Override
  public void forRows(int rows, long elements, RowWork work) {
    ScalarKernels.forRows(pool, rows, elements, work);
  }

  // ---------------------------------------------------------------------------------------
  // GEMM

  @Override
  public void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, float[] a,
      int aOffset, float[] b, int bOffset, float[] c, int cOffset, boolean accumulate,
      RowWork epilogue) {
    ScalarKernels.checkGemmArgs(m, n, k, a, aOffset, b, bOffset, c, cOffset);
    if (empty(m, n, k, c, cOffset, accumulate, epilogue)) {
      return;
    }
    long work = (long) m * n * k;
    if (m < MR || work < SMALL_GEMM || directNarrow(transposeB, m, n, k, work)) {
      direct(transposeA, transposeB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate,
          epilogue);
      return;
    }
    int panels = (n + NR - 1) / NR;
    boolean parallel = pool.threads() > 1 && work >= PARALLEL_GEMM;
    if ((long) packedStep(m) * k * Float.BYTES <= STREAM_A_BYTES
        && (!parallel || panels >= 2 * pool.threads())) {
      streamB(transposeA, transposeB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate,
          epilogue, parallel);
      return;
    }
    if (k > KC && (long) m * n * Float.BYTES <= DEPTH_OUTER_C_BYTES) {
      depthOuter(transposeA, transposeB, m, n, k, a, aOffset, b, bOffset, c, cOffset, accumulate,
          epilogue, parallel);
      return;
    }
    int nPad = nPad(n);
    float[] pb = buffer(packedB, k * nPad);
    if (parallel && (long) k * n >= PARALLEL_PACK) {
      GemmTask task = gemmTasks.get();
      task.set(transposeA, transposeB, m, n, k, a, aOffset, b, bOffset, pb, nPad, c, cOffset,
          accumulate, null, (m + MR - 1) / MR, panels);
      try {
        task.mode = GemmTask.PACK;
        task.tasks = Math.min(pool.threads(), panels);
        pool.parallelFor(task.tasks, task);
      } finally {
        task.clear();
      }
    } else {
      packB(transposeB, n, k, b, bOffset, pb, nPad, 0, panels);
    }
    multiplyPacked(transposeA, m, n, k, a, aOffset, pb, nPad, c, cOffset, accumulate, epilogue);
  }

  /**
   * C (+)= op(A) · op(B) with B streamed: all of op(A) is packed first (on the caller), then B
   * is packed a few column panels at a time, at their full depth, into this thread's buffer, and
   * those panels run against all of A at once. B is read once, and its packed copy never leaves
   * the cache; packing all of B first writes it to memory and reads it back once per row block
   * (the language model's output layer: 8 and 16 MB of packed B a product). On the pool, tasks
   * take ranges of column panels, and the epilogue runs after the product, split by rows.
   */
  private void streamB(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff,
      float[] b, int bOff, float[] c, int cOff, boolean accumulate, RowWork epilogue,
      boolean parallel) {
    float[] pa = buffer(packedA, packedStep(m) * k);
    packFullDepth(transA, m, k, a, aOff, 0, m, pa);
    int panels = (n + NR - 1) / NR;
    if (!parallel) {
      streamRange(transB, m, n, k, pa, b, bOff, c, cOff, accumulate, 0, panels);
      if (epilogue != null) {
        epilogue.run(0, m);
      }
      return;
    }
    GemmTask task = gemmTasks.get();
    task.set(transA, transB, m, n, k, a, aOff, b, bOff, null, 0, c, cOff, accumulate, null,
        (m + MR - 1) / MR, panels);
    task.pa = pa;
    try {
      task.mode = GemmTask.STREAM;
      task.tasks = Math.min(panels, pool.threads() * ROW_TASKS_PER_THREAD);
      pool.parallelFor(task.tasks, task);
    } finally {
      task.clear();
    }
    if (epilogue != null) {
      forRows(m, (long) m * n, epilogue);
    }
  }

  /**
   * C (+)= op(A) · op(B) for a deep product with a small C, one k block at a time: all column
   * panels of the block are packed, then every row block packs its A for the block and runs over
   * them. C stays in cache from one k block to the next, and the packed B block is read from
   * cache, where packing all of B first writes it to memory and reads it back once per row block
   * (the language model's input gradient of its output layer, 400 × 10000 · 10000 × 200, B
   * 8 MB). On the pool, each thread takes a range of k blocks: the first adds into C, the others
   * into partial products of their own that are then added into C, so nothing is packed twice.
   */
  private void depthOuter(boolean transA, boolean transB, int m, int n, int k, float[] a,
      int aOff, float[] b, int bOff, float[] c, int cOff, boolean accumulate, RowWork epilogue,
      boolean parallel) {
    int blocks = (k + KC - 1) / KC;
    if (!parallel) {
      depthRange(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate, 0, blocks);
    } else {
      GemmTask task = gemmTasks.get();
      task.set(transA, transB, m, n, k, a, aOff, b, bOff, null, 0, c, cOff, accumulate, null,
          blocks, 0);
      int tasks = Math.min(blocks, pool.threads());
      float[][] partials = task.partials(tasks - 1, m * n);
      try {
        task.mode = GemmTask.DEPTH;
        task.tasks = tasks;
        pool.parallelFor(tasks, task);
      } finally {
        task.clear();
      }
      for (int t = 1; t < tasks; t++) {
        addInto(c, cOff, partials[t - 1], 0, m * n);
      }
    }
    if (epilogue != null) {
      epilogue.run(0, m);
    }
  }

  /**
   * k blocks [kb0, kb1) of {@link #depthOuter} on this thread: C (+)= the product of those
   * steps of op(A) and op(B), with C's row stride n.
   */
  private void depthRange(boolean transA, boolean transB, int m, int n, int k, float[] a,
      int aOff, float[] b, int bOff, float[] c, int cOff, boolean accumulate, int kb0, int kb1) {
    int panels = (n + NR - 1) / NR;
    float[] pb = buffer(packedB, KC * nPad(n));
    int blockRows = Math.min(MC, (m + MR - 1) / MR * MR);
    float[] pa = buffer(packedA, blockRows / MR * AS * KC);
    float[] tile = buffer(tileBuffer, MR * NR);
    for (int kb = kb0; kb < kb1; kb++) {
      int p0 = kb * KC;
      int kc = Math.min(KC, k - p0);
      boolean add = accumulate || kb > kb0;
      packPanels(transB, n, k, b, bOff, pb, 0, 0, panels, p0, kc);
      for (int i0 = 0; i0 < m; i0 += blockRows) {
        int i1 = Math.min(m, i0 + blockRows);
        packA(transA, m, k, a, aOff, i0, i1, p0, kc, pa, 0);
        for (int q = 0; q < panels; q++) {
          panelTiles(q, n, q * NR * kc, kc, i0, i1, pa, 0, pb, c, cOff, add, tile);
        }
      }
    }
  }

  /**
   * Column panels [q0, q1) of C against all of the packed A (pa, from {@link #streamB}): a few
   * panels of op(B) at a time are packed at their full depth, each panel slab followed by the
   * next, and each panel then runs through every k block in turn, so that its C tiles stay in
   * cache from one k block to the next.
   */
  private void streamRange(boolean transB, int m, int n, int k, float[] pa, float[] b, int bOff,
      float[] c, int cOff, boolean accumulate, int q0, int q1) {
    int depth = packedStep(m);
    int step = Math.max(1, STREAM_B_BYTES / (NR * k * Float.BYTES));
    float[] pb = buffer(packedB, step * NR * k);
    float[] tile = buffer(tileBuffer, MR * NR);
    for (int g0 = q0; g0 < q1; g0 += step) {
      int g1 = Math.min(q1, g0 + step);
      packPanels(transB, n, k, b, bOff, pb, 0, g0, g1, 0, k);
      for (int q = g0; q < g1; q++) {
        int slab = (q - g0) * NR * k;
        int width = panelWidth(n, q);
        for (int p0 = 0; p0 < k; p0 += KC) {
          panelTiles(q, n, slab + p0 * width, Math.min(KC, k - p0), 0, m, pa, p0 * depth, pb, c,
              cOff, accumulate || p0 > 0, tile);
        }
      }
    }
  }

  /**
   * Whether a product whose B is narrower than a vector runs on the direct path although it is
   * not small: when it would not go to the pool, and A is at most {@link #NARROW_DIRECT_A}.
   */
  private boolean directNarrow(boolean transposeB, int m, int n, int k, long work) {
    return !transposeB && n < L && (long) m * k <= NARROW_DIRECT_A
        && (pool.threads() == 1 || work < PARALLEL_GEMM);
  }

  /**
   * Records B; the first {@link #gemm(boolean, int, float[], int, PreparedMatrix, float[], int, boolean)}
   * that takes the packed path packs it into panels (on the caller's thread) and later ones
   * reuse the panels, while products too small to pack (a row at a time, in generation) read B
   * where it is.
   */
  @Override
  public PreparedMatrix prepareB(boolean transposeB, int n, int k, float[] b, int bOffset, PreparedMatrix reuse) {
    PreparedMatrix p = (reuse != null ? reuse : new PreparedMatrix()).of(transposeB, n, k, b, bOffset);
    ScalarKernels.checkGemmArgs(0, n, k, b, 0, b, bOffset, b, 0);
    p.stride = 0; // packed at the first product that uses the packed path: never for one-row products
    return p;
  }

  /** Packs a prepared B into its panels (once per {@link #prepareB}). */
  private static void pack(PreparedMatrix p) {
    int nPad = nPad(p.n());
    if (p.data == null || p.data.length < p.k() * nPad) {
      p.data = new float[p.k() * nPad];
    }
    packB(p.transposed(), p.n(), p.k(), p.source(), p.sourceOffset(), p.data, nPad, 0, (p.n() + NR - 1) / NR);
    p.stride = nPad;
  }

  @Override
  public void gemm(boolean transposeA, int m, float[] a, int aOffset, PreparedMatrix b, float[] c,
      int cOffset, boolean accumulate, RowWork epilogue) {
    int n = b.n();
    int k = b.k();
    ScalarKernels.checkGemmArgs(m, n, k, a, aOffset, b.source(), b.sourceOffset(), c, cOffset);
    if (empty(m, n, k, c, cOffset, accumulate, epilogue)) {
      return;
    }
    long work = (long) m * n * k;
    if (m < MR || work < SMALL_GEMM || directNarrow(b.transposed(), m, n, k, work)) {
      direct(transposeA, b.transposed(), m, n, k, a, aOffset, b.source(), b.sourceOffset(), c,
          cOffset, accumulate, epilogue);
      return;
    }
    if (b.stride == 0) {
      pack(b);
    }
    multiplyPacked(transposeA, m, n, k, a, aOffset, b.data, b.stride, c, cOffset, accumulate,
        epilogue);
  }

  /**
   * Handles a product with no terms (C unchanged, or zeroed when k is 0, and then the epilogue);
   * true when there is nothing else to do.
   */
  private static boolean empty(int m, int n, int k, float[] c, int cOffset, boolean accumulate,
      RowWork epilogue) {
    if (m != 0 && n != 0 && k != 0) {
      return false;
    }
    if (m != 0 && n != 0) {
      if (!accumulate) {
        java.util.Arrays.fill(c, cOffset, cOffset + m * n, 0f);
      }
      if (epilogue != null) {
        epilogue.run(0, m);
      }
    }
    return true;
  }

  /** The padded width of n columns packed into panels. */
  private static int nPad(int n) {
    int panels = (n + NR - 1) / NR;
    return (panels - 1) * NR + panelWidth(n, panels - 1);
  }

  /**
   * C (+)= op(A) · packed B: row groups, or column panels when there are few rows, on the pool
   * when large. The epilogue runs on each row block right after its last k step, on the thread
   * that computed it; when the columns were split, on the caller after the product.
   */
  private void multiplyPacked(boolean transposeA, int m, int n, int k, float[] a, int aOffset,
      float[] pb, int nPad, float[] c, int cOffset, boolean accumulate, RowWork epilogue) {
    int panels = (n + NR - 1) / NR;
    int groups = (m + MR - 1) / MR;
    int threads = pool.threads();
    if (threads == 1 || (long) m * n * k < PARALLEL_GEMM) {
      gemmRange(transposeA, m, n, k, a, aOffset, pb, nPad, c, cOffset, accumulate, epilogue, 0,
          groups, 0, panels);
      return;
    }
    GemmTask task = gemmTasks.get();
    task.set(transposeA, false, m, n, k, a, aOffset, null, 0, pb, nPad, c, cOffset, accumulate,
        epilogue, groups, panels);
    boolean columns = false;
    try {
      if (groups >= 2 * threads || panels < 2 * threads) {
        // Rows split evenly into whole micro-tile groups, a few tasks per thread so that a
        // thread slowed by other load on the machine does not hold up the others.
        task.mode = GemmTask.ROWS;
        task.tasks = Math.min(groups, threads * ROW_TASKS_PER_THREAD);
      } else {
        // Few rows, many columns: split the column panels instead.
        task.mode = GemmTask.PANELS;
        task.tasks = Math.min(panels, threads * ROW_TASKS_PER_THREAD);
        columns = true;
      }
      pool.parallelFor(task.tasks, task);
    } finally {
      task.clear();
    }
    if (columns && epilogue != null) {
      epilogue.run(0, m);
    }
  }

  /**
   * The parallel parts of one GEMM: a body for {@link ThreadPool#parallelFor} that the calling
   * thread reuses from call to call, so that a parallel GEMM allocates no lambda. Task t of
   * {@code tasks} packs B panels, or multiplies row groups or column panels (streaming B or from
   * the packed B; on the unpacked path, columns), t/tasks to (t+1)/tasks of the way through. The caller sets the fields, runs
   * the pool (which returns only when every task is done) and clears them; a thread runs one
   * GEMM at a time.
   */
  private static final class GemmTask implements IntConsumer {
    static final int PACK = 0;
    static final int ROWS = 1;
    static final int PANELS = 2;
    static final int COLUMNS = 3;
    static final int STREAM = 4;
    static final int DEPTH = 5;

    private final VectorKernels kernels;
    int mode;
    int tasks;
    private boolean transA;
    private boolean transB;
    private boolean accumulate;
    private int m;
    private int n;
    private int k;
    private int aOff;
    private int bOff;
    private int nPad;
    private int cOff;
    private int groups;
    private int panels;
    private float[] a;
    private float[] b;
    private float[] pb;
    /** The packed A of {@link #streamB}, shared by its tasks. */
    float[] pa;
    /** {@link #depthOuter}'s partial products, one per task after the first; kept for reuse. */
    private float[][] partials = new float[0][];
    private float[] c;
    private RowWork epilogue;

    GemmTask(VectorKernels kernels) {
      this.kernels = kernels;
    }

    void set(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, float[] b,
        int bOff, float[] pb, int nPad, float[] c, int cOff, boolean accumulate, RowWork epilogue,
        int groups, int panels) {
      this.transA = transA;
      this.transB = transB;
      this.m = m;
      this.n = n;
      this.k = k;
      this.a = a;
      this.aOff = aOff;
      this.b = b;
      this.bOff = bOff;
      this.pb = pb;
      this.nPad = nPad;
      this.c = c;
      this.cOff = cOff;
      this.accumulate = accumulate;
      this.epilogue = epilogue;
      this.groups = groups;
      this.panels = panels;
    }

    /** The first {@code count} partial products, each at least {@code size} floats. */
    float[][] partials(int count, int size) {
      if (partials.length < count) {
        partials = java.util.Arrays.copyOf(partials, count);
      }
      for (int i = 0; i < count; i++) {
        if (partials[i] == null || partials[i].length < size) {
          partials[i] = new float[size];
        }
      }
      return partials;
    }

    /** Drops the array references so that the caller's arrays are not kept reachable. */
    void clear() {
      a = null;
      b = null;
      pb = null;
      pa = null;
      c = null;
      epilogue = null;
    }

    @Override
    public void accept(int t) {
      switch (mode) {
        case PACK:
          packB(transB, n, k, b, bOff, pb, nPad, panels * t / tasks, panels * (t + 1) / tasks);
          break;
        case ROWS:
          kernels.gemmRange(transA, m, n, k, a, aOff, pb, nPad, c, cOff, accumulate, epilogue,
              groups * t / tasks, groups * (t + 1) / tasks, 0, panels);
          break;
        case STREAM:
          kernels.streamRange(transB, m, n, k, pa, b, bOff, c, cOff, accumulate,
              panels * t / tasks, panels * (t + 1) / tasks);
          break;
        case DEPTH: // groups counts k blocks; tasks after the first write their partial products
          int kb0 = groups * t / tasks;
          int kb1 = groups * (t + 1) / tasks;
          if (t == 0) {
            kernels.depthRange(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate,
                kb0, kb1);
          } else {
            kernels.depthRange(transA, transB, m, n, k, a, aOff, b, bOff, partials[t - 1], 0,
                false, kb0, kb1);
          }
          break;
        case PANELS:
          kernels.gemmRange(transA, m, n, k, a, aOff, pb, nPad, c, cOff, accumulate, null, 0,
              groups, panels * t / tasks, panels * (t + 1) / tasks);
          break;
        default: // COLUMNS of the unpacked path, in whole cache lines
          int chunks = n / COLUMN_ALIGN;
          int j0 = chunks * t / tasks * COLUMN_ALIGN;
          int j1 = t == tasks - 1 ? n : chunks * (t + 1) / tasks * COLUMN_ALIGN;
          kernels.directColumns(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate, j0,
              j1);
          break;
      }
    }
  }

  private static float[] buffer(ThreadLocal<float[]> cache, int size) {
    float[] buf = cache.get();
    if (buf == null || buf.length < size) {
      buf = new float[size];
      cache.set(buf);
    }
    return buf;
  }

  /** Packed width of column panel q: NR, or L for a last panel of at most L columns. */
  private static int panelWidth(int n, int q) {
    int w = n - q * NR;
    return w >= NR ? NR : w <= L ? L : NR;
  }

  /**
   * Packs column panels [q0, q1) of op(B). The packed B is k blocks of KC rows; inside a block,
   * panel q (columns [q·NR, q·NR + NR)) is a row-major kc×pw slab, zero-padded to its packed
   * width pw. Panels are disjoint, so several threads can pack different panels at once.
   */
  private static void packB(boolean transB, int n, int k, float[] b, int bOff, float[] pb,
      int nPad, int q0, int q1) {
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = Math.min(KC, k - p0);
      packPanels(transB, n, k, b, bOff, pb, p0 * nPad + q0 * NR * kc, q0, q1, p0, kc);
    }
  }

  /**
   * Packs steps [p0, p0 + kc) of column panels [q0, q1) of op(B) into pb from {@code dst}: panel
   * q's slab (kc rows of its packed width) starts (q - q0)·NR·kc floats after it.
   */
  private static void packPanels(boolean transB, int n, int k, float[] b, int bOff, float[] pb,
      int dst, int q0, int q1, int p0, int kc) {
    if (transB) {
      packTransposedB(n, k, b, bOff, pb, dst, q0, q1, p0, kc);
    } else {
      packRowsOfB(n, b, bOff, pb, dst, q0, q1, p0, kc);
    }
  }

  /**
   * One k block of {@link #packB} for B stored [k, n]. Full panels go a group of
   * {@link #PACK_GROUP} columns at a time: each row's span of the group is read in order and
   * each panel's NR floats go to that panel's slab, so the writes stay in a few dozen streams.
   * Going panel by panel (a kc × NR strip, one 64-byte piece from each of kc rows n floats
   * apart) copied at 1.7–2.7 GB/s against 9–10 GB/s for whole rows on a 2-vCPU EPYC; on the
   * AVX-512 Xeon whole rows of n = 10000 (313 write streams) cost 1.3–1.7 ns a float and groups
   * of 1024 columns 0.4–0.5 (the language model's output-layer gradient, k = 400, JDK 17 and 25).
   */
  private static void packRowsOfB(int n, float[] b, int bOff, float[] pb, int dst0, int q0,
      int q1, int p0, int kc) {
    int fullEnd = Math.min(q1, n / NR); // panels [q0, fullEnd) are NR columns wide
    for (int g0 = q0; g0 < fullEnd; g0 += PACK_GROUP / NR) {
      int g1 = Math.min(fullEnd, g0 + PACK_GROUP / NR);
      for (int p = 0; p < kc; p++) {
        int src = bOff + (p0 + p) * n;
        int dst = dst0 + p * NR;
        for (int q = g0; q < g1; q++) {
          int s = src + q * NR;
          int d = dst + (q - q0) * NR * kc;
          FloatVector.fromArray(S, b, s).intoArray(pb, d);
          FloatVector.fromArray(S, b, s + L).intoArray(pb, d + L);
        }
      }
    }
    for (int q = Math.max(q0, fullEnd); q < q1; q++) {
      int j0 = q * NR;
      int w = n - j0;
      int pw = panelWidth(n, q);
      int dst = dst0 + (q - q0) * NR * kc;
      for (int p = 0; p < kc; p++) {
        int src = bOff + (p0 + p) * n + j0;
        int row = dst + p * pw;
        for (int jj = 0; jj < w; jj++) {
          pb[row + jj] = b[src + jj];
        }
        for (int jj = w; jj < pw; jj++) {
          pb[row + jj] = 0f;
        }
      }
    }
  }

  /**
   * One k block of {@link #packB} for B stored [n, k]. A full panel's row for step p gathers
   * element p of L consecutive rows of B, a vector at a time; the scalar transpose (each column
   * of op(B) read contiguously and written with stride pw) cost 1.5–2.4 ns a float against
   * 0.5–0.7 for the gathers (B 200 × 10000, the output layer's weights in the language model's
   * input gradient, JDK 17 and 25). A last panel narrower than its packed width stays scalar.
   */
  private static void packTransposedB(int n, int k, float[] b, int bOff, float[] pb, int dst0,
      int q0, int q1, int p0, int kc) {
    int[] lanes = laneOffsets(PACK_LANES, k);
    for (int q = q0; q < q1; q++) {
      int j0 = q * NR;
      int w = Math.min(NR, n - j0);
      int pw = panelWidth(n, q);
      int dst = dst0 + (q - q0) * NR * kc;
      if (w == pw) {
        for (int v = 0; v < pw; v += L) {
          int src = bOff + (j0 + v) * k + p0;
          for (int p = 0; p < kc; p++) {
            FloatVector.fromArray(S, b, src + p, lanes, 0).intoArray(pb, dst + p * pw + v);
          }
        }
        continue;
      }
      for (int jj = 0; jj < w; jj++) {
        int src = bOff + (j0 + jj) * k + p0;
        for (int p = 0; p < kc; p++) {
          pb[dst + p * pw + jj] = b[src + p];
        }
      }
      for (int jj = w; jj < pw; jj++) {
        for (int p = 0; p < kc; p++) {
          pb[dst + p * pw + jj] = 0f;
        }
      }
    }
  }

  /**
   * Rows [g0·MR, min(m, g1·MR)) of C against column panels [q0, q1) of the packed B, in row
   * blocks of at most MC rows whose A slice is packed into this thread's buffer. The epilogue (or
   * null; only when the panels are all of C's columns) runs on each block once it is final.
   *
   * <p>A block's A is packed one k block at a time, and each k block runs over all the panels,
   * unless the block's A packed at its full depth fits {@link #A_BLOCK_BYTES}: then all of it is
   * packed first and each panel runs through every k block in turn, so that the panel's C tiles
   * stay in cache from one k block to the next instead of leaving for memory and coming back
   * (the language model's weight gradient, 200 × 400 · 400 × 10000, wrote its 8 MB C, read it
   * and wrote it again).
   */
  private void gemmRange(boolean transA, int m, int n, int k, float[] a, int aOff, float[] pb,
      int nPad, float[] c, int cOff, boolean accumulate, RowWork epilogue, int g0, int g1, int q0,
      int q1) {
    int groups = g1 - g0;
    if (groups <= 0 || q0 >= q1) {
      return;
    }
    int blocks = (groups * MR + MC - 1) / MC;
    int blockGroups = (groups + blocks - 1) / blocks;
    boolean fullDepth = k > KC && (long) blockGroups * AS * k * Float.BYTES <= A_BLOCK_BYTES;
    float[] pa = buffer(packedA, blockGroups * AS * (fullDepth ? k : Math.min(KC, k)));
    float[] tile = buffer(tileBuffer, MR * NR);
    for (int blk = 0; blk < blocks; blk++) {
      int i0 = (g0 + groups * blk / blocks) * MR;
      int i1 = Math.min(m, (g0 + groups * (blk + 1) / blocks) * MR);
      int depth = packedStep(i1 - i0);
      if (fullDepth) {
        packFullDepth(transA, m, k, a, aOff, i0, i1, pa);
        for (int q = q0; q < q1; q++) {
          for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            panelTiles(q, n, p0 * nPad + q * NR * kc, kc, i0, i1, pa, p0 * depth, pb, c, cOff,
                accumulate || p0 > 0, tile);
          }
        }
      } else {
        for (int p0 = 0; p0 < k; p0 += KC) {
          int kc = Math.min(KC, k - p0);
          packA(transA, m, k, a, aOff, i0, i1, p0, kc, pa, 0);
          for (int q = q0; q < q1; q++) {
            panelTiles(q, n, p0 * nPad + q * NR * kc, kc, i0, i1, pa, 0, pb, c, cOff,
                accumulate || p0 > 0, tile);
          }
        }
      }
      if (epilogue != null) {
        epilogue.run(i0, i1);
      }
    }
  }

  /**
   * C's tiles in rows [i0, i1) and column panel q, from kc k steps: the packed A of those rows
   * and steps at pa[paBase...], B's packed slab of the panel at pb[pbOff...]. C (+)= when
   * {@code add}.
   */
  private static void panelTiles(int q, int n, int pbOff, int kc, int i0, int i1,
      float[] pa, int paBase, float[] pb, float[] c, int cOff, boolean add, float[] tile) {
    int j0 = q * NR;
    int w = Math.min(NR, n - j0);
    boolean narrow = panelWidth(n, q) == L;
    int width = narrow ? L : NR;
    for (int r0 = i0, paOff = paBase; r0 < i1; r0 += MR, paOff += kc * AS) {
      int h = Math.min(MR, i1 - r0);
      int cTile = cOff + r0 * n + j0;
      if (h == (h > 4 ? MR : 4) && w == width) {
        microKernel(narrow, h, pa, paOff, pb, pbOff, kc, c, cTile, n, add);
      } else {
        microKernel(narrow, h, pa, paOff, pb, pbOff, kc, tile, 0, width, false);
        copyTile(tile, width, c, cTile, n, h, w, add);
      }
    }
  }

  /**
   * Packs rows [i0, i1), columns [p0, p0 + kc) of op(A) as groups of MR rows: group g is kc
   * steps of AS floats, the MR values of one column (rows past i1 zero-filled) and AS - MR
   * unused slots. A full group of A stored [m, k] gathers {@link #STEPS_PER_GATHER} steps at a
   * time when a vector holds whole steps: 0.2–0.3 ns a float against 0.4–0.7 for the scalar
   * copy, which writes with stride AS (A 400 × 10000, the output layer's gradient in the
   * language model's input gradient, JDK 17 and 25).
   */
  private static void packA(boolean transA, int m, int k, float[] a, int aOff, int i0, int i1,
      int p0, int kc, float[] pa, int paBase) {
    int[] lanes = transA || STEPS_PER_GATHER == 0 ? null : groupLanes(k);
    for (int r0 = i0, base = paBase; r0 < i1; r0 += MR, base += kc * AS) {
      int h = Math.min(MR, i1 - r0);
      if (transA) {
        // A is stored [k, m]: the MR values of one step are contiguous.
        for (int p = 0; p < kc; p++) {
          int src = aOff + (p0 + p) * m + r0;
          int dst = base + p * AS;
          for (int r = 0; r < h; r++) {
            pa[dst + r] = a[src + r];
          }
          for (int r = h; r < MR; r++) {
            pa[dst + r] = 0f;
          }
        }
        continue;
      }
      int gathered = 0;
      if (h == MR && lanes != null) {
        int src = aOff + r0 * k + p0;
        for (; gathered + STEPS_PER_GATHER <= kc; gathered += STEPS_PER_GATHER) {
          FloatVector.fromArray(S, a, src + gathered, lanes, 0).intoArray(pa, base + gathered * AS);
        }
      }
      for (int r = 0; r < MR; r++) {
        if (r >= h) {
          for (int p = gathered; p < kc; p++) {
            pa[base + p * AS + r] = 0f;
          }
        } else {
          int src = aOff + (r0 + r) * k + p0;
          for (int p = gathered; p < kc; p++) {
            pa[base + p * AS + r] = a[src + p];
          }
        }
      }
    }
  }

  /** Floats of a packed A per k step for {@code rows} rows: their groups of MR, AS floats each. */
  private static int packedStep(int rows) {
    return (rows + MR - 1) / MR * AS;
  }

  /**
   * Packs rows [i0, i1) of op(A) at every k step into pa, one k block after another: block p0
   * starts at {@code p0 · packedStep(i1 - i0)}.
   */
  private static void packFullDepth(boolean transA, int m, int k, float[] a, int aOff, int i0,
      int i1, float[] pa) {
    int depth = packedStep(i1 - i0);
    for (int p0 = 0; p0 < k; p0 += KC) {
      packA(transA, m, k, a, aOff, i0, i1, p0, Math.min(KC, k - p0), pa, p0 * depth);
    }
  }

  /**
   * Per thread: the lane offsets of {@link #packA}'s gather from A stored with row stride k.
   * Lane i reads row i mod AS (row 0 for the unused slots past MR, which the micro-kernels
   * never read) at step i / AS.
   */
  private static int[] groupLanes(int k) {
    int[] lanes = GROUP_LANES.get();
    if (lanes[1] != k) {
      for (int i = 0; i < L; i++) {
        int r = i % AS;
        lanes[i] = (r < MR ? r : 0) * k + i / AS;
      }
    }
    return lanes;
  }

  /** C[h, w] = tile (or += when {@code add}). */
  private static void copyTile(float[] tile, int ldt, float[] c, int cOff, int ldc, int h, int w,
      boolean add) {
    for (int r = 0; r < h; r++) {
      int t = r * ldt;
      int o = cOff + r * ldc;
      if (add) {
        for (int j = 0; j < w; j++) {
          c[o + j] += tile[t + j];
        }
      } else {
        System.arraycopy(tile, t, c, o, w);
      }
    }
  }

  /**
   * The micro-kernel for a group of h ≤ MR rows (the rest of its MR rows padding) and one or two
   * vectors of columns: a group of at most four rows takes the four-row kernels, which read the
   * same packed A, so that the last group of a recurrent layer's 20-row product with MR = 8 does
   * not spend half its FMAs on padding.
   */
  private static void microKernel(boolean narrow, int h, float[] a, int ao, float[] b, int bo,
      int kc, float[] c, int co, int ldc, boolean add) {
    if (h <= 4 && MR > 4) {
      if (narrow) {
        kernel4x1(a, ao, b, bo, kc, c, co, ldc, add);
      } else {
        kernel4x2(a, ao, b, bo, kc, c, co, ldc, add);
      }
    } else if (narrow) {
      kernelNarrow(a, ao, b, bo, kc, c, co, ldc, add);
    } else {
      kernelWide(a, ao, b, bo, kc, c, co, ldc, add);
    }
  }

  /** The MR×2-vector micro-kernel; MR is a constant, so C2 keeps one branch. */
  private static void kernelWide(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    if (MR == 8) {
      kernel8x2(a, ao, b, bo, kc, c, co, ldc, add);
    } else if (MR == 5) {
      kernel5x2(a, ao, b, bo, kc, c, co, ldc, add);
    } else {
      kernel4x2(a, ao, b, bo, kc, c, co, ldc, add);
    }
  }

  /** The MR×1-vector micro-kernel for a narrow last panel. */
  private static void kernelNarrow(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    if (MR == 8) {
      kernel8x1(a, ao, b, bo, kc, c, co, ldc, add);
    } else if (MR == 5) {
      kernel5x1(a, ao, b, bo, kc, c, co, ldc, add);
    } else {
      kernel4x1(a, ao, b, bo, kc, c, co, ldc, add);
    }
  }

  /** C[8, 2L] = Apanel[kc, 8]ᵀ · Bpanel[kc, 2L] (+= C when {@code add}), as {@link #kernel5x2}. */
  private static void kernel8x2(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int bp = bo + p * NR;
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ap + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ap + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[ap + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[ap + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    if (add) {
      int o = co;
      c00 = c00.add(FloatVector.fromArray(S, c, o));
      c01 = c01.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c10 = c10.add(FloatVector.fromArray(S, c, o));
      c11 = c11.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c20 = c20.add(FloatVector.fromArray(S, c, o));
      c21 = c21.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c30 = c30.add(FloatVector.fromArray(S, c, o));
      c31 = c31.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c40 = c40.add(FloatVector.fromArray(S, c, o));
      c41 = c41.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c50 = c50.add(FloatVector.fromArray(S, c, o));
      c51 = c51.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c60 = c60.add(FloatVector.fromArray(S, c, o));
      c61 = c61.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c70 = c70.add(FloatVector.fromArray(S, c, o));
      c71 = c71.add(FloatVector.fromArray(S, c, o + L));
    }
    int o = co;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
    o += ldc;
    c60.intoArray(c, o);
    c61.intoArray(c, o + L);
    o += ldc;
    c70.intoArray(c, o);
    c71.intoArray(c, o + L);
  }

  /** C[8, L] = Apanel[kc, 8]ᵀ · Bpanel[kc, L] (+= C when {@code add}), for a narrow last panel. */
  private static void kernel8x1(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector c4 = FloatVector.zero(S);
    FloatVector c5 = FloatVector.zero(S);
    FloatVector c6 = FloatVector.zero(S);
    FloatVector c7 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bo + p * L);
      c0 = FloatVector.broadcast(S, a[ap]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[ap + 1]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[ap + 2]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[ap + 3]).fma(b0, c3);
      c4 = FloatVector.broadcast(S, a[ap + 4]).fma(b0, c4);
      c5 = FloatVector.broadcast(S, a[ap + 5]).fma(b0, c5);
      c6 = FloatVector.broadcast(S, a[ap + 6]).fma(b0, c6);
      c7 = FloatVector.broadcast(S, a[ap + 7]).fma(b0, c7);
    }
    if (add) {
      c0 = c0.add(FloatVector.fromArray(S, c, co));
      c1 = c1.add(FloatVector.fromArray(S, c, co + ldc));
      c2 = c2.add(FloatVector.fromArray(S, c, co + 2 * ldc));
      c3 = c3.add(FloatVector.fromArray(S, c, co + 3 * ldc));
      c4 = c4.add(FloatVector.fromArray(S, c, co + 4 * ldc));
      c5 = c5.add(FloatVector.fromArray(S, c, co + 5 * ldc));
      c6 = c6.add(FloatVector.fromArray(S, c, co + 6 * ldc));
      c7 = c7.add(FloatVector.fromArray(S, c, co + 7 * ldc));
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
    c4.intoArray(c, co + 4 * ldc);
    c5.intoArray(c, co + 5 * ldc);
    c6.intoArray(c, co + 6 * ldc);
    c7.intoArray(c, co + 7 * ldc);
  }

  /**
   * C[5, 2L] = Apanel[kc, 5]ᵀ · Bpanel[kc, 2L] (+= C when {@code add}). Loop indices are the one
   * induction variable times a power of two plus an invariant, so C2 hoists the range checks out
   * of the loop. The loop is not unrolled by hand: C2 then schedules the second step's loads
   * early and spills accumulators.
   */
  private static void kernel5x2(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int bp = bo + p * NR;
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ap + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
    }
    if (add) {
      int o = co;
      c00 = c00.add(FloatVector.fromArray(S, c, o));
      c01 = c01.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c10 = c10.add(FloatVector.fromArray(S, c, o));
      c11 = c11.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c20 = c20.add(FloatVector.fromArray(S, c, o));
      c21 = c21.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c30 = c30.add(FloatVector.fromArray(S, c, o));
      c31 = c31.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c40 = c40.add(FloatVector.fromArray(S, c, o));
      c41 = c41.add(FloatVector.fromArray(S, c, o + L));
    }
    int o = co;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
  }

  /**
   * C[4, 2L] = Apanel[kc, 4]ᵀ · Bpanel[kc, 2L] (+= C when {@code add}). Loop indices are the one
   * induction variable times a power of two plus an invariant, so C2 hoists the range checks out
   * of the loop. The loop is not unrolled by hand: C2 then schedules the second step's loads
   * early and spills accumulators.
   */
  private static void kernel4x2(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int bp = bo + p * NR;
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
    }
    if (add) {
      int o = co;
      c00 = c00.add(FloatVector.fromArray(S, c, o));
      c01 = c01.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c10 = c10.add(FloatVector.fromArray(S, c, o));
      c11 = c11.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c20 = c20.add(FloatVector.fromArray(S, c, o));
      c21 = c21.add(FloatVector.fromArray(S, c, o + L));
      o += ldc;
      c30 = c30.add(FloatVector.fromArray(S, c, o));
      c31 = c31.add(FloatVector.fromArray(S, c, o + L));
    }
    int o = co;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
  }

  /** C[5, L] = Apanel[kc, 5]ᵀ · Bpanel[kc, L] (+= C when {@code add}), for a narrow last panel. */
  private static void kernel5x1(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector c4 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bo + p * L);
      c0 = FloatVector.broadcast(S, a[ap]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[ap + 1]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[ap + 2]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[ap + 3]).fma(b0, c3);
      c4 = FloatVector.broadcast(S, a[ap + 4]).fma(b0, c4);
    }
    if (add) {
      c0 = c0.add(FloatVector.fromArray(S, c, co));
      c1 = c1.add(FloatVector.fromArray(S, c, co + ldc));
      c2 = c2.add(FloatVector.fromArray(S, c, co + 2 * ldc));
      c3 = c3.add(FloatVector.fromArray(S, c, co + 3 * ldc));
      c4 = c4.add(FloatVector.fromArray(S, c, co + 4 * ldc));
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
    c4.intoArray(c, co + 4 * ldc);
  }

  /** C[4, L] = Apanel[kc, 4]ᵀ · Bpanel[kc, L] (+= C when {@code add}), for a narrow last panel. */
  private static void kernel4x1(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co,
      int ldc, boolean add) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ao + p * AS;
      FloatVector b0 = FloatVector.fromArray(S, b, bo + p * L);
      c0 = FloatVector.broadcast(S, a[ap]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[ap + 1]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[ap + 2]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[ap + 3]).fma(b0, c3);
    }
    if (add) {
      c0 = c0.add(FloatVector.fromArray(S, c, co));
      c1 = c1.add(FloatVector.fromArray(S, c, co + ldc));
      c2 = c2.add(FloatVector.fromArray(S, c, co + 2 * ldc));
      c3 = c3.add(FloatVector.fromArray(S, c, co + 3 * ldc));
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
  }

  /**
   * The unpacked path for small products and for few rows (a one-row product in generation): op(B)
   * is read where it is. With B not transposed, each row of C is built by {@link #rowTimesB}, and
   * large products split their columns across the pool (see {@link #PARALLEL_DIRECT}; the
   * language model's generation step on two threads went from ≈ 255 to ≈ 175 µs). With B
   * transposed, each element of C is a dot product of rows, and the columns split the same way.
   * B not transposed and narrower than a vector (a few classes) goes to {@link #columnsAcrossRows}
   * when the product is shallow, {@link #narrowTimesB} when it is tiny, else to
   * {@link #rowsTimesPaddedB} (its padded copy of B in this thread's B packing buffer). The
   * epilogue (or null) runs on the caller after the product.
   */
  private void direct(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff,
      float[] b, int bOff, float[] c, int cOff, boolean accumulate, RowWork epilogue) {
    int threads = pool.threads();
    if (!transB && n <= SHALLOW_WIDTH && n < L && m >= L && k <= SHALLOW_DEPTH) {
      columnsAcrossRows(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate,
          buffer(packedB, k * L));
    } else if (!transB && n < L && m < L && k < L) {
      narrowTimesB(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    } else if (!transB && n < L) {
      rowsTimesPaddedB(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate,
          buffer(packedB, k * L + L));
    } else if (threads > 1 && (long) m * n * k >= PARALLEL_DIRECT
        && n >= 2 * threads * COLUMN_ALIGN) {
      GemmTask task = gemmTasks.get();
      task.set(transA, transB, m, n, k, a, aOff, b, bOff, null, 0, c, cOff, accumulate, null, 0,
          0);
      try {
        task.mode = GemmTask.COLUMNS;
        task.tasks = threads;
        pool.parallelFor(task.tasks, task);
      } finally {
        task.clear();
      }
    } else {
      directColumns(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate, 0, n);
    }
    if (epilogue != null) {
      epilogue.run(0, m);
    }
  }

  /** Columns [j0, j1) of the unpacked product, on the calling thread. */
  private void directColumns(boolean transA, boolean transB, int m, int n, int k, float[] a,
      int aOff, float[] b, int bOff, float[] c, int cOff, boolean accumulate, int j0, int j1) {
    if (transB) {
      dotRows(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate,
          transA ? buffer(rowBuffer, k) : null, j0, j1);
    } else {
      rowsTimesB(transA, m, n, k, a, aOff, b, bOff, c, cOff, accumulate, j0, j1);
    }
  }

  /** Columns [j0, j1) of C (+)= op(A) · B for B stored [k, n], a row of C at a time. */
  private static void rowsTimesB(boolean transA, int m, int n, int k, float[] a, int aOff,
      float[] b, int bOff, float[] c, int cOff, boolean accumulate, int j0, int j1) {
    for (int i = 0; i < m; i++) {
      rowTimesB(a, transA ? aOff + i : aOff + i * k, transA ? m : 1, k, b, bOff + j0, n, j1 - j0,
          c, cOff + i * n + j0, accumulate);
    }
  }

  /**
   * C (+)= op(A) · B for B [k, n] narrower than a vector, n and k at most {@link #SHALLOW_WIDTH}
   * and {@link #SHALLOW_DEPTH}, and at least a vector's worth of rows (a classifier's forward
   * product, 150 × 4 · 4 × 3 for Iris): each column of C is built as vectors across L rows at a
   * time. The k columns of op(A) for
   * those rows are loaded once (gathered, when A is not transposed) into {@code staged}; column j
   * of C is then k FMAs of them times B[p, j] broadcast, scattered into C. Rows past the last
   * whole vector go to a last block that overlaps the one before it, or, when the product adds
   * into C, are summed element by element.
   */
  private static void columnsAcrossRows(boolean transA, int m, int n, int k, float[] a,
      int aOff, float[] b, int bOff, float[] c, int cOff, boolean add, float[] staged) {
    int[] rowLanes = laneOffsets(n);
    int[] depthLanes = laneOffsets(DEPTH_LANES, k);
    // Without accumulation a last block of L rows that overlaps the one before it rewrites the
    // shared rows with the same values, so only a sum into C leaves rows to the scalar tail.
    int blocksEnd = add ? S.loopBound(m) : m;
    int i = 0;
    for (int i0 = 0; i0 < blocksEnd; i0 += L) {
      i = Math.min(i0, m - L);
      for (int p = 0; p < k; p++) {
        FloatVector column = transA
            ? FloatVector.fromArray(S, a, aOff + p * m + i)
            : FloatVector.fromArray(S, a, aOff + i * k + p, depthLanes, 0);
        column.intoArray(staged, p * L);
      }
      for (int j = 0; j < n; j++) {
        int cj = cOff + i * n + j;
        FloatVector sum = add
            ? FloatVector.fromArray(S, c, cj, rowLanes, 0)
            : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
          sum = FloatVector.fromArray(S, staged, p * L)
              .fma(FloatVector.broadcast(S, b[bOff + p * n + j]), sum);
        }
        sum.intoArray(c, cj, rowLanes, 0);
      }
    }
    int as = transA ? m : 1;
    for (i = blocksEnd; i < m; i++) {
      int ai = transA ? aOff + i : aOff + i * k;
      int ci = cOff + i * n;
      for (int j = 0; j < n; j++) {
        float sum = add ? c[ci + j] : 0f;
        for (int p = 0; p < k; p++) {
          sum += a[ai + p * as] * b[bOff + p * n + j];
        }
        c[ci + j] = sum;
      }
    }
  }

  /**
   * C (+)= op(A) · B for B not transposed and fewer columns than a vector (a classifier with a few
   * classes). B is first copied into rows one vector wide; a row of C is then a sum of k vectors,
   * an element of op(A) broadcast times a padded row of B, in four partial sums (the first k mod
   * 4 terms go to the first), and its first n lanes go to C: stored whole where the lanes past n
   * fall on rows not yet written, else through {@code padded}'s last vector.
   *
   * <p>Lanes are independent, so the lanes of a padded row past n may hold anything: each row is
   * copied as a whole vector load from B, which takes the next rows' first elements along, and
   * only the last rows, where such a load would pass B's end, are copied element by element and
   * zero-filled (so no stale float from an earlier call, a subnormal perhaps, enters an FMA).
   * Copying the rows element by element cost more than the product itself at the 4 × 150 · 150 × 3
   * weight gradient of a softmax regression.
   */
  private static void rowsTimesPaddedB(boolean transA, int m, int n, int k, float[] a, int aOff,
      float[] b, int bOff, float[] c, int cOff, boolean add, float[] padded) {
    int q = 0;
    for (; q < k && bOff + q * n + L <= b.length; q++) {
      FloatVector.fromArray(S, b, bOff + q * n).intoArray(padded, q * L);
    }
    for (; q < k; q++) {
      int po = q * L;
      int bq = bOff + q * n;
      for (int j = 0; j < n; j++) {
        padded[po + j] = b[bq + j];
      }
      java.util.Arrays.fill(padded, po + n, po + L, 0f);
    }
    int stage = k * L; // where a finished row of C lands before its first n lanes are copied
    int as = transA ? m : 1;
    int head = k & 3;
    int end = cOff + m * n;
    for (int i = 0; i < m; i++) {
      int ai = transA ? aOff + i : aOff + i * k;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int p = 0; p < head; p++) {
        s0 = FloatVector.fromArray(S, padded, p * L)
            .fma(FloatVector.broadcast(S, a[ai + p * as]), s0);
      }
      for (int p = head; p < k; p += 4) {
        int ap = ai + p * as;
        int po = p * L;
        s0 = FloatVector.fromArray(S, padded, po).fma(FloatVector.broadcast(S, a[ap]), s0);
        s1 = FloatVector.fromArray(S, padded, po + L)
            .fma(FloatVector.broadcast(S, a[ap + as]), s1);
        s2 = FloatVector.fromArray(S, padded, po + 2 * L)
            .fma(FloatVector.broadcast(S, a[ap + 2 * as]), s2);
        s3 = FloatVector.fromArray(S, padded, po + 3 * L)
            .fma(FloatVector.broadcast(S, a[ap + 3 * as]), s3);
      }
      FloatVector row = s0.add(s1).add(s2.add(s3));
      int ci = cOff + i * n;
      if (!add && ci + L <= end) {
        row.intoArray(c, ci); // lanes past n land on the next rows, which are written later
        continue;
      }
      row.intoArray(padded, stage);
      for (int j = 0; j < n; j++) {
        c[ci + j] = add ? c[ci + j] + padded[stage + j] : padded[stage + j];
      }
    }
  }

  /**
   * {@link #rowsTimesPaddedB} for fewer rows and a shallower k than a vector (a single example
   * through a classifier with few features), where padding B would cost more than the product:
   * one sum per element, in four independent partial sums so that the adds do not wait on each
   * other. At 1 × 4 · 4 × 3: 48 ns against 152 padded (single-call probe, JDK 17).
   */
  private static void narrowTimesB(boolean transA, int m, int n, int k, float[] a, int aOff,
      float[] b, int bOff, float[] c, int cOff, boolean add) {
    int as = transA ? m : 1;
    for (int i = 0; i < m; i++) {
      int ai = transA ? aOff + i : aOff + i * k;
      int ci = cOff + i * n;
      for (int j = 0; j < n; j++) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int p = 0;
        int ap = ai;
        int bp = bOff + j;
        for (; p + 4 <= k; p += 4, ap += 4 * as, bp += 4 * n) {
          s0 += a[ap] * b[bp];
          s1 += a[ap + as] * b[bp + n];
          s2 += a[ap + 2 * as] * b[bp + 2 * n];
          s3 += a[ap + 3 * as] * b[bp + 3 * n];
        }
        for (; p < k; p++, ap += as, bp += n) {
          s0 += a[ap] * b[bp];
        }
        float sum = (s0 + s1) + (s2 + s3);
        c[ci + j] = add ? c[ci + j] + sum : sum;
      }
    }
  }

  /**
   * C[ci + j] (+)= Σ_p A[ai + p·as] · B[bOff + p·n + j] for j in [0, n): a row of A times B.
   * Eight rows of B are added into C in one pass, so B is read once, in eight sequential
   * streams, and C (which stays in cache) is read and written k/8 times. (Keeping blocks of C in
   * registers across all k instead read B down its columns, a stride of n floats: for the
   * 200 × 10000 output layer of a language model that ran 2.5× slower, likely because every
   * step of the sum touched another page.)
   */
  private static void rowTimesB(float[] a, int ai, int as, int k, float[] b, int bOff, int ldb,
      int n, float[] c, int ci, boolean add) {
    if (!add) {
      java.util.Arrays.fill(c, ci, ci + n, 0f);
    }
    int p = 0;
    for (; p + 8 <= k; p += 8) {
      int ap = ai + p * as;
      FloatVector s0 = FloatVector.broadcast(S, a[ap]);
      FloatVector s1 = FloatVector.broadcast(S, a[ap + as]);
      FloatVector s2 = FloatVector.broadcast(S, a[ap + 2 * as]);
      FloatVector s3 = FloatVector.broadcast(S, a[ap + 3 * as]);
      FloatVector s4 = FloatVector.broadcast(S, a[ap + 4 * as]);
      FloatVector s5 = FloatVector.broadcast(S, a[ap + 5 * as]);
      FloatVector s6 = FloatVector.broadcast(S, a[ap + 6 * as]);
      FloatVector s7 = FloatVector.broadcast(S, a[ap + 7 * as]);
      int b0 = bOff + p * ldb;
      int j = 0;
      for (; j + L <= n; j += L) {
        int bj = b0 + j;
        FloatVector acc = FloatVector.fromArray(S, c, ci + j);
        acc = FloatVector.fromArray(S, b, bj).fma(s0, acc);
        acc = FloatVector.fromArray(S, b, bj + ldb).fma(s1, acc);
        acc = FloatVector.fromArray(S, b, bj + 2 * ldb).fma(s2, acc);
        acc = FloatVector.fromArray(S, b, bj + 3 * ldb).fma(s3, acc);
        acc = FloatVector.fromArray(S, b, bj + 4 * ldb).fma(s4, acc);
        acc = FloatVector.fromArray(S, b, bj + 5 * ldb).fma(s5, acc);
        acc = FloatVector.fromArray(S, b, bj + 6 * ldb).fma(s6, acc);
        acc = FloatVector.fromArray(S, b, bj + 7 * ldb).fma(s7, acc);
        acc.intoArray(c, ci + j);
      }
      for (; j < n; j++) {
        float sum = c[ci + j];
        for (int q = 0, bq = b0 + j; q < 8; q++, bq += ldb) {
          sum += a[ap + q * as] * b[bq];
        }
        c[ci + j] = sum;
      }
    }
    for (; p < k; p++) {
      axpy(c, ci, n, a[ai + p * as], b, bOff + p * ldb);
    }
  }

  /** C (+)= op(A) · Bᵀ for B stored [n, k]: each element a dot product of two rows. */
  private static void dotRows(boolean transA, int m, int n, int k, float[] a, int aOff, float[] b,
      int bOff, float[] c, int cOff, boolean accumulate, float[] row, int j0, int j1) {
    for (int i = 0; i < m; i++) {
      float[] ar = a;
      int ai = aOff + i * k;
      if (transA) {
        for (int p = 0; p < k; p++) {
          row[p] = a[aOff + p * m + i];
        }
        ar = row;
        ai = 0;
      }
      int ci = cOff + i * n;
      for (int j = j0; j < j1; j++) {
        float d = dot(ar, ai, b, bOff + j * k, k);
        c[ci + j] = accumulate ? c[ci + j] + d : d;
      }
    }
  }

  /** {@code y[yo + j] += s * x[xo + j]} for j in [0, len). */
  private static void axpy(float[] y, int yo, int len, float s, float[] x, int xo) {
    int j = 0;
    if (len >= L) { // no vector at all for a short range (see the class comment)
      FloatVector sv = FloatVector.broadcast(S, s);
      for (int bound = S.loopBound(len); j < bound; j += L) {
        FloatVector.fromArray(S, x, xo + j).fma(sv, FloatVector.fromArray(S, y, yo + j))
            .intoArray(y, yo + j);
      }
    }
    for (; j < len; j++) {
      y[yo + j] += s * x[xo + j];
    }
  }

  private static float dot(float[] x, int xo, float[] y, int yo, int len) {
    if (len < L) {
      float sum = 0f;
      for (int j = 0; j < len; j++) {
        sum += x[xo + j] * y[yo + j];
      }
      return sum;
    }
    FloatVector s0 = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      s0 = FloatVector.fromArray(S, x, xo + j).fma(FloatVector.fromArray(S, y, yo + j), s0);
    }
    float sum = s0.reduceLanes(VectorOperators.ADD); // before any branch (see the class comment)
    for (; j < len; j++) {
      sum += x[xo + j] * y[yo + j];
    }
    return sum;
  }

  // ---------------------------------------------------------------------------------------
  // Row-wise softmax family

  /**
   * The range body of a softmax-family kernel: the row-at-a-time vector body for rows of at least
   * a vector; for narrower rows the staged-block body ({@link #stage}), or ScalarKernels' row
   * code when there are too few rows to fill a vector across them (single-example inference).
   */
  private static ScalarKernels.RowKernel rowBody(int rows, int cols,
      ScalarKernels.RowKernel scalar, ScalarKernels.RowKernel narrow,
      ScalarKernels.RowKernel wide) {
    return cols >= L ? wide : rows < L ? scalar : narrow;
  }

  @Override
  public void softmaxRows(float[] x, float[] y, int rows, int cols) {
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::softmaxRange, VectorKernels::softmaxNarrow, VectorKernels::softmaxRange),
        x, y, null, null, null, cols, 0);
  }

  private static void softmaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float max = max(x, o, cols);
      float sum = expStore(x, o, y, cols, max);
      scaleRange(y, o, cols, 1f / sum);
    }
  }

  @Override
  public void logSoftmaxRows(float[] x, float[] y, int rows, int cols) {
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::logSoftmaxRange, VectorKernels::logSoftmaxNarrow,
        VectorKernels::logSoftmaxRange), x, y, null, null, null, cols, 0);
  }

  private static void logSoftmaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float lse = logSumExp(x, o, cols);
      FloatVector sub = FloatVector.broadcast(S, lse);
      int j = 0;
      for (int bound = S.loopBound(cols); j < bound; j += L) {
        FloatVector.fromArray(S, x, o + j).sub(sub).intoArray(y, o + j);
      }
      for (; j < cols; j++) {
        y[o + j] = x[o + j] - lse;
      }
    }
  }

  @Override
  public void softmaxCrossEntropyRows(float[] logits, float[] labels, float[] loss, int rows,
      int cols) {
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::crossEntropyRange, VectorKernels::crossEntropyNarrow,
        VectorKernels::crossEntropyRange), logits, labels, loss, null, null, cols, 0);
  }

  private static void crossEntropyRange(float[] logits, float[] labels, float[] loss,
      float[] unused, int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float lse = logSumExp(logits, o, cols);
      FloatVector lv = FloatVector.broadcast(S, lse);
      FloatVector s0 = FloatVector.zero(S);
      int j = 0;
      for (int bound = S.loopBound(cols); j < bound; j += L) {
        s0 = FloatVector.fromArray(S, labels, o + j)
            .fma(lv.sub(FloatVector.fromArray(S, logits, o + j)), s0);
      }
      float sum = s0.reduceLanes(VectorOperators.ADD);
      for (; j < cols; j++) {
        sum += labels[o + j] * (lse - logits[o + j]);
      }
      loss[r] = sum;
    }
  }

  @Override
  public void sparseSoftmaxCrossEntropyRows(float[] logits, int[] labels, float[] loss, int rows,
      int cols) {
    ScalarKernels.checkLabels(labels, rows, cols);
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::sparseCrossEntropyRange, VectorKernels::sparseCrossEntropyNarrow,
        VectorKernels::sparseCrossEntropyRange), logits, null, loss, null, labels, cols, 0);
  }

  private static void sparseCrossEntropyRange(float[] logits, float[] unused, float[] loss,
      float[] unused2, int[] labels, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      loss[r] = logSumExp(logits, o, cols) - logits[o + labels[r]];
    }
  }

  @Override
  public void softmaxCrossEntropyGradRows(float[] logits, float[] labels, float[] rowScale,
      float[] out, int rows, int cols) {
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::crossEntropyGradRange, VectorKernels::crossEntropyGradNarrow,
        VectorKernels::crossEntropyGradRange), logits, labels, rowScale, out, null, cols, 0);
  }

  private static void crossEntropyGradRange(float[] logits, float[] labels, float[] rowScale,
      float[] out, int[] none, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float expSum = expStore(logits, o, out, cols, max(logits, o, cols));
      float scale = rowScale[r];
      // softmax · sum(labels) · scale − labels · scale, with softmax = out / expSum
      float outScale = sum(labels, o, cols) * scale / expSum;
      FloatVector ov = FloatVector.broadcast(S, outScale);
      FloatVector lv = FloatVector.broadcast(S, -scale);
      int j = 0;
      for (int bound = S.loopBound(cols); j < bound; j += L) {
        FloatVector.fromArray(S, out, o + j)
            .fma(ov, FloatVector.fromArray(S, labels, o + j).mul(lv))
            .intoArray(out, o + j);
      }
      for (; j < cols; j++) {
        out[o + j] = out[o + j] * outScale - labels[o + j] * scale;
      }
    }
  }

  @Override
  public void sparseSoftmaxCrossEntropyGradRows(float[] logits, int[] labels, float[] rowLoss,
      float[] rowScale, float[] out, int rows, int cols) {
    ScalarKernels.checkLabels(labels, rows, cols);
    ScalarKernels.forRanges(pool, rows, (long) rows * cols, rowBody(rows, cols,
        ScalarKernels::sparseCrossEntropyGradRange, VectorKernels::sparseCrossEntropyGradNarrow,
        VectorKernels::sparseCrossEntropyGradRange), logits, rowScale, out, rowLoss, labels, cols, 0);
  }

  /**
   * A row whose log-sum-exp the loss gives is one pass (at the language model's 400 × 10000,
   * 1.7–2.2 ms on JDK 25 and 1.8 on JDK 17 against 3.0–4.5 for max, exps and scaling); any other
   * row takes those three.
   */
  private static void sparseCrossEntropyGradRange(float[] logits, float[] rowScale, float[] out,
      float[] rowLoss, int[] labels, int cols, int zero, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      int o = r * cols;
      float scale = rowScale[r];
      float logSumExp = ScalarKernels.logSumExpFromLoss(rowLoss[r], logits[o + labels[r]]);
      if (logSumExp == logSumExp) {
        scaledExpStore(logits, o, out, cols, logSumExp, scale);
      } else {
        float sum = expStore(logits, o, out, cols, max(logits, o, cols));
        scaleRange(out, o, cols, scale / sum);
      }
      out[o + labels[r]] -= scale;
    }
  }

  // Rows narrower than a vector (a classifier's few classes). A row-at-a-time loop spends its
  // time in loops of a few iterations (33 ns a 3-wide row for the loss), so these kernels take
  // a block of rows at a time and stage it column-major in per-thread scratch: each column of
  // the block is then a contiguous run of rows, and every step (the max, the exps, the sums, the
  // log) is one long loop across rows, the exps and logs as vectors. Each staged column is
  // padded with zeros to a whole number of vectors (its stride), so these loops have no scalar
  // tail: a tail of scalar exps and logs cost a fifth of the loss at 150 rows of 3.

  /**
   * Floats of one region of the scratch; a block has at most NARROW_BLOCK / cols rows, rounded
   * down to whole vectors (at least L² so that a block of L-1 columns has a vector of rows).
   */
  private static final int NARROW_BLOCK = Math.max(512, L * L);
  /**
   * Per thread, in regions of NARROW_BLOCK floats: the staged block (column j of the block at
   * j·stride), the staged labels, and per-row values {@link #ROW_MAX}, {@link #ROW_SUM} and
   * {@link #ROW_AUX}, each over the block's stride. Static because the range bodies are.
   */
  private static final ThreadLocal<float[]> NARROW_SCRATCH =
      ThreadLocal.withInitial(() -> new float[5 * NARROW_BLOCK]);
  private static final int STAGED_LABELS = NARROW_BLOCK;
  private static final int ROW_MAX = 2 * NARROW_BLOCK;
  private static final int ROW_SUM = 3 * NARROW_BLOCK;
  private static final int ROW_AUX = 4 * NARROW_BLOCK;

  /**
   * Stages the block of narrow rows of x that starts at row b0 (up to r1) at t[0, cols·stride)
   * and runs {@link #shiftedExpSums} on it; returns the block's end.
   */
  private static int stageShiftedExps(float[] x, int cols, int b0, int r1, float[] t,
      boolean keepExps) {
    int b1 = Math.min(r1, b0 + (NARROW_BLOCK / Math.max(cols, 1)) / L * L);
    stage(x, cols, b0, b1 - b0, t, 0);
    shiftedExpSums(t, cols, stride(b1 - b0), keepExps);
    return b1;
  }

  /** The stride of a staged column of {@code rows} rows: rows rounded up to whole vectors. */
  private static int stride(int rows) {
    return (rows + L - 1) / L * L;
  }

  /** {@code t[to, to + stride(rows))} = x[from, from + rows) followed by zeros. */
  private static void stageRowValues(float[] x, int from, int rows, float[] t, int to) {
    zeroLastVector(t, to, rows);
    System.arraycopy(x, from, t, to, rows);
  }

  /**
   * Zeros the last vector of a staged column of {@code rows} rows at t[to, to + stride(rows))
   * when rows is not a whole number of vectors: the padding, and the last rows, which the caller
   * writes afterwards. One store, where {@code Arrays.fill} on so few floats cost more.
   */
  private static void zeroLastVector(float[] t, int to, int rows) {
    int stride = stride(rows);
    if (stride != rows) {
      FloatVector.zero(S).intoArray(t, to + stride - L);
    }
  }

  /**
   * Per thread: {@code k·cols} for k in [0, L), the lane offsets of one column's gather from (or
   * scatter to) L consecutive rows of cols floats.
   */
  private static final ThreadLocal<int[]> NARROW_LANES = ThreadLocal.withInitial(() -> new int[L]);
  /** Per thread: a second set of lane offsets, for a product that gathers with two strides. */
  private static final ThreadLocal<int[]> DEPTH_LANES = ThreadLocal.withInitial(() -> new int[L]);
  /** Per thread: the lane offsets of {@link #packTransposedB}'s gathers (row stride k). */
  private static final ThreadLocal<int[]> PACK_LANES = ThreadLocal.withInitial(() -> new int[L]);
  /** Per thread: the lane offsets of {@link #packA}'s gathers ({@link #groupLanes}). */
  private static final ThreadLocal<int[]> GROUP_LANES = ThreadLocal.withInitial(() -> new int[L]);

  private static int[] laneOffsets(int cols) {
    return laneOffsets(NARROW_LANES, cols);
  }

  private static int[] laneOffsets(ThreadLocal<int[]> cache, int stride) {
    int[] lanes = cache.get();
    if (lanes[1] != stride) {
      for (int k = 0; k < L; k++) {
        lanes[k] = k * stride;
      }
    }
    return lanes;
  }

  /**
   * {@code t[to + j·stride + r] = x[(r0 + r)·cols + j]}: the block's rows, column-major, each
   * column padded with zeros to the stride. Gathers take L rows of a column at once; a scalar
   * loop with a stride that C2 does not know ran at 3–5× the time (1.1–1.7 ns a float, JDK 17
   * and 25).
   */
  private static void stage(float[] x, int cols, int r0, int rows, float[] t, int to) {
    int[] lanes = laneOffsets(cols);
    int stride = stride(rows);
    for (int j = 0; j < cols; j++) {
      int d = to + j * stride;
      int src = r0 * cols + j;
      int r = 0;
      for (int bound = S.loopBound(rows); r < bound; r += L) {
        FloatVector.fromArray(S, x, src + r * cols, lanes, 0).intoArray(t, d + r);
      }
      zeroLastVector(t, d, rows);
      for (; r < rows; r++) {
        t[d + r] = x[src + r * cols];
      }
    }
  }

  /** The inverse of {@link #stage}: the staged block's rows back into rows of y, by scatters. */
  private static void unstage(float[] t, int cols, int r0, int rows, float[] y) {
    int[] lanes = laneOffsets(cols);
    int stride = stride(rows);
    for (int j = 0; j < cols; j++) {
      int s = j * stride;
      int dst = r0 * cols + j;
      int r = 0;
      for (int bound = S.loopBound(rows); r < bound; r += L) {
        FloatVector.fromArray(S, t, s + r).intoArray(y, dst + r * cols, lanes, 0);
      }
      for (; r < rows; r++) {
        y[dst + r * cols] = t[s + r];
      }
    }
  }

  /**
   * On the staged block at t[0, cols·rows), rows a whole number of vectors (the stride):
   * subtracts each row's max (left in ROW_MAX) from its elements, then leaves {@code log Σ exp}
   * of the shifted row in ROW_SUM; when keepExps, the block holds the exps afterwards, and
   * ROW_SUM their sum, not its log. A row of −∞ gets NaN elements, as the row-at-a-time kernels
   * give it; the padding rows, zeros, stay finite.
   */
  private static void shiftedExpSums(float[] t, int cols, int rows, boolean keepExps) {
    System.arraycopy(t, 0, t, ROW_MAX, rows);
    for (int j = 1; j < cols; j++) {
      maxInto(t, ROW_MAX, t, j * rows, rows);
    }
    for (int j = 0; j < cols; j++) {
      subInto(t, j * rows, t, ROW_MAX, rows);
    }
    if (keepExps) {
      expInPlace(t, 0, cols * rows);
      columnSums(t, 0, cols, rows, ROW_SUM);
      return;
    }
    // The shifted elements are still needed, so each column's exps go through ROW_AUX.
    java.util.Arrays.fill(t, ROW_SUM, ROW_SUM + rows, 0f);
    for (int j = 0; j < cols; j++) {
      System.arraycopy(t, j * rows, t, ROW_AUX, rows);
      expInPlace(t, ROW_AUX, rows);
      addInto(t, ROW_SUM, t, ROW_AUX, rows);
    }
    logInPlace(t, ROW_SUM, rows);
  }

  /**
   * {@code t[dst + r] = Σ_j t[from + j·rows + r]}: each row's sum over the staged block at
   * {@code from}.
   */
  private static void columnSums(float[] t, int from, int cols, int rows, int dst) {
    System.arraycopy(t, from, t, dst, rows);
    for (int j = 1; j < cols; j++) {
      addInto(t, dst, t, from + j * rows, rows);
    }
  }

  /** {@code t[o + i] = exp(t[o + i])} for i in [0, n). */
  private static void expInPlace(float[] t, int o, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, t, o + i).lanewise(VectorOperators.EXP).intoArray(t, o + i);
    }
    for (; i < n; i++) {
      t[o + i] = FloatMath.exp(t[o + i]);
    }
  }

  /** {@code t[o + i] = log(t[o + i])} for i in [0, n). */
  private static void logInPlace(float[] t, int o, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, t, o + i).lanewise(VectorOperators.LOG).intoArray(t, o + i);
    }
    for (; i < n; i++) {
      t[o + i] = FloatMath.log(t[o + i]);
    }
  }

  private static void softmaxNarrow(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(x, cols, b0, r1, t, true);
      int stride = stride(b1 - b0);
      for (int j = 0; j < cols; j++) {
        divInto(t, j * stride, t, ROW_SUM, stride);
      }
      unstage(t, cols, b0, b1 - b0, y);
    }
  }

  private static void logSoftmaxNarrow(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(x, cols, b0, r1, t, false);
      int stride = stride(b1 - b0);
      for (int j = 0; j < cols; j++) { // (x − max) − log Σ exp(x − max)
        subInto(t, j * stride, t, ROW_SUM, stride);
      }
      unstage(t, cols, b0, b1 - b0, y);
    }
  }

  private static void crossEntropyNarrow(float[] logits, float[] labels, float[] loss,
      float[] unused, int[] none, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(logits, cols, b0, r1, t, false);
      int stride = stride(b1 - b0);
      stage(labels, cols, b0, b1 - b0, t, STAGED_LABELS);
      java.util.Arrays.fill(t, ROW_AUX, ROW_AUX + stride, 0f);
      for (int j = 0; j < cols; j++) {
        crossEntropyTerms(t, j * stride, stride);
      }
      System.arraycopy(t, ROW_AUX, loss, b0, b1 - b0);
    }
  }

  /**
   * {@code t[ROW_AUX + r] += label · (lse − logit)} over the staged column at t[c, c + stride),
   * with lse − logit = log Σ exp(x − max) − (logit − max): the shifted column against ROW_SUM.
   */
  private static void crossEntropyTerms(float[] t, int c, int stride) {
    int yc = STAGED_LABELS + c;
    for (int r = 0; r < stride; r += L) {
      FloatVector.fromArray(S, t, ROW_SUM + r).sub(FloatVector.fromArray(S, t, c + r))
          .fma(FloatVector.fromArray(S, t, yc + r), FloatVector.fromArray(S, t, ROW_AUX + r))
          .intoArray(t, ROW_AUX + r);
    }
  }

  private static void sparseCrossEntropyNarrow(float[] logits, float[] unused, float[] loss,
      float[] unused2, int[] labels, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(logits, cols, b0, r1, t, false);
      int stride = stride(b1 - b0);
      for (int r = 0; r < b1 - b0; r++) {
        loss[b0 + r] = t[ROW_SUM + r] - t[labels[b0 + r] * stride + r];
      }
    }
  }

  private static void crossEntropyGradNarrow(float[] logits, float[] labels, float[] rowScale,
      float[] out, int[] none, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(logits, cols, b0, r1, t, true);
      int rows = b1 - b0;
      int stride = stride(rows);
      stage(labels, cols, b0, rows, t, STAGED_LABELS);
      stageRowValues(rowScale, b0, rows, t, ROW_MAX); // the max is no longer needed
      // softmax · Σ labels · scale − labels · scale, as in crossEntropyGradRange: the factor of
      // the exps, Σ labels · scale / Σ exps, goes to ROW_AUX
      columnSums(t, STAGED_LABELS, cols, stride, ROW_AUX);
      mulInto(t, ROW_AUX, t, ROW_MAX, stride);
      divInto(t, ROW_AUX, t, ROW_SUM, stride);
      for (int j = 0; j < cols; j++) {
        crossEntropyGradTerms(t, j * stride, stride);
      }
      unstage(t, cols, b0, rows, out);
    }
  }

  /**
   * {@code exp · factor − label · scale} over the staged column at t[c, c + stride): the exps'
   * factor in ROW_AUX, each row's scale in ROW_MAX.
   */
  private static void crossEntropyGradTerms(float[] t, int c, int stride) {
    int yc = STAGED_LABELS + c;
    for (int r = 0; r < stride; r += L) {
      FloatVector.fromArray(S, t, c + r).mul(FloatVector.fromArray(S, t, ROW_AUX + r))
          .sub(FloatVector.fromArray(S, t, yc + r).mul(FloatVector.fromArray(S, t, ROW_MAX + r)))
          .intoArray(t, c + r);
    }
  }

  /** Ignores the row losses: the staged block's max and exps are vector loops across rows. */
  private static void sparseCrossEntropyGradNarrow(float[] logits, float[] rowScale,
      float[] out, float[] rowLoss, int[] labels, int cols, int zero, int r0, int r1) {
    float[] t = NARROW_SCRATCH.get();
    for (int b0 = r0, b1; b0 < r1; b0 = b1) {
      b1 = stageShiftedExps(logits, cols, b0, r1, t, true);
      int rows = b1 - b0;
      int stride = stride(rows);
      stageRowValues(rowScale, b0, rows, t, ROW_AUX); // the exps' factor: scale / Σ exps
      divInto(t, ROW_AUX, t, ROW_SUM, stride);
      for (int j = 0; j < cols; j++) {
        mulInto(t, j * stride, t, ROW_AUX, stride);
      }
      unstage(t, cols, b0, rows, out);
      for (int r = b0; r < b1; r++) {
        out[r * cols + labels[r]] -= rowScale[r];
      }
    }
  }

  // Elementwise y op= x over [0, len), one method per operator: the operator of lanewise(op, v)
  // must be a constant where C2 compiles it, or the call is not intrinsified (addInto, the same
  // loop for +, is with the reductions).

  private static void maxInto(float[] y, int yo, float[] x, int xo, int len) {
    int i = 0;
    for (int bound = S.loopBound(len); i < bound; i += L) {
      FloatVector.fromArray(S, y, yo + i).max(FloatVector.fromArray(S, x, xo + i))
          .intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      y[yo + i] = Math.max(y[yo + i], x[xo + i]);
    }
  }

  private static void subInto(float[] y, int yo, float[] x, int xo, int len) {
    int i = 0;
    for (int bound = S.loopBound(len); i < bound; i += L) {
      FloatVector.fromArray(S, y, yo + i).sub(FloatVector.fromArray(S, x, xo + i))
          .intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      y[yo + i] -= x[xo + i];
    }
  }

  private static void mulInto(float[] y, int yo, float[] x, int xo, int len) {
    int i = 0;
    for (int bound = S.loopBound(len); i < bound; i += L) {
      FloatVector.fromArray(S, y, yo + i).mul(FloatVector.fromArray(S, x, xo + i))
          .intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      y[yo + i] *= x[xo + i];
    }
  }

  private static void divInto(float[] y, int yo, float[] x, int xo, int len) {
    int i = 0;
    for (int bound = S.loopBound(len); i < bound; i += L) {
      FloatVector.fromArray(S, y, yo + i).div(FloatVector.fromArray(S, x, xo + i))
          .intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      y[yo + i] /= x[xo + i];
    }
  }

  private static float max(float[] x, int o, int len) {
    if (len < L) {
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < len; j++) {
        max = Math.max(max, x[o + j]);
      }
      return max;
    }
    FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      m0 = m0.max(FloatVector.fromArray(S, x, o + j));
    }
    float max = m0.reduceLanes(VectorOperators.MAX);
    for (; j < len; j++) {
      max = Math.max(max, x[o + j]);
    }
    return max;
  }

  /**
   * {@code y = exp(x - max)} over a row of at least one vector; returns the sum. Its bytecode
   * must stay under C2's FreqInlineSize (325 bytes): at 332 bytes the row kernels could not
   * inline it, and softmaxRows allocated 384 B per call of 8 rows.
   */
  private static float expStore(float[] x, int o, float[] y, int len, float max) {
    FloatVector mv = FloatVector.broadcast(S, max);
    FloatVector s0 = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector e0 = FloatVector.fromArray(S, x, o + j).sub(mv).lanewise(VectorOperators.EXP);
      e0.intoArray(y, o + j);
      s0 = s0.add(e0);
    }
    float sum = s0.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      float e = FloatMath.exp(x[o + j] - max);
      y[o + j] = e;
      sum += e;
    }
    return sum;
  }

  /** y[o, o + len) = exp(x - shift) · scale. */
  private static void scaledExpStore(float[] x, int o, float[] y, int len, float shift,
      float scale) {
    FloatVector shiftV = FloatVector.broadcast(S, shift);
    FloatVector scaleV = FloatVector.broadcast(S, scale);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector.fromArray(S, x, o + j).sub(shiftV).lanewise(VectorOperators.EXP).mul(scaleV)
          .intoArray(y, o + j);
    }
    for (; j < len; j++) {
      y[o + j] = FloatMath.exp(x[o + j] - shift) * scale;
    }
  }

  /**
   * {@code max + log(sum exp(x - max))} over a row of at least one vector; an all -inf row gives
   * -inf. One pass when it can: the exps are shifted by the max of the row's first vector, not
   * the row's max, which would take a pass of its own over the row. The sum holds the first
   * vector's largest exp, 1, so it cannot underflow, and it stays finite unless a logit passes
   * that shift by about 88; such a row, or one whose first vector is all -inf, is summed again
   * shifted by its max.
   */
  private static float logSumExp(float[] x, int o, int len) {
    float shift = FloatVector.fromArray(S, x, o).reduceLanes(VectorOperators.MAX);
    if (shift != Float.NEGATIVE_INFINITY) {
      float sum = shiftedExpSum(x, o, len, shift);
      if (sum < Float.POSITIVE_INFINITY) { // neither +inf nor NaN
        return shift + FloatMath.log(sum);
      }
    }
    float max = max(x, o, len);
    if (max == Float.NEGATIVE_INFINITY) {
      return max;
    }
    return max + FloatMath.log(shiftedExpSum(x, o, len, max));
  }

  /** {@code sum exp(x - shift)} over a row of at least one vector. */
  private static float shiftedExpSum(float[] x, int o, int len, float shift) {
    FloatVector sv = FloatVector.broadcast(S, shift);
    FloatVector s0 = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      s0 = s0.add(FloatVector.fromArray(S, x, o + j).sub(sv).lanewise(VectorOperators.EXP));
    }
    float sum = s0.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      sum += FloatMath.exp(x[o + j] - shift);
    }
    return sum;
  }

  private static void scaleRange(float[] x, int o, int len, float s) {
    int j = 0;
    if (len >= L) {
      FloatVector sv = FloatVector.broadcast(S, s);
      for (int bound = S.loopBound(len); j < bound; j += L) {
        FloatVector.fromArray(S, x, o + j).mul(sv).intoArray(x, o + j);
      }
    }
    for (; j < len; j++) {
      x[o + j] *= s;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Reductions

  @Override
  public void reduceSum(float[] x, float[] y, int outer, int axis, int inner) {
    if (inner > 1 && inner < L) {
      // Fewer columns than a vector (a few classes' bias gradient): whole vectors of the rows
      // go to accumulators by column pattern (fewColumnSumRange), below SCALAR_REDUCTION too.
      // Like the mean loss there, it runs once a step, so a model whose step is slow enough to
      // keep this method in C1 code for long allocates until C2 compiles it; the Iris and MNIST
      // steps allocate nothing after JMH's warm-up (jmh-benchmarks/README.md, "Ninth session").
      ScalarKernels.forRanges(pool, outer, (long) outer * axis * inner,
          VectorKernels::fewColumnSumRange, x, y, null, null, null, axis, inner);
      return;
    }
    if ((long) outer * axis * inner < SCALAR_REDUCTION) {
      ScalarKernels.reduceSumRange(x, y, null, null, null, axis, inner, 0, outer);
      return;
    }
    if (outer == 1 && inner > 1) {
      // One output row (a bias gradient: the sum over the batch): split its columns.
      ScalarKernels.forRanges(pool, inner, (long) axis * inner, VectorKernels::columnSumRange, x,
          y, null, null, null, axis, inner);
      return;
    }
    ScalarKernels.forRanges(pool, outer, (long) outer * axis * inner, VectorKernels::reduceSumRange,
        x, y, null, null, null, axis, inner);
  }

  /**
   * {@link #reduceSum} for fewer columns than a vector (inner &lt; L), outer indices [o0, o1):
   * the axis·inner floats of an outer index are summed as one flat run, a whole vector at a
   * time. Lane r of the run's q-th vector holds column (q·L + r) mod inner, which repeats every
   * {@code period = inner / gcd(inner, L)} vectors, so vector q is added into accumulator q mod
   * period (in this thread's scratch), whose lane r belongs to column ((q mod period)·L + r) mod
   * inner. Gathering each column instead, L rows at a time, took 6–10 ns a gather.
   */
  private static void fewColumnSumRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int o0, int o1) {
    int period = inner / gcd(inner, L);
    float[] acc = NARROW_SCRATCH.get(); // period·L < L² ≤ NARROW_BLOCK floats
    int len = axis * inner;
    int bound = S.loopBound(len);
    for (int o = o0; o < o1; o++) {
      int base = o * len;
      java.util.Arrays.fill(acc, 0, period * L, 0f);
      for (int f = 0, slot = 0; f < bound; f += L) {
        FloatVector.fromArray(S, acc, slot).add(FloatVector.fromArray(S, x, base + f))
            .intoArray(acc, slot);
        slot = slot + L == period * L ? 0 : slot + L;
      }
      int yo = o * inner;
      java.util.Arrays.fill(y, yo, yo + inner, 0f);
      int column = 0;
      for (int t = 0; t < period * L; t++) {
        y[yo + column] += acc[t];
        column = column + 1 == inner ? 0 : column + 1;
      }
      column = bound % inner;
      for (int f = bound; f < len; f++) {
        y[yo + column] += x[base + f];
        column = column + 1 == inner ? 0 : column + 1;
      }
    }
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** {@code y[j] = sum over a of x[a·inner + j]} for the columns j in [j0, j1). */
  private static void columnSumRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int j0, int j1) {
    java.util.Arrays.fill(y, j0, j1, 0f);
    for (int a = 0; a < axis; a++) {
      addInto(y, j0, x, a * inner + j0, j1 - j0);
    }
  }

  private static void reduceSumRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
      int base = o * axis * inner;
      int yo = o * inner;
      if (inner == 1) {
        y[yo] = sum(x, base, axis);
        continue;
      }
      java.util.Arrays.fill(y, yo, yo + inner, 0f);
      for (int a = 0; a < axis; a++) {
        addInto(y, yo, x, base + a * inner, inner);
      }
    }
  }

  @Override
  public void reduceMax(float[] x, float[] y, int outer, int axis, int inner) {
    ScalarKernels.forRanges(pool, outer, (long) outer * axis * inner, VectorKernels::reduceMaxRange,
        x, y, null, null, null, axis, inner);
  }

  private static void reduceMaxRange(float[] x, float[] y, float[] unused, float[] unused2,
      int[] none, int axis, int inner, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
      int base = o * axis * inner;
      int yo = o * inner;
      if (inner == 1) {
        y[yo] = max(x, base, axis);
        continue;
      }
      java.util.Arrays.fill(y, yo, yo + inner, Float.NEGATIVE_INFINITY);
      for (int a = 0; a < axis; a++) {
        int xa = base + a * inner;
        int i = 0;
        for (int bound = S.loopBound(inner); i < bound; i += L) {
          FloatVector.fromArray(S, y, yo + i).max(FloatVector.fromArray(S, x, xa + i))
              .intoArray(y, yo + i);
        }
        for (; i < inner; i++) {
          y[yo + i] = Math.max(y[yo + i], x[xa + i]);
        }
      }
    }
  }

  private static float sum(float[] x, int o, int len) {
    if (len < L) {
      float sum = 0f;
      for (int j = 0; j < len; j++) {
        sum += x[o + j];
      }
      return sum;
    }
    FloatVector s0 = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      s0 = s0.add(FloatVector.fromArray(S, x, o + j));
    }
    float sum = s0.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      sum += x[o + j];
    }
    return sum;
  }

  /** {@code y[yo + i] += x[xo + i]} for i in [0, len). */
  private static void addInto(float[] y, int yo, float[] x, int xo, int len) {
    int i = 0;
    for (int bound = S.loopBound(len); i < bound; i += L) {
      FloatVector.fromArray(S, y, yo + i).add(FloatVector.fromArray(S, x, xo + i))
          .intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      y[yo + i] += x[xo + i];
    }
  }

  // ---------------------------------------------------------------------------------------
  // Gather / scatter

  @Override
  public void gather(float[] table, int tableRows, int width, int[] indices, int count,
      float[] out) {
    ScalarKernels.gatherRows(table, tableRows, width, indices, count, out);
  }

  @Override
  public void scatterAdd(int[] indices, int count, float[] updates, int width, float[] table,
      int tableRows) {
    ScalarKernels.checkIndices(indices, count, tableRows);
    for (int i = 0; i < count; i++) {
      addInto(table, indices[i] * width, updates, i * width, width);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Optimizer updates and elementwise helpers

  @Override
  public void sgdUpdate(float[] w, float[] g, float learningRate, int n) {
    // Element ranges on the pool; the learning rate travels as its bits in an int argument.
    ScalarKernels.forRanges(pool, n, n, VectorKernels::sgdRange, w, g, null, null, null,
        Float.floatToRawIntBits(learningRate), 0);
  }

  private static void sgdRange(float[] w, float[] g, float[] unused, float[] unused2, int[] none,
      int learningRateBits, int unusedSize, int from, int to) {
    float learningRate = Float.intBitsToFloat(learningRateBits);
    int i = from;
    if (to - from >= L) {
      FloatVector neg = FloatVector.broadcast(S, -learningRate);
      for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
        FloatVector.fromArray(S, g, i).fma(neg, FloatVector.fromArray(S, w, i)).intoArray(w, i);
      }
    }
    ScalarKernels.sgdRange(w, g, learningRate, i, to);
  }

  @Override
  public void adamUpdate(float[] w, float[] g, float[] m, float[] v, float learningRate,
      float beta1, float beta2, float epsilon, int step, int n) {
    ScalarKernels.checkAdamStep(step);
    float stepSize = ScalarKernels.adamStepSize(learningRate, beta1, step);
    float invCorrection2 = ScalarKernels.adamInvCorrection2(beta2, step);
    if (n < L) {
      ScalarKernels.adamRange(w, g, m, v, stepSize, invCorrection2, beta1, beta2, epsilon, 0, n);
      return;
    }
    FloatVector b1 = FloatVector.broadcast(S, beta1);
    FloatVector b2 = FloatVector.broadcast(S, beta2);
    FloatVector c1 = FloatVector.broadcast(S, 1f - beta1);
    FloatVector c2 = FloatVector.broadcast(S, 1f - beta2);
    FloatVector inv2 = FloatVector.broadcast(S, invCorrection2);
    FloatVector eps = FloatVector.broadcast(S, epsilon);
    FloatVector lr = FloatVector.broadcast(S, stepSize);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector gi = FloatVector.fromArray(S, g, i);
      FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(c1));
      FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(gi).mul(c2));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector denom = vi.mul(inv2).lanewise(VectorOperators.SQRT).add(eps);
      FloatVector.fromArray(S, w, i).sub(lr.mul(mi).div(denom)).intoArray(w, i);
    }
    ScalarKernels.adamRange(w, g, m, v, stepSize, invCorrection2, beta1, beta2, epsilon, i, n);
  }

  @Override
  public double sumOfSquares(float[] x, int n) {
    return ScalarKernels.sumRanges(pool, x, n, SQUARES_CHUNK, VectorKernels::squaresRange);
  }

  private static double squaresRange(float[] x, int from, int to) {
    double total = 0;
    int i = from;
    while (i + SQUARES_CHUNK <= to) {
      total += squaresChunk(x, i, SQUARES_CHUNK);
      i += SQUARES_CHUNK;
    }
    if (i < to) {
      total += squaresChunk(x, i, to - i);
    }
    return total;
  }

  /** Sum of squares of a chunk short enough that float lanes lose little precision. */
  private static double squaresChunk(float[] x, int o, int len) {
    if (len < L) {
      double sum = 0;
      for (int j = 0; j < len; j++) {
        sum += (double) x[o + j] * x[o + j];
      }
      return sum;
    }
    FloatVector s0 = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector v0 = FloatVector.fromArray(S, x, o + j);
      s0 = v0.fma(v0, s0);
    }
    double sum = s0.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      sum += (double) x[o + j] * x[o + j];
    }
    return sum;
  }

  @Override
  public void scale(float[] x, float s, int n) {
    scaleRange(x, 0, n, s);
  }
}
