package dev.graft.bench;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
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
 * The lecture's softmax regression ({@link SoftmaxRegression}): one full-batch SGD step, and the
 * predictions for a single example. Random standardized features and random one-hot labels.
 *
 * <p>The inputs are passed as arrays held in the state, since a varargs call builds a new array
 * each time. {@code trainStep} and {@code predictOneInto} then allocate nothing in the runtime
 * (the latter writes into a preallocated output with {@code session.runInto}); {@code predictOne}
 * is the allocating form, {@code session.run}, which makes a new output for every call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LogisticRegressionBenchmark {
  /** iris: batch 150, 4 features, 3 classes; mnist: batch 100, 784 features, 10 classes. */
  @Param({"iris", "mnist"})
  String shape;

  @Param({"1", "2"})
  int threads;

  private Session session;
  private Trainer trainer;
  private NDArray[] xAndY;
  private NDArray[] example;
  private NDArray prediction;

  @Setup(Level.Trial)
  public void setUp() {
    int batch = shape.equals("iris") ? 150 : 100;
    int features = shape.equals("iris") ? 4 : 784;
    int classes = shape.equals("iris") ? 3 : 10;
    SplittableRandom random = new SplittableRandom(42);
    float[] xs = new float[batch * features];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) (random.nextDouble() * 2 - 1);
    }
    float[] ys = new float[batch * classes];
    for (int r = 0; r < batch; r++) {
      ys[r * classes + random.nextInt(classes)] = 1;
    }
    xAndY = new NDArray[] {NDArray.of(xs, batch, features), NDArray.of(ys, batch, classes)};
    float[] first = new float[features];
    System.arraycopy(xs, 0, first, 0, features);
    example = new NDArray[] {NDArray.of(first, 1, features)};
    prediction = NDArray.zeros(1, classes);

    session = Session.open(SoftmaxRegression.class, Device.cpu(threads),
        Dims.of("features", features, "classes", classes));
    session.initialize(42);
    // A small rate keeps the loss finite over millions of steps on random labels.
    trainer = session.trainer("cost", Optimizers.sgd(0.01f));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    session.close();
  }

  /** Forward, backward and SGD update over the whole batch; returns the loss. */
  @Benchmark
  public float trainStep() {
    return trainer.step(xAndY);
  }

  /** Class probabilities of one example, in a new array: {@code session.run(predictions, x[1 x features])}. */
  @Benchmark
  public NDArray predictOne() {
    return session.run(0, example);
  }

  /** {@link #predictOne} into a preallocated [1 x classes]: {@code session.runInto(predictions, into, x[1 x features])}. */
  @Benchmark
  public NDArray predictOneInto() {
    return session.runInto(0, prediction, example);
  }
}
