package dev.graft.bench;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.ModelExecutor;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizer;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import dev.graft.runtime.kernel.KernelProvider;
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
 * The cost of the runtime around the generated kernels, on {@link TinyRegression}: run with
 * {@code -prof gc} and read {@code gc.alloc.rate.norm} (bytes per call; after warm-up the
 * {@code Into}, {@code eval}, {@code loss} and {@code trainStep} forms should show 0, and
 * {@code inferenceRun}/{@code inferenceByName} the result they allocate). The {@code kernelsOnly}
 * benchmarks call the generated executor (the scalar variant, whatever kernel library is in use)
 * and the optimizer directly, with no validation; the difference to the others is the per-call
 * overhead of {@code Session}, {@code Trainer} and the facade.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathAllocationBenchmark {
  @Param({"8"})
  public int batch;

  private GraftTinyRegression.Facade facade;
  private GraftTinyRegression.CostTrainer facadeTrainer;
  private Session session;
  private Trainer trainer;
  private NDArray x;
  private NDArray[] xOnly;
  private NDArray[] xAndY;
  private NDArray into;
  private Feeds xFeeds;
  private Feeds xyFeeds;

  // Kernels only: the generated executor, fed directly.
  private ThreadPool pool;
  private Kernels kernels;
  private ModelExecutor executor;
  private Optimizer optimizer;
  private int[] dims;
  private Object[] xData;
  private Object[] xyData;
  private float[][] variables;
  private float[][] gradients;
  private float[] out;
  private float[] loss;

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(7);
    float[] xs = new float[batch * 4];
    float[] ys = new float[batch];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) random.nextDouble(-1, 1);
    }
    for (int i = 0; i < ys.length; i++) {
      ys[i] = (float) random.nextDouble(-1, 1);
    }
    x = NDArray.of(xs, batch, 4);
    NDArray y = NDArray.of(ys, batch, 1);
    xOnly = new NDArray[] {x};
    xAndY = new NDArray[] {x, y};
    into = NDArray.zeros(batch, 1);
    xFeeds = Feeds.of("x", x);
    xyFeeds = Feeds.of("x", x, "y", y);

    facade = GraftTinyRegression.open(Device.cpu(1));
    facade.initialize(1);
    facadeTrainer = facade.costTrainer(Optimizers.sgd(1e-6f));
    session = facade.session();
    trainer = session.trainer("cost", Optimizers.sgd(1e-6f));

    pool = new ThreadPool(1);
    kernels = KernelProvider.create(pool);
    executor = new GraftTinyRegression().newExecutor(kernels);
    optimizer = Optimizers.sgd(1e-6f);
    dims = new int[] {batch};
    xData = new Object[] {xs};
    xyData = new Object[] {xs, ys};
    variables = new float[][] {{0.1f, -0.2f, 0.3f, 0.4f}, {0f}};
    gradients = new float[][] {new float[4], new float[1]};
    out = new float[batch];
    loss = new float[1];
  }

  @TearDown
  public void tearDown() {
    facade.close();
    pool.close();
  }

  @Benchmark
  public float[] inferenceKernelsOnly() {
    executor.run(0, dims, xData, variables, out, null);
    return out;
  }

  @Benchmark
  public NDArray inferenceRunInto() {
    return session.runInto(0, into, xOnly);
  }

  @Benchmark
  public NDArray inferenceFacadeInto() {
    return facade.predictions(x, into);
  }

  /** Allocates the result: the convenient form. */
  @Benchmark
  public NDArray inferenceRun() {
    return session.run(0, x);
  }

  @Benchmark
  public NDArray inferenceByName() {
    return session.run("predictions", xFeeds);
  }

  @Benchmark
  public NDArray inferenceByNameInto() {
    return session.runInto("predictions", into, xFeeds);
  }

  @Benchmark
  public float lossEval() {
    return session.eval(1, xAndY);
  }

  @Benchmark
  public float lossFacade() {
    return facade.cost(x, xAndY[1]);
  }

  @Benchmark
  public float trainStepKernelsOnly() {
    executor.run(1, dims, xyData, variables, loss, gradients);
    optimizer.apply(kernels, variables, gradients);
    return loss[0];
  }

  @Benchmark
  public float trainStep() {
    return trainer.step(xAndY);
  }

  @Benchmark
  public float trainStepFacade() {
    return facadeTrainer.step(xAndY[0], xAndY[1]);
  }

  @Benchmark
  public float trainStepByName() {
    return trainer.step(xyFeeds);
  }
}
