package dev.graft.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Reference rows for the GEMM figures: the machine's float FMA peak as the Vector API reaches it,
 * and main-memory copy bandwidth.
 *
 * <p>{@code fma*}: one op is {@value #FMA_STEPS} steps of twelve independent register-resident
 * vector FMAs, so GFLOP/s = ops/s · {@value #FMA_STEPS} · 12 · 2 · lanes / 1e9 (lanes = 8 on
 * AVX2). Twelve accumulators cover the FMA latency times the number of FMA pipes on current x86
 * cores. {@code fma2} runs the same loop on two threads at once (the score is the sum).
 *
 * <p>{@code copy*}: one op moves {@value #COPY_FLOATS} floats (64 MiB) from one array to another,
 * so GB/s = ops/s · 2 · 64 MiB / 1e9 counting the read and the write (not the write-allocate).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PeakBenchmark {
  static final int FMA_STEPS = 4096;
  static final int COPY_FLOATS = 16 << 20;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private float[] seed;

  @Setup
  public void setUp() {
    seed = new float[S.length() * 14];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = 0.5f + i * 1e-3f;
    }
  }

  /** Lanes per vector, for converting scores to GFLOP/s. */
  public static int lanes() {
    return S.length();
  }

  @Benchmark
  @Threads(1)
  public float fma1() {
    return fmaLoop(seed);
  }

  @Benchmark
  @Threads(2)
  public float fma2() {
    return fmaLoop(seed);
  }

  /**
   * acc += m · d for twelve independent accumulators, the accumulator being the FMA's addend as in
   * a GEMM micro-kernel (vfmadd231ps with the accumulator as destination, no register copies).
   * Each call starts again from the seed, so the values stay small.
   */
  static float fmaLoop(float[] s) {
    int l = S.length();
    FloatVector m = FloatVector.broadcast(S, 1e-3f);
    FloatVector d = FloatVector.fromArray(S, s, 0);
    FloatVector a0 = FloatVector.fromArray(S, s, 0);
    FloatVector a1 = FloatVector.fromArray(S, s, l);
    FloatVector a2 = FloatVector.fromArray(S, s, 2 * l);
    FloatVector a3 = FloatVector.fromArray(S, s, 3 * l);
    FloatVector a4 = FloatVector.fromArray(S, s, 4 * l);
    FloatVector a5 = FloatVector.fromArray(S, s, 5 * l);
    FloatVector a6 = FloatVector.fromArray(S, s, 6 * l);
    FloatVector a7 = FloatVector.fromArray(S, s, 7 * l);
    FloatVector a8 = FloatVector.fromArray(S, s, 8 * l);
    FloatVector a9 = FloatVector.fromArray(S, s, 9 * l);
    FloatVector a10 = FloatVector.fromArray(S, s, 10 * l);
    FloatVector a11 = FloatVector.fromArray(S, s, 11 * l);
    for (int i = 0; i < FMA_STEPS; i++) {
      a0 = m.fma(d, a0);
      a1 = m.fma(d, a1);
      a2 = m.fma(d, a2);
      a3 = m.fma(d, a3);
      a4 = m.fma(d, a4);
      a5 = m.fma(d, a5);
      a6 = m.fma(d, a6);
      a7 = m.fma(d, a7);
      a8 = m.fma(d, a8);
      a9 = m.fma(d, a9);
      a10 = m.fma(d, a10);
      a11 = m.fma(d, a11);
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10)
        .add(a11).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }

  /** Arrays for the copy rows, allocated only when a copy benchmark runs. */
  @State(Scope.Thread)
  public static class Arrays {
    float[] src = new float[COPY_FLOATS];
    float[] dst = new float[COPY_FLOATS];
  }

  @Benchmark
  @Threads(1)
  public float[] copyArraycopy(Arrays s) {
    System.arraycopy(s.src, 0, s.dst, 0, COPY_FLOATS);
    return s.dst;
  }

  @Benchmark
  @Threads(1)
  public float[] copyLoop(Arrays s) {
    float[] from = s.src;
    float[] to = s.dst;
    for (int i = 0; i < COPY_FLOATS; i++) {
      to[i] = from[i];
    }
    return to;
  }
}
