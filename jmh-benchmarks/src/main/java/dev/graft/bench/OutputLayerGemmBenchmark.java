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

/**
 * The three products of the language model's output layer at the PTB small shape (400 words a
 * step, hidden 200, vocabulary 10000), as its generated code calls them: {@code forward} =
 * h · W (400 × 200 · 200 × 10000), {@code weightGradient} = hᵀ · dlogits (200 × 400 · 400 ×
 * 10000, A transposed), {@code inputGradient} = dlogits · Wᵀ (400 × 10000 · 10000 × 200, B
 * transposed). Each is 1.6 GFLOP: GFLOP/s = 1.6 / (ms/op / 1000). {@code impl} scalar|simd
 * (simd needs {@code --add-modules jdk.incubator.vector}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class OutputLayerGemmBenchmark {
  private static final int WORDS = 400;
  private static final int HIDDEN = 200;
  private static final int VOCABULARY = 10000;

  @Param({"forward", "weightGradient", "inputGradient"})
  public String product;

  @Param({"simd"})
  public String impl;

  @Param({"1", "2"})
  public int threads;

  private ThreadPool pool;
  private Kernels kernels;
  private float[] hidden;
  private float[] weights;
  private float[] logitGradient;
  private float[] out;

  @Setup
  public void setUp() throws ReflectiveOperationException {
    pool = new ThreadPool(threads);
    kernels = GemmBenchmark.Impls.create(impl, pool);
    SplittableRandom rnd = new SplittableRandom(5);
    hidden = GemmBenchmark.Impls.random(rnd, WORDS * HIDDEN);
    weights = GemmBenchmark.Impls.random(rnd, HIDDEN * VOCABULARY);
    logitGradient = GemmBenchmark.Impls.random(rnd, WORDS * VOCABULARY);
    out = new float[WORDS * VOCABULARY];
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] gemm() {
    switch (product) {
      case "forward" -> kernels.gemm(false, false, WORDS, VOCABULARY, HIDDEN, hidden, 0, weights, 0, out, 0,
          false);
      case "weightGradient" -> kernels.gemm(true, false, HIDDEN, VOCABULARY, WORDS, hidden, 0, logitGradient, 0,
          out, 0, false);
      case "inputGradient" -> kernels.gemm(false, true, WORDS, HIDDEN, VOCABULARY, logitGradient, 0, weights, 0,
          out, 0, false);
      default -> throw new IllegalArgumentException(
          "product must be forward, weightGradient or inputGradient: " + product);
    }
    return out;
  }
}
