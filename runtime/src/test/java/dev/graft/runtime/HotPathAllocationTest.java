package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.runtime.kernel.ThreadPool;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * After warm-up, {@link Session#runInto}, {@link Session#runAllInto},
 * {@link Session#eval(int, NDArray...)}, {@link Trainer#step(NDArray...)} (with each optimizer),
 * and {@link ThreadPool#parallelFor} allocate nothing (with an executor that allocates nothing
 * itself). Measured with HotSpot's
 * per-thread allocation counter, which counts every byte a thread allocates (TLAB or not), over
 * rounds of {@value #CALLS} calls (see {@link #bytesOver}); the test is skipped where the JVM
 * does not offer the counter. The first test checks that the probe sees an allocating call, so
 * a zero here means zero.
 */
class HotPathAllocationTest {
  private static final int WARM_UP = 10_000;
  private static final int CALLS = 2_000;
  private static final int ROUNDS = 50;

  private Session session;
  private NDArray x;
  private NDArray[] xOnly;
  private NDArray[] xAndY;
  private NDArray into;

  @BeforeEach
  void open() {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 3));
    session.initialize(5);
    x = NDArray.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3);
    NDArray y = NDArray.of(new float[] {1, 0, 1, 0}, 4, 1);
    xOnly = new NDArray[] {x};
    xAndY = new NDArray[] {x, y};
    into = NDArray.zeros(4, 1);
  }

  @AfterEach
  void close() {
    session.close();
  }

  @Test
  void theProbeSeesTheAllocationsOfRun() {
    long bytes = bytesOver(() -> session.run(GraftLinearModel.PREDICTIONS, xOnly));
    // At least the result: an NDArray and its 4 floats, per call.
    assertTrue(bytes >= (long) CALLS * 32, bytes + " bytes over " + CALLS + " calls");
  }

  @Test
  void runIntoAllocatesNothing() {
    assertEquals(0, bytesOver(() -> session.runInto(GraftLinearModel.PREDICTIONS, into, xOnly)));
    assertEquals(session.run(GraftLinearModel.PREDICTIONS, xOnly), into);
  }

  @Test
  void runIntoByNameAllocatesNothing() {
    Feeds feeds = Feeds.of("x", x);
    assertEquals(0, bytesOver(() -> session.runInto("predictions", into, feeds)));
    assertEquals(session.run("predictions", feeds), into);
  }

  @Test
  void runAllIntoAllocatesNothing() {
    NDArray[] both = {NDArray.zeros(4, 1), NDArray.zeros()};
    assertEquals(0, bytesOver(() -> session.runAllInto(GraftLinearModel.BOTH, both, xOnly)));
    NDArray[] fresh = session.runAll(GraftLinearModel.BOTH, xOnly);
    assertEquals(fresh[0], both[0]);
    assertEquals(fresh[1], both[1]);
  }

  @Test
  void evalAllocatesNothing() {
    assertEquals(0, bytesOver(() -> session.eval(GraftLinearModel.COST, xAndY)));
    Feeds feeds = Feeds.of("x", xAndY[0], "y", xAndY[1]);
    assertEquals(session.eval("cost", feeds), session.eval(GraftLinearModel.COST, xAndY));
  }

  @Test
  void aTrainingStepAllocatesNothing() {
    Trainer sgd = session.trainer("cost", Optimizers.sgd(1e-4f));
    assertEquals(0, bytesOver(() -> sgd.step(xAndY)));
    Trainer byName = session.trainer("cost", Optimizers.sgd(1e-4f));
    Feeds feeds = Feeds.of("x", xAndY[0], "y", xAndY[1]);
    assertEquals(0, bytesOver(() -> byName.step(feeds)));
    for (Optimizer optimizer : new Optimizer[] {Optimizers.momentum(1e-4f, 0.9f), Optimizers.adagrad(1e-4f),
        Optimizers.rmsprop(1e-4f), Optimizers.adam(1e-4f)}) {
      Trainer trainer = session.trainer("cost", optimizer).clipGlobalNorm(1e-3f);
      assertEquals(0, bytesOver(() -> trainer.step(xAndY)), optimizer.toString());
    }
  }

  @Test
  void parallelForAllocatesNothingOnTheCallerOrTheWorkers() {
    try (ThreadPool pool = new ThreadPool(2)) {
      Set<Thread> seen = ConcurrentHashMap.newKeySet();
      pool.parallelFor(64, i -> {
        seen.add(Thread.currentThread());
        spin();
      });
      IntConsumer task = i -> spin(); // not capturing: one instance
      long[] ids = seen.stream().mapToLong(Thread::getId).toArray();
      assertTrue(ids.length >= 1);
      assertEquals(0, bytesOver(() -> pool.parallelFor(8, task), ids));
    }
  }

  @Test
  void runIntoChecksTheResultArrayAndLeavesItUnchangedOnFailure() {
    NDArray wrongShape = NDArray.zeros(3, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> session.runInto(GraftLinearModel.PREDICTIONS, wrongShape, xOnly));
    assertEquals("the result of 'predictions' is FLOAT32 [batch, 1] = [4, 1], cannot write it into FLOAT32 [3, 1]",
        e.getMessage());
    assertEquals(NDArray.zeros(3, 1), wrongShape);
    NDArray ints = NDArray.ofInts(new int[4], 4, 1);
    e = assertThrows(IllegalArgumentException.class,
        () -> session.runInto(GraftLinearModel.PREDICTIONS, ints, xOnly));
    assertEquals("the result of 'predictions' is FLOAT32 [batch, 1] = [4, 1], cannot write it into INT32 [4, 1]",
        e.getMessage());
    assertThrows(NullPointerException.class, () -> session.runInto(GraftLinearModel.PREDICTIONS, null, xOnly));
    e = assertThrows(IllegalArgumentException.class,
        () -> session.runInto(GraftLinearModel.PREDICTIONS, xAndY[1], new NDArray[] {xAndY[1]}));
    assertEquals("input 'x' of 'predictions': expected [batch, features] (batch = 4 from 'x', features = 3 from the "
        + "session Dims), got [4, 1]", e.getMessage());
  }

  @Test
  void runIntoTakesAScalarAndReturnsItsArray() {
    NDArray scalar = NDArray.zeros();
    assertSame(scalar, session.runInto(GraftLinearModel.COST, scalar, xAndY));
    assertEquals(session.eval(GraftLinearModel.COST, xAndY), scalar.floatValue());
  }

  @Test
  void runIntoWritesTheResultOfAnIntInputEntry() {
    NDArray out = NDArray.zeros(2);
    session.runInto(GraftLinearModel.PICK, out, NDArray.ofInts(new int[] {0, 2}, 2));
    float[] w = session.variable("w").toFloatArray();
    assertEquals(NDArray.of(new float[] {w[0], w[2]}, 2), out);
  }

  private static void spin() {
    long end = System.nanoTime() + 2_000;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  /**
   * The fewest bytes that the current thread and the threads {@code others} allocated over
   * {@link #CALLS} calls of {@code call}, in up to {@link #ROUNDS} rounds after {@link #WARM_UP}
   * calls, stopping at the first round without any: a one-off such as a deoptimization does not
   * count, nor do objects that only C2's escape analysis removes, once it has compiled the path.
   * A call that allocates every time allocates in every round.
   */
  private static long bytesOver(Runnable call, long... others) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no com.sun.management.ThreadMXBean");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(counter.isThreadAllocatedMemorySupported(), "per-thread allocation counting unsupported");
    if (!counter.isThreadAllocatedMemoryEnabled()) {
      counter.setThreadAllocatedMemoryEnabled(true);
    }
    long[] ids = new long[others.length + 1];
    ids[0] = Thread.currentThread().getId();
    System.arraycopy(others, 0, ids, 1, others.length);
    long[] before = new long[ids.length];
    long[] after = new long[ids.length];
    long[] empty = new long[ids.length];
    for (int i = 0; i < WARM_UP; i++) {
      call.run();
    }
    long fewest = Long.MAX_VALUE;
    for (int round = 0; round < ROUNDS && fewest > 0; round++) {
      read(counter, ids, before);
      for (int i = 0; i < CALLS; i++) {
        call.run();
      }
      read(counter, ids, after);
      read(counter, ids, empty); // what reading the counters costs
      long bytes = 0;
      for (int t = 0; t < ids.length; t++) {
        bytes += (after[t] - before[t]) - (empty[t] - after[t]);
      }
      fewest = Math.min(fewest, bytes);
    }
    return fewest;
  }

  private static void read(com.sun.management.ThreadMXBean counter, long[] ids, long[] into) {
    if (ids.length == 1) {
      into[0] = counter.getCurrentThreadAllocatedBytes();
      return;
    }
    for (int t = 0; t < ids.length; t++) {
      into[t] = counter.getThreadAllocatedBytes(ids[t]);
    }
  }
}
