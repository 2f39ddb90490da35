package dev.graft.runtime.kernel;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A small fixed pool for outer-loop parallelism (row blocks of a GEMM, batch rows).
 *
 * <p>{@link #parallelFor} hands indices out one at a time from a shared counter; the calling
 * thread takes part, so nested calls cannot deadlock and a pool of one thread runs everything
 * inline. Worker threads are daemons named {@code graft-kernel-<pool>-<n>}.
 */
public final class ThreadPool implements AutoCloseable {
  private static final AtomicInteger POOL_IDS = new AtomicInteger();
  private static final Runnable STOP = () -> { };

  private final int threads;
  private final Thread[] workers;
  private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
  private volatile boolean closed;

  /**
   * @param threads total parallelism including the calling thread, at least 1; a pool of one
   *     starts no worker threads
   */
  public ThreadPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.threads = threads;
    this.workers = new Thread[threads - 1];
    int poolId = POOL_IDS.incrementAndGet();
    for (int i = 0; i < workers.length; i++) {
      Thread t = new Thread(this::workerLoop, "graft-kernel-" + poolId + "-" + (i + 1));
      t.setDaemon(true);
      workers[i] = t;
      t.start();
    }
  }

  /** Total parallelism, counting the calling thread. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code task.accept(i)} for every i in [0, tasks) and returns when all have finished.
   * The calling thread runs tasks too. With {@code tasks <= 1} or a single-thread pool the
   * tasks run inline, in order. The first exception thrown by a task is rethrown here (an
   * unchecked one as is, anything else wrapped in a {@link RuntimeException}); tasks not yet
   * started when it happened are skipped.
   */
  public void parallelFor(int tasks, IntConsumer task) {
    if (tasks <= 0) {
      return;
    }
    if (tasks == 1 || threads == 1) {
      for (int i = 0; i < tasks; i++) {
        task.accept(i);
      }
      return;
    }
    if (closed) {
      throw new IllegalStateException("ThreadPool is closed");
    }
    Job job = new Job(tasks, task);
    int helpers = Math.min(workers.length, tasks - 1);
    for (int i = 0; i < helpers; i++) {
      queue.add(job);
    }
    job.run();
    job.awaitDone();
    Throwable failure = job.failure.get();
    if (failure != null) {
      if (failure instanceof RuntimeException) {
        throw (RuntimeException) failure;
      }
      if (failure instanceof Error) {
        throw (Error) failure;
      }
      throw new RuntimeException(failure);
    }
  }

  /** Stops the worker threads; tasks already handed out still finish. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < workers.length; i++) {
      queue.add(STOP);
    }
  }

  @Override
  public String toString() {
    return "ThreadPool[" + threads + " threads" + (closed ? ", closed" : "") + "]";
  }

  private void workerLoop() {
    while (true) {
      Runnable r;
      try {
        r = queue.take();
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
        continue;
      }
      if (r == STOP) {
        return;
      }
      r.run();
    }
  }

  /** One parallelFor call: a claim counter, a completion counter and the first failure. */
  private static final class Job implements Runnable {
    private final int tasks;
    private final IntConsumer body;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    Job(int tasks, IntConsumer body) {
      this.tasks = tasks;
      this.body = body;
    }

    @Override
    public void run() {
      int i;
      while ((i = next.getAndIncrement()) < tasks) {
        try {
          if (failure.get() == null) {
            body.accept(i);
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          if (finished.incrementAndGet() == tasks) {
            synchronized (this) {
              notifyAll();
            }
          }
        }
      }
    }

    void awaitDone() {
      if (finished.get() == tasks) {
        return;
      }
      // A short spin covers the common case of a helper finishing its last block.
      for (int spin = 0; spin < 200; spin++) {
        if (finished.get() == tasks) {
          return;
        }
      }
      boolean interrupted = false;
      synchronized (this) {
        while (finished.get() != tasks) {
          try {
            wait();
          } catch (InterruptedException e) {
            // Tasks write into the caller's arrays: returning early would be wrong.
            interrupted = true;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
