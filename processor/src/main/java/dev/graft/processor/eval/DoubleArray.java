package dev.graft.processor.eval;

import java.util.Arrays;

/**
 * A concrete tensor value in double precision: the {@link Interpreter}'s currency. Row-major;
 * int32 tensors hold integral doubles. The arrays are not copied: treat them as immutable.
 */
public record DoubleArray(int[] shape, double[] data) {
  public DoubleArray {
    long n = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " elements, got " + data.length);
    }
  }

  public static DoubleArray of(double[] data, int... shape) {
    return new DoubleArray(shape.clone(), data.clone());
  }

  public static DoubleArray scalar(double value) {
    return new DoubleArray(new int[0], new double[] {value});
  }

  public int size() {
    return data.length;
  }

  public int rank() {
    return shape.length;
  }

  /** The element at row-major {@code index} (a scalar's only element is {@code get(0)}). */
  public double get(int index) {
    return data[index];
  }

  /** Same shape and values within {@code tolerance} (absolute). */
  public boolean closeTo(DoubleArray other, double tolerance) {
    if (!Arrays.equals(shape, other.shape)) return false;
    for (int i = 0; i < data.length; i++) {
      if (!(Math.abs(data[i] - other.data[i]) <= tolerance)) return false;
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DoubleArray a && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data);
  }

  /** {@code [2, 2] [1.0, 2.0, 3.0, 4.0]}. */
  @Override
  public String toString() {
    return Arrays.toString(shape) + " " + Arrays.toString(data);
  }
}
