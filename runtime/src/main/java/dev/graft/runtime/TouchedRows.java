package dev.graft.runtime;

import dev.graft.runtime.kernel.ScalarKernels;
import java.util.Arrays;

/**
 * The rows that a training step may have made nonzero in a row-sparse gradient (see
 * {@link ModelSpec.EntrySpec#gradientRowIds()}): the gradient is a table of rows of
 * {@link #width()} floats that is zero in every row not listed here, as the gradient of an
 * embedding lookup is zero outside the rows of the ids it looked up. A {@link Trainer} lists
 * them again at every step, reusing this object, and passes them to
 * {@link Optimizer#apply(dev.graft.runtime.kernel.Kernels, float[][], float[][], TouchedRows[])}.
 */
public final class TouchedRows {
  private final int tableRows;
  private final int width;
  /** One bit per table row, set while {@link #list} collects the ids; all clear between calls. */
  private final long[] marks;
  private int[] rows = new int[0];
  private int count;

  TouchedRows(int tableRows, int width) {
    this.tableRows = tableRows;
    this.width = width;
    this.marks = new long[(tableRows + 63) >>> 6];
  }

  /** The number of rows listed. */
  public int count() {
    return count;
  }

  /** The {@code i}-th row listed, 0 ≤ i < {@link #count()}: each row once, in increasing order. */
  public int row(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("row " + i + " of " + count + " listed");
    }
    return rows[i];
  }

  /** The floats in a row: the gradient's row r is [r·width, (r + 1)·width). */
  public int width() {
    return width;
  }

  /**
   * Lists the distinct values of {@code ids} in increasing order, which is also the order of the
   * rows in memory. Allocates only when {@code ids} is longer than every array listed before.
   *
   * @throws IllegalArgumentException if an id is not a row of the table; nothing is listed then
   */
  void list(int[] ids) {
    count = 0;
    for (int id : ids) {
      if (id < 0 || id >= tableRows) {
        throw new IllegalArgumentException("id " + id + " is not a row of a table of " + tableRows);
      }
    }
    if (rows.length < Math.min(ids.length, tableRows)) {
      rows = new int[Math.min(ids.length, tableRows)];
    }
    for (int id : ids) {
      marks[id >>> 6] |= 1L << id;
    }
    int listed = 0;
    for (int w = 0; w < marks.length; w++) {
      long bits = marks[w];
      if (bits != 0) {
        marks[w] = 0;
        do {
          rows[listed++] = (w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
        } while (bits != 0);
      }
    }
    count = listed;
  }

  /** The sum of the squares of {@code g}'s listed rows, in double precision. */
  double sumOfSquares(float[] g) {
    double sum = 0;
    for (int i = 0; i < count; i++) {
      int o = rows[i] * width;
      sum += ScalarKernels.squaresRange(g, o, o + width);
    }
    return sum;
  }

  /** Multiplies {@code g}'s listed rows by {@code s}. */
  void scale(float[] g, float s) {
    for (int i = 0; i < count; i++) {
      int o = rows[i] * width;
      ScalarKernels.scaleRange(g, s, o, o + width);
    }
  }

  /** {@code w -= learningRate · g} in the listed rows: gradient descent on them alone. */
  void sgdUpdate(float[] w, float[] g, float learningRate) {
    for (int i = 0; i < count; i++) {
      int o = rows[i] * width;
      ScalarKernels.sgdRange(w, g, learningRate, o, o + width);
    }
  }

  /** Zeroes {@code g}'s listed rows, so that all of {@code g} is zero again. */
  void clear(float[] g) {
    for (int i = 0; i < count; i++) {
      int o = rows[i] * width;
      Arrays.fill(g, o, o + width, 0f);
    }
  }
}
