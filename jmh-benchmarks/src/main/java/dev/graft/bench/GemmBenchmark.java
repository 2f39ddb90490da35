package dev.graft.bench;

import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.SplittableRandom;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Square single-precision GEMM, {@code C = A·B} (or {@code A·Bᵀ} with {@code transposeB}), n×n.
 * Reports operations per second; one operation is 2n³ floating-point operations, so GFLOP/s =
 * 2n³ · ops/s / 1e9.
 *
 * <p>{@code impl=simd} loads {@code dev.graft.runtime.simd.VectorKernels} by class name, as
 * {@code KernelProvider} does, so run with {@code --add-modules jdk.incubator.vector}.
 * {@code impl=ejml} is the reference: EJML's {@code CommonOps_FDRM.mult} on one thread and
 * {@code CommonOps_MT_FDRM.mult} (its concurrent version, limited to {@code threads}) otherwise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GemmBenchmark {
  @Param({"64", "128", "256", "512", "1024"})
  public int size;

  @Param({"scalar", "simd", "ejml"})
  public String impl;

  @Param({"1", "2"})
  public int threads;

  @Param({"false"})
  public boolean transposeB;

  private ThreadPool pool;
  private Kernels kernels;
  private float[] a;
  private float[] b;
  private float[] c;
  private FMatrixRMaj ea;
  private FMatrixRMaj eb;
  private FMatrixRMaj ec;

  @Setup
  public void setUp() throws ReflectiveOperationException {
    pool = new ThreadPool(threads);
    SplittableRandom rnd = new SplittableRandom(1);
    a = Impls.random(rnd, size * size);
    b = Impls.random(rnd, size * size);
    c = new float[size * size];
    if (impl.equals("ejml")) {
      EjmlConcurrency.setMaxThreads(threads);
      ea = FMatrixRMaj.wrap(size, size, a);
      eb = FMatrixRMaj.wrap(size, size, b);
      ec = FMatrixRMaj.wrap(size, size, c);
    } else {
      kernels = Impls.create(impl, pool);
    }
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] gemm() {
    if (kernels != null) {
      kernels.gemm(false, transposeB, size, size, size, a, 0, b, 0, c, 0, false);
    } else if (threads == 1) {
      if (transposeB) {
        CommonOps_FDRM.multTransB(ea, eb, ec);
      } else {
        CommonOps_FDRM.mult(ea, eb, ec);
      }
    } else if (transposeB) {
      CommonOps_MT_FDRM.multTransB(ea, eb, ec);
    } else {
      CommonOps_MT_FDRM.mult(ea, eb, ec);
    }
    return c;
  }

  /** Shared set-up helpers. */
  static final class Impls {
    private Impls() {}

    static Kernels create(String impl, ThreadPool pool) throws ReflectiveOperationException {
      switch (impl) {
        case "scalar":
          return new ScalarKernels(pool);
        case "simd":
          return (Kernels) Class.forName("dev.graft.runtime.simd.VectorKernels")
              .getConstructor(ThreadPool.class).newInstance(pool);
        default:
          throw new IllegalArgumentException("impl must be scalar, simd or ejml: " + impl);
      }
    }

    static float[] random(SplittableRandom rnd, int n) {
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      return x;
    }
  }
}
