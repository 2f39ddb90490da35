package dev.graft.runtime;

import dev.graft.dsl.DType;
import java.util.Arrays;

/**
 * A dense, row-major array of {@code float} ({@link DType#FLOAT32}) or {@code int}
 * ({@link DType#INT32}) values with a fixed shape: the runtime's value type, as opposed to the
 * DSL's symbolic {@code Tensor}.
 *
 * <p>Instances are immutable: the factories copy their data and the accessors return copies.
 * {@link Session} reads and fills the backing array directly, so feeding the same array many
 * times copies nothing. The one exception: an array passed as the {@code into} of
 * {@link Session#runInto} has its elements overwritten with the result, so that a hot loop can
 * reuse one output array instead of allocating a new one per call.
 */
public final class NDArray {
  /** Above this many elements, {@link #toString()} shows only the edges of each axis. */
  private static final int SUMMARY_THRESHOLD = 1000;
  /** Elements shown at each end of an elided axis. */
  private static final int EDGE_ITEMS = 3;

  private final DType dtype;
  private final int[] shape;
  private final int size;
  private final float[] floats; // set iff dtype is FLOAT32
  private final int[] ints; // set iff dtype is INT32

  private NDArray(DType dtype, int[] shape, float[] floats, int[] ints) {
    this.dtype = dtype;
    this.shape = shape;
    this.size = floats != null ? floats.length : ints.length;
    this.floats = floats;
    this.ints = ints;
  }

  /** A FLOAT32 array holding a copy of {@code data}; no dimensions means a scalar. */
  public static NDArray of(float[] data, int... shape) {
    checkLength(data.length, shape);
    return new NDArray(DType.FLOAT32, shape.clone(), data.clone(), null);
  }

  /** An INT32 array holding a copy of {@code data}; no dimensions means a scalar. */
  public static NDArray ofInts(int[] data, int... shape) {
    checkLength(data.length, shape);
    return new NDArray(DType.INT32, shape.clone(), null, data.clone());
  }

  /** A FLOAT32 scalar (rank 0). */
  public static NDArray scalar(float value) {
    return new NDArray(DType.FLOAT32, new int[0], new float[] {value}, null);
  }

  /** A FLOAT32 array of zeros. */
  public static NDArray zeros(int... shape) {
    return new NDArray(DType.FLOAT32, shape.clone(), new float[sizeOf(shape)], null);
  }

  /** Wraps {@code data} without copying; the caller hands over ownership. */
  static NDArray wrap(float[] data, int[] shape) {
    checkLength(data.length, shape);
    return new NDArray(DType.FLOAT32, shape.clone(), data, null);
  }

  /** Wraps {@code data} without copying; the caller hands over ownership. */
  static NDArray wrap(int[] data, int[] shape) {
    checkLength(data.length, shape);
    return new NDArray(DType.INT32, shape.clone(), null, data);
  }

  /**
   * The number of elements of an array of this shape.
   *
   * @throws IllegalArgumentException if a dimension is negative or the product overflows an int
   */
  static int sizeOf(int[] shape) {
    int size = 1;
    for (int dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      try {
        size = Math.multiplyExact(size, dim);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
      }
    }
    return size;
  }

  private static void checkLength(int length, int[] shape) {
    int expected = sizeOf(shape);
    if (length != expected) {
      throw new IllegalArgumentException("data has " + length + " elements but shape " + Arrays.toString(shape)
          + " needs " + expected);
    }
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape; empty for a scalar. */
  public int[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** The size of dimension {@code axis}. */
  public int dim(int axis) {
    return shape[axis];
  }

  /** The number of elements. */
  public int size() {
    return size;
  }

  /** The element at {@code index} (one coordinate per dimension) of a FLOAT32 array. */
  public float getFloat(int... index) {
    return floatData()[offset(index)];
  }

  /** The element at {@code index} (one coordinate per dimension) of an INT32 array. */
  public int getInt(int... index) {
    return intData()[offset(index)];
  }

  /**
   * The value of a FLOAT32 array with exactly one element (a scalar, or shape [1], [1, 1]...).
   */
  public float floatValue() {
    if (size != 1) {
      throw new IllegalStateException("floatValue() needs exactly one element, this array has shape "
          + Arrays.toString(shape));
    }
    return floatData()[0];
  }

  /** A copy of the elements of a FLOAT32 array, row-major. */
  public float[] toFloatArray() {
    return floatData().clone();
  }

  /** A copy of the elements of an INT32 array, row-major. */
  public int[] toIntArray() {
    return intData().clone();
  }

  /** The backing array of a FLOAT32 array, not a copy: callers must not write it. */
  float[] floatData() {
    if (floats == null) {
      throw new IllegalStateException("array is " + dtype + ", not FLOAT32");
    }
    return floats;
  }

  /** The backing array of an INT32 array, not a copy: callers must not write it. */
  int[] intData() {
    if (ints == null) {
      throw new IllegalStateException("array is " + dtype + ", not INT32");
    }
    return ints;
  }

  /** The backing {@code float[]} or {@code int[]}, as {@link ModelExecutor#run} takes it. */
  Object data() {
    return floats != null ? floats : ints;
  }

  private int offset(int[] index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
          + " coordinates, the array has rank " + shape.length);
    }
    int offset = 0;
    for (int axis = 0; axis < shape.length; axis++) {
      if (index[axis] < 0 || index[axis] >= shape[axis]) {
        throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " is out of bounds for shape "
            + Arrays.toString(shape));
      }
      offset = offset * shape[axis] + index[axis];
    }
    return offset;
  }

  /** Equal when the dtype, the shape and every element are equal (floats compared by bits). */
  @Override
  public boolean equals(Object o) {
    return o instanceof NDArray other
        && dtype == other.dtype
        && Arrays.equals(shape, other.shape)
        && Arrays.equals(floats, other.floats)
        && Arrays.equals(ints, other.ints);
  }

  @Override
  public int hashCode() {
    int h = dtype.hashCode() * 31 + Arrays.hashCode(shape);
    return h * 31 + (floats != null ? Arrays.hashCode(floats) : Arrays.hashCode(ints));
  }

  /**
   * The values laid out as NumPy prints them: {@code 22.5}, {@code [1.0, 2.0]}, one row per line
   * for matrices, and {@code ...} in place of the middle of each long axis once the array has
   * more than 1000 elements. Floats print in their shortest round-trip form.
   */
  @Override
  public String toString() {
    Printer printer = new Printer(size > SUMMARY_THRESHOLD);
    if (shape.length >= 2) { // align the columns of matrices and beyond
      printer.append(0, 0);
      printer.width = printer.widest;
      printer.out.setLength(0);
    }
    printer.append(0, 0);
    return printer.out.toString();
  }

  /**
   * What goes between the items of dimension {@code axis}: a comma and a space in the last
   * dimension; otherwise one line break per dimension below (so matrices of a 3-d array are
   * separated by a blank line) and an indent under the opening brackets.
   */
  private String separator(int axis) {
    if (axis == shape.length - 1) {
      return ", ";
    }
    StringBuilder separator = new StringBuilder(",");
    for (int a = axis + 1; a < shape.length; a++) {
      separator.append('\n');
    }
    for (int a = 0; a <= axis; a++) {
      separator.append(' ');
    }
    return separator.toString();
  }

  /** Lays out the elements; a first pass finds the widest element shown, to align columns. */
  private final class Printer {
    final StringBuilder out = new StringBuilder();
    final boolean summarize;
    int width;
    int widest;

    Printer(boolean summarize) {
      this.summarize = summarize;
    }

    /** Appends the sub-array at dimension {@code axis} that starts at element {@code offset}. */
    void append(int axis, int offset) {
      if (axis == shape.length) {
        String s = floats != null ? Float.toString(floats[offset]) : Integer.toString(ints[offset]);
        widest = Math.max(widest, s.length());
        for (int pad = s.length(); pad < width; pad++) {
          out.append(' ');
        }
        out.append(s);
        return;
      }
      int length = shape[axis];
      int stride = 1;
      for (int a = axis + 1; a < shape.length; a++) {
        stride *= shape[a];
      }
      String separator = separator(axis);
      boolean elide = summarize && length > 2 * EDGE_ITEMS;
      out.append('[');
      for (int i = 0; i < length; i++) {
        if (elide && i == EDGE_ITEMS) {
          out.append("...").append(separator);
          i = length - EDGE_ITEMS;
        }
        append(axis + 1, offset + i * stride);
        if (i < length - 1) {
          out.append(separator);
        }
      }
      out.append(']');
    }
  }
}
