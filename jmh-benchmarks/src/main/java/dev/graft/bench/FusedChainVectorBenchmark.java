package dev.graft.bench;

import dev.graft.runtime.CompiledModel;
import dev.graft.runtime.ModelExecutor;
import dev.graft.runtime.kernel.KernelProvider;
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
 * One generated fused elementwise kernel, scalar class vs its nested Vector API variant, called
 * through the executor (no session, no feed validation). Run with
 * {@code --add-modules jdk.incubator.vector}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FusedChainVectorBenchmark {
  @Param({"64"})
  public int rows;

  @Param({"arithmetic", "transcendental"})
  public String chain;

  @Param({"scalar", "vector"})
  public String variant;

  private ThreadPool pool;
  private ModelExecutor executor;
  private int entry;
  private int[] dims;
  private Object[] inputs;
  private float[][] variables;
  private float[] out;

  @Setup
  public void setup() {
    pool = new ThreadPool(1);
    CompiledModel model = variant.equals("vector") ? new GraftVectorChain.Vector() : new GraftVectorChain();
    executor = model.newExecutor(KernelProvider.scalar(pool));
    entry = chain.equals("arithmetic") ? 0 : 1;
    dims = new int[] {rows};
    SplittableRandom r = new SplittableRandom(7);
    inputs = new Object[] {random(r, rows * 1024)};
    variables = new float[][] {random(r, 1024), random(r, 1024)};
    out = new float[rows * 1024];
  }

  private static float[] random(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 4 - 2);
    return a;
  }

  @TearDown
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] run() {
    executor.run(entry, dims, inputs, variables, out, null);
    return out;
  }
}
