package dev.graft.bench;

import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.SplittableRandom;
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
 * Square single-precision GEMM, {@code C = A·B}, n×n. Reports operations per second; one
 * operation is 2n³ floating-point operations, so GFLOP/s = 2n³ · ops/s / 1e9.
 *
 * <p>{@code impl=simd} loads {@code dev.graft.runtime.simd.VectorKernels} by class name, as
 * {@code KernelProvider} does, so run with {@code --add-modules jdk.incubator.vector}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GemmBenchmark {
  @Param({"64", "128", "256", "512"})
  public int size;

  @Param({"scalar", "simd"})
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

  @Setup
  public void setUp() throws ReflectiveOperationException {
    pool = new ThreadPool(threads);
    kernels = Impls.create(impl, pool);
    SplittableRandom rnd = new SplittableRandom(1);
    a = Impls.random(rnd, size * size);
    b = Impls.random(rnd, size * size);
    c = new float[size * size];
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] gemm() {
    kernels.gemm(false, transposeB, size, size, size, a, 0, b, 0, c, 0, false);
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
          throw new IllegalArgumentException("impl must be scalar or simd: " + impl);
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
