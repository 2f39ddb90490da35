package dev.graft.bench;

import dev.graft.runtime.kernel.Kernels;
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

/** Row-wise kernels on a [rows, cols] batch of logits, scalar vs Vector API. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KernelBenchmark {
  @Param({"20"})
  public int rows;

  @Param({"10000"})
  public int cols;

  @Param({"scalar", "simd"})
  public String impl;

  @Param({"1"})
  public int threads;

  private ThreadPool pool;
  private Kernels kernels;
  private float[] x;
  private float[] y;
  private int[] labels;
  private float[] loss;

  @Setup
  public void setUp() throws ReflectiveOperationException {
    pool = new ThreadPool(threads);
    kernels = GemmBenchmark.Impls.create(impl, pool);
    SplittableRandom rnd = new SplittableRandom(2);
    x = GemmBenchmark.Impls.random(rnd, rows * cols);
    for (int i = 0; i < x.length; i++) {
      x[i] *= 10;
    }
    y = new float[rows * cols];
    labels = new int[rows];
    for (int r = 0; r < rows; r++) {
      labels[r] = rnd.nextInt(cols);
    }
    loss = new float[rows];
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] softmaxRows() {
    kernels.softmaxRows(x, y, rows, cols);
    return y;
  }

  @Benchmark
  public float[] sparseSoftmaxCrossEntropyRows() {
    kernels.sparseSoftmaxCrossEntropyRows(x, labels, loss, rows, cols);
    return loss;
  }
}
