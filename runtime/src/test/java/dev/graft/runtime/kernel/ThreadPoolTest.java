package dev.graft.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
  @Test
  void runsEveryTaskExactlyOnce() {
    try (ThreadPool pool = new ThreadPool(3)) {
      assertEquals(3, pool.threads());
      AtomicIntegerArray hits = new AtomicIntegerArray(1000);
      pool.parallelFor(1000, hits::incrementAndGet);
      for (int i = 0; i < 1000; i++) {
        assertEquals(1, hits.get(i), "task " + i);
      }
    }
  }

  @Test
  void usesWorkerThreadsWithRecognizableNames() {
    try (ThreadPool pool = new ThreadPool(2)) {
      Set<String> names = ConcurrentHashMap.newKeySet();
      pool.parallelFor(64, i -> {
        names.add(Thread.currentThread().getName());
        long end = System.nanoTime() + 1_000_000;
        while (System.nanoTime() < end) {
          // keep the task busy so the worker gets some
        }
      });
      assertTrue(names.stream().anyMatch(n -> n.startsWith("graft-kernel-")), names.toString());
      assertTrue(names.contains(Thread.currentThread().getName()), "caller takes part: " + names);
    }
  }

  @Test
  void singleThreadAndSingleTaskRunInline() {
    Thread caller = Thread.currentThread();
    try (ThreadPool one = new ThreadPool(1); ThreadPool two = new ThreadPool(2)) {
      one.parallelFor(10, i -> assertSame(caller, Thread.currentThread()));
      two.parallelFor(1, i -> assertSame(caller, Thread.currentThread()));
      two.parallelFor(0, i -> {
        throw new AssertionError("no tasks expected");
      });
    }
  }

  @Test
  void rethrowsFirstFailure() {
    try (ThreadPool pool = new ThreadPool(2)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> pool.parallelFor(100, i -> {
            if (i == 37) {
              throw new IllegalStateException("task 37");
            }
          }));
      assertEquals("task 37", e.getMessage());
      RuntimeException wrapped = assertThrows(RuntimeException.class,
          () -> pool.parallelFor(4, i -> sneakyThrow(new IOException("io " + i))));
      assertTrue(wrapped.getCause() instanceof IOException
          || wrapped instanceof UncheckedIOException, wrapped.toString());
      // still usable afterwards
      AtomicIntegerArray hits = new AtomicIntegerArray(10);
      pool.parallelFor(10, hits::incrementAndGet);
      assertEquals(1, hits.get(9));
    }
  }

  @Test
  void nestedCallsComplete() {
    try (ThreadPool pool = new ThreadPool(2)) {
      AtomicIntegerArray hits = new AtomicIntegerArray(16 * 16);
      pool.parallelFor(16, i -> pool.parallelFor(16, j -> hits.incrementAndGet(i * 16 + j)));
      for (int i = 0; i < 256; i++) {
        assertEquals(1, hits.get(i));
      }
    }
  }

  @Test
  void concurrentCallersEachGetTheirOwnTasksWhileJobsAreReused() throws Exception {
    try (ThreadPool pool = new ThreadPool(3)) {
      int callers = 4;
      int calls = 2_000;
      AtomicIntegerArray hits = new AtomicIntegerArray(callers * 8);
      Thread[] threads = new Thread[callers];
      Throwable[] failures = new Throwable[callers];
      for (int c = 0; c < callers; c++) {
        int caller = c;
        threads[c] = new Thread(() -> {
          try {
            for (int call = 0; call < calls; call++) {
              pool.parallelFor(8, i -> hits.incrementAndGet(caller * 8 + i));
              if (call % 100 == 0) {
                pool.parallelFor(4, i -> pool.parallelFor(3, j -> { }));
              }
            }
          } catch (Throwable t) {
            failures[caller] = t;
          }
        });
        threads[c].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      for (int c = 0; c < callers; c++) {
        assertEquals(null, failures[c], "caller " + c);
        for (int i = 0; i < 8; i++) {
          assertEquals(calls, hits.get(c * 8 + i), "caller " + c + ", task " + i);
        }
      }
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> new ThreadPool(0));
    ThreadPool pool = new ThreadPool(2);
    pool.close();
    pool.close();
    assertThrows(IllegalStateException.class, () -> pool.parallelFor(4, i -> { }));
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }
}
