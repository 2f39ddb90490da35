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
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
 * {@code tanh(x * w + b)} over n floats: the model's generated fused loop, in its plain-Java class
 * and in its Vector API variant (the one a session runs when the JVM has the Vector API), against
 * the same three ops as three passes over arrays, in plain Java and with the Vector API, and a
 * plain copy of n floats as the memory-bandwidth reference. The {@code *Relu} rows repeat the
 * comparison with {@code relu} in place of {@code tanh}, where memory traffic rather than the
 * activation's arithmetic should set the time. Time per op is µs; divide by n for ns/element.
 * {@code threads} sizes the pool of the session and executors, which run a generated loop this
 * large across the pool ({@code Kernels.forRows}); the unfused rows and the copy always run on
 * the calling thread. Run with {@code --add-modules jdk.incubator.vector}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FusedChainBenchmark {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final float[][] NO_VARIABLES = new float[0][];

  @Param({"1048576", "16777216"})
  int n;

  @Param({"1", "2"})
  int threads;

  private float[] x;
  private float[] w;
  private float[] b;
  private float[] product;
  private float[] sum;
  private float[] out;

  private Session session;
  private NDArray xArray;

  private ThreadPool pool;
  private ModelExecutor scalar;
  private ModelExecutor vector;
  private ModelExecutor reluScalar;
  private ModelExecutor reluVector;
  /** {@link TanhPass}'s vector variant on a pool of one: the unfused passes stay on the caller. */
  private ModelExecutor tanhPass;
  private ThreadPool callerOnly;
  private Object[] sumInput;
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

    session = Session.open(FusedChain.class, Device.cpu(threads), Dims.of("n", n));
    session.assign("w", NDArray.of(w, n));
    session.assign("b", NDArray.of(b, n));
    xArray = NDArray.of(x, n);

    pool = new ThreadPool(threads);
    scalar = new GraftFusedChain().newExecutor(KernelProvider.create(pool));
    vector = new GraftFusedChain.Vector().newExecutor(KernelProvider.create(pool));
    reluScalar = new GraftFusedRelu().newExecutor(KernelProvider.create(pool));
    reluVector = new GraftFusedRelu.Vector().newExecutor(KernelProvider.create(pool));
    callerOnly = new ThreadPool(1);
    tanhPass = new GraftTanhPass.Vector().newExecutor(KernelProvider.create(callerOnly));
    sumInput = new Object[] {sum};
    dims = new int[] {n};
    inputs = new Object[] {x};
    variables = new float[][] {w, b};

    // The plain-Java loops use Math.tanh, as the scalar class does: the same bits. The Vector
    // API's tanh is another implementation, so those rows agree within a few ulps only.
    float[] expected = unfusedScalar().clone();
    check("fusedScalar", expected, fusedScalar(), 0f);
    check("fusedVector", expected, fusedVector(), 1e-6f);
    check("unfusedVector", expected, unfusedVector(), 1e-6f);
    check("session", expected, session().toFloatArray(), 1e-6f);
    float[] expectedRelu = unfusedRelu().clone();
    check("fusedReluScalar", expectedRelu, fusedReluScalar(), 0f);
    check("fusedReluVector", expectedRelu, fusedReluVector(), 0f);
  }

  private static void check(String name, float[] expected, float[] actual, float tolerance) {
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
        throw new AssertionError(name + " differs at " + i + ": " + actual[i] + " vs " + expected[i]);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    session.close();
    pool.close();
    callerOnly.close();
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

  /** The generated plain-Java fused loop alone, into a preallocated output. */
  @Benchmark
  public float[] fusedScalar() {
    scalar.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** The generated Vector API fused loop alone, into a preallocated output. */
  @Benchmark
  public float[] fusedVector() {
    vector.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** The same float operations as three plain-Java passes with intermediate arrays. */
  @Benchmark
  public float[] unfusedScalar() {
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

  /**
   * The same three passes with the Vector API, as three library kernels would run: a product and
   * a sum written here, then the generated vector variant's tanh ({@link TanhPass}).
   */
  @Benchmark
  public float[] unfusedVector() {
    int l = SPECIES.length();
    int bound = SPECIES.loopBound(n);
    for (int i = 0; i < bound; i += l) {
      FloatVector.fromArray(SPECIES, w, i).mul(FloatVector.fromArray(SPECIES, x, i)).intoArray(product, i);
    }
    for (int i = 0; i < bound; i += l) {
      FloatVector.fromArray(SPECIES, b, i).add(FloatVector.fromArray(SPECIES, product, i)).intoArray(sum, i);
    }
    for (int i = bound; i < n; i++) {
      sum[i] = b[i] + w[i] * x[i];
    }
    // The generated vector variant's tanh, on the caller, so that both rows run the same operations.
    tanhPass.run(0, dims, sumInput, NO_VARIABLES, out, null);
    return out;
  }

  /** Bandwidth reference: read n floats, write n floats. */
  @Benchmark
  public float[] copy() {
    System.arraycopy(x, 0, out, 0, n);
    return out;
  }

  /** The generated plain-Java fused loop of {@link FusedRelu}, into a preallocated output. */
  @Benchmark
  public float[] fusedReluScalar() {
    reluScalar.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** The generated Vector API fused loop of {@link FusedRelu}, into a preallocated output. */
  @Benchmark
  public float[] fusedReluVector() {
    reluVector.run(0, dims, inputs, variables, out, null);
    return out;
  }

  /** {@code relu(x * w + b)} as three plain-Java passes, float math as in the generated loop. */
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
