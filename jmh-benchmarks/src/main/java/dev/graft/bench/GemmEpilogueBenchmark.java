package dev.graft.bench;

import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * A dense layer's product with its epilogue, {@code C = act(A·B + bias)}, on the Vector API
 * library: {@code fused} hands the epilogue to {@code gemm}, which runs it on each block of
 * finished rows on the thread that computed them (what generated code does since the epilogue
 * hook; since the thirteenth session a product that streams B, such as the output layer's,
 * runs it after the product, split by rows across the pool); {@code separate} runs the same epilogue over all of C on the caller after the product
 * (what generated code did before). The epilogue is written as the processor writes a vector
 * epilogue. Shapes are m×n×k: the language model's output layer (400×10000×200), its LSTM gates
 * at batch 20 (20×800×400), and a square product. Run with {@code --add-modules
 * jdk.incubator.vector}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmEpilogueBenchmark {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  @Param({"400x10000x200", "20x800x400", "512x512x512"})
  public String shape;

  @Param({"bias", "tanh"})
  public String activation;

  @Param({"1", "2"})
  public int threads;

  private ThreadPool pool;
  private Kernels kernels;
  private int m;
  private int n;
  private int k;
  private float[] a;
  private float[] b;
  private float[] c;
  private Kernels.RowWork epilogue;

  @Setup
  public void setUp() throws ReflectiveOperationException {
    String[] dims = shape.split("x");
    m = Integer.parseInt(dims[0]);
    n = Integer.parseInt(dims[1]);
    k = Integer.parseInt(dims[2]);
    pool = new ThreadPool(threads);
    kernels = GemmBenchmark.Impls.create("simd", pool);
    SplittableRandom rnd = new SplittableRandom(3);
    a = GemmBenchmark.Impls.random(rnd, m * k);
    b = GemmBenchmark.Impls.random(rnd, k * n);
    c = new float[m * n];
    float[] bias = GemmBenchmark.Impls.random(rnd, n);
    epilogue = new Dense(bias, c, n, activation.equals("tanh"));
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] fused() {
    kernels.gemm(false, false, m, n, k, a, 0, b, 0, c, 0, false, epilogue);
    return c;
  }

  @Benchmark
  public float[] separate() {
    kernels.gemm(false, false, m, n, k, a, 0, b, 0, c, 0, false);
    epilogue.run(0, m);
    return c;
  }

  /** {@code c[i, j] += bias[j]}, then {@code tanh} when asked, over rows [row0, row1). */
  private static final class Dense implements Kernels.RowWork {
    private final float[] bias;
    private final float[] c;
    private final int n;
    private final boolean tanh;

    Dense(float[] bias, float[] c, int n, boolean tanh) {
      this.bias = bias;
      this.c = c;
      this.n = n;
      this.tanh = tanh;
    }

    @Override
    public void run(int row0, int row1) {
      for (int i = row0, o = row0 * n; i < row1; i++, o += n) {
        if (tanh) {
          biasTanhRow(o);
        } else {
          biasRow(o);
        }
      }
    }

    private void biasRow(int o) {
      int j = 0;
      for (int u = SPECIES.loopBound(n); j < u; j += SPECIES.length()) {
        FloatVector.fromArray(SPECIES, c, o + j).add(FloatVector.fromArray(SPECIES, bias, j)).intoArray(c, o + j);
      }
      for (; j < n; j++) {
        c[o + j] += bias[j];
      }
    }

    private void biasTanhRow(int o) {
      int j = 0;
      for (int u = SPECIES.loopBound(n); j < u; j += SPECIES.length()) {
        FloatVector.fromArray(SPECIES, c, o + j).add(FloatVector.fromArray(SPECIES, bias, j))
            .lanewise(VectorOperators.TANH).intoArray(c, o + j);
      }
      for (; j < n; j++) {
        c[o + j] = (float) Math.tanh(c[o + j] + bias[j]);
      }
    }
  }
}
