package dev.graft.bench;

import dev.graft.runtime.kernel.FloatMath;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The sum of e^x (and of ln x) over 450 floats, the exps of a 150 × 3 softmax: {@code Math}'s
 * double functions rounded to float against {@link FloatMath}'s. Scores are ns per element.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExpBenchmark {
  private static final int N = 450;
  private final float[] shifted = new float[N];
  private final float[] positive = new float[N];

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < N; i++) {
      shifted[i] = (float) (random.nextDouble() * -10); // x − max of a softmax row
      positive[i] = (float) (1 + random.nextDouble() * 9); // a row's sum of exps
    }
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public float mathExp() {
    float sum = 0f;
    for (float x : shifted) {
      sum += (float) Math.exp(x);
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public float floatMathExp() {
    float sum = 0f;
    for (float x : shifted) {
      sum += FloatMath.exp(x);
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public float mathLog() {
    float sum = 0f;
    for (float x : positive) {
      sum += (float) Math.log(x);
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public float floatMathLog() {
    float sum = 0f;
    for (float x : positive) {
      sum += FloatMath.log(x);
    }
    return sum;
  }
}
