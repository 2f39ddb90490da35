package dev.graft.bench;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated per warm {@link LanguageModelBenchmark#trainStep} (PTB small shape), summed
 * over every thread of the JVM (the pool's workers too), with HotSpot's per-thread counters. One
 * JVM gives one JIT outcome, so run it several times: on JDK 17 some JVMs compiled the LSTM cell
 * loop into code that allocates (jmh-benchmarks/README.md, fourteenth session). JMH's
 * {@code -prof gc} adds about 200 B/op of its own at this op length.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp jmh-benchmarks/target/benchmarks.jar \
 *     dev.graft.bench.TrainStepAllocationProbe [threads [warm-up steps]]
 * </pre>
 */
public final class TrainStepAllocationProbe {
  private static final int ROUNDS = 5;
  private static final int STEPS_PER_ROUND = 20;

  private TrainStepAllocationProbe() {}

  public static void main(String[] args) {
    LanguageModelBenchmark benchmark = new LanguageModelBenchmark();
    benchmark.threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 150;
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    mx.setThreadAllocatedMemoryEnabled(true);
    benchmark.setUp();
    try {
      for (int i = 0; i < warmUp; i++) benchmark.trainStep();
      long[] ids = mx.getAllThreadIds();
      long first = allocated(mx, ids);
      long probe = allocated(mx, ids) - first; // what a reading allocates itself
      StringBuilder line = new StringBuilder("threads=" + benchmark.threads + ", B/step over " + STEPS_PER_ROUND
          + " steps, all " + ids.length + " threads:");
      for (int round = 0; round < ROUNDS; round++) {
        long before = allocated(mx, ids);
        for (int i = 0; i < STEPS_PER_ROUND; i++) benchmark.trainStep();
        line.append(' ').append((allocated(mx, ids) - before - probe) / STEPS_PER_ROUND);
      }
      System.out.println(line);
    } finally {
      benchmark.tearDown();
    }
  }

  private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
    long sum = 0;
    for (long bytes : mx.getThreadAllocatedBytes(ids)) {
      if (bytes > 0) sum += bytes; // -1 for a thread that has ended
    }
    return sum;
  }
}
