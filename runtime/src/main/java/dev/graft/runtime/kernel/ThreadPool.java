package dev.graft.runtime.kernel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A small fixed pool for outer-loop parallelism (row blocks of a GEMM, batch rows).
 *
 * <p>{@link #parallelFor} hands indices out one at a time from a shared counter; the calling
 * thread takes part, so nested calls cannot deadlock and a pool of one thread runs everything
 * inline. Worker threads are daemons named {@code graft-kernel-<pool>-<n>}.
 *
 * <p>Once warm, {@link #parallelFor} allocates nothing on the heap: the bookkeeping of a call (a
 * {@code Job}) comes from a free list and goes back to it when the caller and every worker that
 * joined it are done with it. A call is published in a small list of active jobs, which the
 * caller withdraws as soon as every index is claimed, so a worker that wakes up late finds
 * nothing to join rather than a stale entry; the number of jobs in flight is therefore bounded
 * by the concurrent and nested calls plus the workers, however the threads are scheduled.
 * An idle worker spins briefly for the next call, then waits on a monitor, whose
 * {@code wait}/{@code notify} allocate nothing either. Only a new high-water mark of concurrent
 * or nested calls allocates. The {@code task} is the caller's:
 * a capturing lambda created per call is the caller's allocation.
 */
public final class ThreadPool implements AutoCloseable {
  private static final AtomicInteger POOL_IDS = new AtomicInteger();
  /** Jobs kept for reuse; more jobs in flight than this allocate. */
  private static final int MAX_FREE_JOBS = 16;
  /** How long an idle worker, or a caller waiting for the workers, spins before it parks. */
  private static final long SPIN_NANOS = 50_000;

  private final int threads;
  private final Thread[] workers;

  /** Guards {@link #active}, the free list and {@link Job#helpersWanted}; workers wait on it. */
  private final Object lock = new Object();
  /** The calls that still have unclaimed indices and want helpers; grown when full. */
  private Job[] active = new Job[4];
  /** Written under {@link #lock}; volatile so that a spinning worker sees new calls. */
  private volatile int activeCount;
  private final Job[] free = new Job[MAX_FREE_JOBS];
  private int freeCount;
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
    int helpers = Math.min(workers.length, tasks - 1);
    Job job;
    synchronized (lock) {
      job = freeCount > 0 ? free[--freeCount] : new Job();
      job.start(tasks, task, helpers);
      if (activeCount == active.length) {
        active = Arrays.copyOf(active, 2 * active.length);
      }
      active[activeCount++] = job;
      if (helpers == 1) {
        lock.notify();
      } else {
        lock.notifyAll();
      }
    }
    job.run();
    synchronized (lock) { // every index is claimed: late workers must not join
      withdraw(job);
    }
    job.awaitDone();
    Throwable failure = job.failure.get();
    release(job);
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
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
  }

  @Override
  public String toString() {
    return "ThreadPool[" + threads + " threads" + (closed ? ", closed" : "") + "]";
  }

  /** Removes {@code job} from {@link #active} if it is there; under {@link #lock}. */
  private void withdraw(Job job) {
    for (int i = 0; i < activeCount; i++) {
      if (active[i] == job) {
        active[i] = active[--activeCount];
        active[activeCount] = null;
        return;
      }
    }
  }

  /** Drops one reference to {@code job}; the last one returns it to the free list. */
  private void release(Job job) {
    if (job.refs.decrementAndGet() != 0) {
      return;
    }
    job.body = null; // keep nothing of the caller alive
    job.failure.set(null);
    synchronized (lock) {
      if (freeCount < free.length) {
        free[freeCount++] = job;
      }
    }
  }

  private void workerLoop() {
    while (true) {
      Job job = awaitJob();
      if (job == null) {
        return;
      }
      try {
        job.run();
      } finally {
        release(job);
      }
    }
  }

  /** The next job that wants a helper, joined; null once the pool is closed. */
  private Job awaitJob() {
    spinForWork();
    synchronized (lock) {
      while (true) {
        if (closed) {
          return null;
        }
        for (int i = 0; i < activeCount; i++) {
          Job job = active[i];
          if (job.helpersWanted > 0) {
            job.refs.incrementAndGet();
            if (--job.helpersWanted == 0) {
              withdraw(job);
            }
            return job;
          }
        }
        try {
          lock.wait();
        } catch (InterruptedException e) {
          // only close() stops a worker
        }
      }
    }
  }

  /**
   * Busy-waits up to {@link #SPIN_NANOS} for a call to be published before the worker parks: a
   * model's products come a few microseconds apart, and waking a parked thread costs more than
   * that (≈ 10–15 µs on a 2-vCPU VM). {@link #activeCount} is read without the lock; it is only
   * a hint, and {@link #awaitJob} looks for a job again under the lock.
   */
  private void spinForWork() {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (activeCount == 0 && !closed) {
      for (int i = 0; i < 64; i++) {
        Thread.onSpinWait();
      }
      if (System.nanoTime() - deadline > 0) {
        return;
      }
    }
  }

  /**
   * One parallelFor call: a claim counter, a completion counter and the first failure, plus a
   * count of the threads that hold it (the caller and each worker that joined), so that it is
   * reused only when no thread can still see this call's fields.
   */
  private static final class Job {
    private int tasks;
    private IntConsumer body;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger refs = new AtomicInteger();
    /** How many more workers may join; under the pool's lock. */
    private int helpersWanted;

    /** Prepares a free job for a call, held by the caller; the lock hands it to workers safely. */
    void start(int tasks, IntConsumer body, int helpers) {
      this.tasks = tasks;
      this.body = body;
      next.set(0);
      finished.set(0);
      failure.set(null);
      refs.set(1);
      helpersWanted = helpers;
    }

    void run() {
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
      // A worker's last block usually ends within microseconds of the caller's: spin (see
      // SPIN_NANOS) rather than pay for a park and a wake-up.
      long deadline = System.nanoTime() + SPIN_NANOS;
      while (System.nanoTime() - deadline < 0) {
        if (finished.get() == tasks) {
          return;
        }
        Thread.onSpinWait();
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
