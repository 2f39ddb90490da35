package dev.graft.runtime;

/** Where a session runs: the CPU, with a number of worker threads. */
public final class Device {
  private final int threads;

  private Device(int threads) {
    this.threads = threads;
  }

  /** The CPU with one thread per available processor. */
  public static Device cpu() {
    return new Device(Runtime.getRuntime().availableProcessors());
  }

  /**
   * The CPU with {@code threads} threads (the calling thread counts as one).
   *
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static Device cpu(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("a device needs at least 1 thread, got " + threads);
    }
    return new Device(threads);
  }

  /** The number of threads kernels may use. */
  public int threads() {
    return threads;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device other && threads == other.threads;
  }

  @Override
  public int hashCode() {
    return threads;
  }

  /** For example {@code cpu(2 threads)}. */
  @Override
  public String toString() {
    return "cpu(" + threads + (threads == 1 ? " thread)" : " threads)");
  }
}
