package dev.graft.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/** Bytes a warm call allocates on the calling thread, with HotSpot's per-thread counter. */
public final class Allocations {
  private Allocations() {}

  /**
   * The fewest bytes this thread allocated over {@code calls} calls, in up to {@code rounds}
   * rounds after {@code warmUp} calls, stopping at the first round without any (what the
   * counter's own reading allocates is taken off). Until C2 has compiled the path, escape
   * analysis has not yet removed short-lived objects (such as the kernels' lambdas), hence the
   * rounds. Skips the test where the JVM has no such counter.
   */
  public static long fewestBytesOver(Runnable call, int warmUp, int calls, int rounds) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no com.sun.management.ThreadMXBean");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(counter.isThreadAllocatedMemorySupported(), "per-thread allocation counting unsupported");
    counter.setThreadAllocatedMemoryEnabled(true);
    for (int i = 0; i < warmUp; i++) {
      call.run();
    }
    long fewest = Long.MAX_VALUE;
    for (int round = 0; round < rounds && fewest > 0; round++) {
      long before = counter.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < calls; i++) {
        call.run();
      }
      long after = counter.getCurrentThreadAllocatedBytes();
      fewest = Math.min(fewest, after - before - (counter.getCurrentThreadAllocatedBytes() - after));
    }
    return fewest;
  }
}
