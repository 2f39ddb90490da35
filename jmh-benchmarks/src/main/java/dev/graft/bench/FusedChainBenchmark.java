package dev.graft.bench;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.ModelExecutor;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Session;
import dev.graft.runtime.kernel.KernelProvider;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code tanh(x * w + b)} over n floats: the generated fused loop (through the session and
 * through its executor alone) against the same three ops as separate passes, and a plain copy
 * of n floats as the memory-bandwidth reference. The {@code *Relu} pair repeats the comparison
 * with {@code relu} in place of {@code tanh}, where memory traffic rather than the activation's
 * arithmetic should set the time. Time per op is µs; divide by n for ns/element.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FusedChainBenchmark {
  @Param({"1048576", "16777216"})
  int n;

  private float[] x;
  private float[] w;
  private float[] b;
  private float[] product;
  private float[] sum;
  private float[] out;

  private Session session;
  private NDArray xArray;

  private ThreadPool pool;
  private ModelExecutor executor;
  private ModelExecutor reluExecutor;
  private int[] dims;
  private Object[] inputs;
  private float[][] variables;

  @Setup(Level.Trial)
  public void setUp() {
    // Values in [-3, 3): zeros would hit tanh's tiny-argument shortcut and flatter every variant.
    SplittableRandom random = new SplittableRandom(42);
    x = uniform(random, n);
    w = uniform(random, n);
    b = uniform(random, n);
    product = new float[n];
    sum = new float[n];
    out = new float[n];

    // One thread: the generated elementwise loop is sequential whatever the device offers.
    session = Session.open(FusedChain.class, Device.cpu(1), Dims.of("n", n));
    session.assign("w", NDArray.of(w, n));
    session.assign("b", NDArray.of(b, n));
    xArray = NDArray.of(x, n);

    pool = new ThreadPool(1);
    executor = new GraftFusedChain().newExecutor(KernelProvider.create(pool));
    reluExecutor = new GraftFusedRelu().newExecutor(KernelProvider.create(pool));
    dims = new int[] {n};
    inputs = new Object[] {x};
    variables = new float[][] {w, b};

    float[] expected = unfused().clone();
    if (!Arrays.equals(expected, executor()) || !Arrays.equals(expected, session().toFloatArray())) {
      throw new AssertionError("fused and unfused tanh results differ");
    }
    float[] expectedRelu = unfusedRelu().clone();
    if (!Arrays.equals(expectedRelu, executorRelu())) {
      throw new AssertionError("fused and unfused relu results differ");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    session.close();
    pool.close();
  }

  private static float[] uniform(SplittableRandom random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (random.nextDouble() * 6 - 3);
    }
    return values;
  }

  /** Graft, fused, as an application calls it: validation plus a new n-float output per call. */
  @Benchmark
  public NDArray session() {
    return session.run(0, xArray);
  }

  /** Graft's generated executor alone, into a preallocated output. */
  @Benchmark
  public float[] executor() {
    executor.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** The same float operations as three passes with intermediate arrays. */
  @Benchmark
  public float[] unfused() {
    for (int i = 0; i < n; i++) {
      product[i] = w[i] * x[i];
    }
    for (int i = 0; i < n; i++) {
      sum[i] = b[i] + product[i];
    }
    for (int i = 0; i < n; i++) {
      out[i] = (float) Math.tanh(sum[i]);
    }
    return out;
  }

  /** Bandwidth reference: read n floats, write n floats. */
  @Benchmark
  public float[] copy() {
    System.arraycopy(x, 0, out, 0, n);
    return out;
  }

  /** The generated fused loop of {@link FusedRelu}, into a preallocated output. */
  @Benchmark
  public float[] executorRelu() {
    reluExecutor.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** {@code relu(x * w + b)} as three passes, float math as in the generated loop. */
  @Benchmark
  public float[] unfusedRelu() {
    for (int i = 0; i < n; i++) {
      product[i] = w[i] * x[i];
    }
    for (int i = 0; i < n; i++) {
      sum[i] = b[i] + product[i];
    }
    for (int i = 0; i < n; i++) {
      out[i] = Math.max(sum[i], 0f);
    }
    return out;
  }
}
