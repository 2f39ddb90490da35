package dev.graft.runtime.text;

import dev.graft.runtime.NDArray;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts a token stream into windows for stateful truncated backpropagation through time, as the
 * PTB tutorial's {@code ptb_producer} does. The stream is split into {@code batch} contiguous
 * rows of {@code rowLength = length / batch} tokens (the remainder is dropped); window {@code t}
 * holds, for every row, the inputs {@code row[t * steps, (t + 1) * steps)} and the targets one
 * token later. Row {@code r} of window {@code t + 1} continues row {@code r} of window {@code t},
 * so a recurrent state carried from one window to the next stays with its row; reset it at
 * window 0 of each epoch.
 *
 * <p>There are {@code (rowLength - 1) / steps} windows: the last target of every row must exist.
 */
public final class BatchedStream implements Iterable<BatchedStream.Window> {
  private final int[] ids;
  private final int batch;
  private final int steps;
  private final int rowLength;
  private final int windows;

  /**
   * A window: {@code inputs} and {@code targets} are INT32 arrays of shape [batch, steps].
   *
   * @param index the window's position in the epoch, from 0
   */
  public record Window(int index, NDArray inputs, NDArray targets) {
    /** Whether this window starts an epoch, where a recurrent state should be reset. */
    public boolean first() {
      return index == 0;
    }
  }

  /**
   * @param ids the token ids, such as {@link Vocabulary#encode} returns (copied)
   * @throws IllegalArgumentException if {@code batch} or {@code steps} is not positive, or the
   *     stream is too short for a single window ({@code batch * (steps + 1)} tokens)
   */
  public BatchedStream(int[] ids, int batch, int steps) {
    if (batch < 1 || steps < 1) {
      throw new IllegalArgumentException("batch and steps must be positive, got batch = " + batch + ", steps = "
          + steps);
    }
    this.rowLength = ids.length / batch;
    this.windows = (rowLength - 1) / steps;
    if (windows < 1) {
      throw new IllegalArgumentException("a stream of " + ids.length + " tokens is too short for batch = " + batch
          + " and steps = " + steps + ": one window needs " + (long) batch * (steps + 1) + " tokens");
    }
    this.ids = java.util.Arrays.copyOf(ids, batch * rowLength);
    this.batch = batch;
    this.steps = steps;
  }

  /** The number of windows in an epoch. */
  public int windows() {
    return windows;
  }

  /** The rows per window. */
  public int batch() {
    return batch;
  }

  /** The tokens per row of a window. */
  public int steps() {
    return steps;
  }

  /**
   * Window {@code t}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= t < windows()}
   */
  public Window window(int t) {
    if (t < 0 || t >= windows) {
      throw new IndexOutOfBoundsException("window " + t + " is outside [0, " + windows + ")");
    }
    int[] inputs = new int[batch * steps];
    int[] targets = new int[batch * steps];
    for (int r = 0; r < batch; r++) {
      int from = r * rowLength + t * steps;
      System.arraycopy(ids, from, inputs, r * steps, steps);
      System.arraycopy(ids, from + 1, targets, r * steps, steps);
    }
    return new Window(t, NDArray.ofInts(inputs, batch, steps), NDArray.ofInts(targets, batch, steps));
  }

  /** The windows of one epoch, in order. */
  @Override
  public Iterator<Window> iterator() {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < windows;
      }

      @Override
      public Window next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return window(next++);
      }
    };
  }
}
