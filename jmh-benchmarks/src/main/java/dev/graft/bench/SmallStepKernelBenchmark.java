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
 * The kernel library calls of one {@link SoftmaxRegression} training step, each on its own, at a
 * [batch, features] → classes shape (Iris by default): the calls the generated step makes, in its
 * order, so that {@link LogisticRegressionBenchmark#trainStep} can be read as their sum plus the
 * session's overhead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SmallStepKernelBenchmark {
  @Param({"150"})
  public int batch;

  @Param({"4"})
  public int features;

  @Param({"3"})
  public int classes;

  @Param({"scalar", "simd"})
  public String impl;

  private ThreadPool pool;
  private Kernels kernels;
  private float[] x;
  private float[] beta;
  private float[] logits;
  private float[] labels;
  private float[] loss;
  private float[] mean;
  private float[] rowScale;
  private float[] grad;
  private float[] gradBias;
  private float[] gradBeta;

  @Setup
  public void setUp() throws ReflectiveOperationException {
    pool = new ThreadPool(1);
    kernels = GemmBenchmark.Impls.create(impl, pool);
    SplittableRandom rnd = new SplittableRandom(3);
    x = GemmBenchmark.Impls.random(rnd, batch * features);
    beta = GemmBenchmark.Impls.random(rnd, features * classes);
    logits = new float[batch * classes];
    kernels.gemm(false, false, batch, classes, features, x, 0, beta, 0, logits, 0, false);
    labels = new float[batch * classes];
    for (int r = 0; r < batch; r++) {
      labels[r * classes + rnd.nextInt(classes)] = 1;
    }
    loss = new float[batch];
    mean = new float[1];
    rowScale = new float[batch];
    java.util.Arrays.fill(rowScale, 1f / batch);
    grad = new float[batch * classes];
    kernels.softmaxCrossEntropyGradRows(logits, labels, rowScale, grad, batch, classes);
    gradBias = new float[classes];
    gradBeta = new float[features * classes];
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  /** logits = x · β. */
  @Benchmark
  public float[] forwardProduct() {
    kernels.gemm(false, false, batch, classes, features, x, 0, beta, 0, logits, 0, false);
    return logits;
  }

  /** The per-example loss. */
  @Benchmark
  public float[] crossEntropy() {
    kernels.softmaxCrossEntropyRows(logits, labels, loss, batch, classes);
    return loss;
  }

  /** The loss's mean over the batch (a sum; the division is generated code). */
  @Benchmark
  public float[] meanLoss() {
    kernels.reduceSum(loss, mean, 1, batch, 1);
    return mean;
  }

  /** d cost / d logits. */
  @Benchmark
  public float[] crossEntropyGrad() {
    kernels.softmaxCrossEntropyGradRows(logits, labels, rowScale, grad, batch, classes);
    return grad;
  }

  /** d cost / d bias: the gradient's sum over the batch. */
  @Benchmark
  public float[] biasGrad() {
    kernels.reduceSum(grad, gradBias, 1, batch, classes);
    return gradBias;
  }

  /** d cost / d β = xᵀ · grad. */
  @Benchmark
  public float[] weightGrad() {
    kernels.gemm(true, false, features, classes, batch, x, 0, grad, 0, gradBeta, 0, false);
    return gradBeta;
  }
}
