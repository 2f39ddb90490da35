package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.dsl.DType;
import org.junit.jupiter.api.Test;

class NDArrayTest {
  @Test
  void factoriesSetShapeAndDtype() {
    NDArray a = NDArray.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertArrayEquals(new int[] {2, 3}, a.shape());
    assertEquals(2, a.rank());
    assertEquals(6, a.size());
    assertEquals(DType.FLOAT32, a.dtype());
    assertEquals(6f, a.getFloat(1, 2));
    assertEquals(2f, a.getFloat(0, 1));

    NDArray ints = NDArray.ofInts(new int[] {7, 8}, 2);
    assertEquals(DType.INT32, ints.dtype());
    assertEquals(8, ints.getInt(1));

    NDArray scalar = NDArray.scalar(22.5f);
    assertEquals(0, scalar.rank());
    assertEquals(22.5f, scalar.floatValue());
    assertEquals(22.5f, scalar.getFloat());
    assertArrayEquals(new float[6], NDArray.zeros(3, 2).toFloatArray());
  }

  @Test
  void aLengthThatDoesNotFitTheShapeIsRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> NDArray.of(new float[5], 2, 3));
    assertEquals("data has 5 elements but shape [2, 3] needs 6", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> NDArray.ofInts(new int[2]));
    assertEquals(7, NDArray.ofInts(new int[] {7}).getInt(), "no dimensions: a scalar");
    assertThrows(IllegalArgumentException.class, () -> NDArray.zeros(2, -1));
    assertThrows(IllegalArgumentException.class, () -> NDArray.zeros(65536, 65536));
  }

  @Test
  void accessorsCheckIndicesAndDtype() {
    NDArray a = NDArray.of(new float[] {1, 2, 3, 4}, 2, 2);
    assertThrows(IndexOutOfBoundsException.class, () -> a.getFloat(2, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> a.getFloat(0, -1));
    assertThrows(IllegalArgumentException.class, () -> a.getFloat(1));
    assertThrows(IllegalStateException.class, () -> a.getInt(0, 0));
    assertThrows(IllegalStateException.class, a::floatValue);
    assertThrows(IllegalStateException.class, a::toIntArray);
  }

  @Test
  void theArrayIsImmutable() {
    float[] data = {1, 2};
    int[] shape = {2};
    NDArray a = NDArray.of(data, shape);
    data[0] = 9;
    shape[0] = 1;
    a.toFloatArray()[1] = 9;
    a.shape()[0] = 5;
    assertEquals(NDArray.of(new float[] {1, 2}, 2), a);
  }

  @Test
  void equalityIsByDtypeShapeAndData() {
    NDArray a = NDArray.of(new float[] {1, 2, 3, 4}, 2, 2);
    assertEquals(a, NDArray.of(new float[] {1, 2, 3, 4}, 2, 2));
    assertEquals(a.hashCode(), NDArray.of(new float[] {1, 2, 3, 4}, 2, 2).hashCode());
    assertNotEquals(a, NDArray.of(new float[] {1, 2, 3, 4}, 4));
    assertNotEquals(a, NDArray.of(new float[] {1, 2, 3, 5}, 2, 2));
    assertNotEquals(a, NDArray.ofInts(new int[] {1, 2, 3, 4}, 2, 2));
    assertEquals(NDArray.scalar(Float.NaN), NDArray.scalar(Float.NaN));
  }

  @Test
  void toStringLooksLikeNumPy() {
    assertEquals("22.5", NDArray.scalar(22.5f).toString());
    assertEquals("[22.5, 12.0, 42.0, 170.4]", NDArray.of(new float[] {22.5f, 12, 42, 170.4f}, 4).toString());
    assertEquals("[1, -2, 3]", NDArray.ofInts(new int[] {1, -2, 3}, 3).toString());
    assertEquals("[[ 1.0,  2.5],\n [-3.0,  4.0]]", NDArray.of(new float[] {1, 2.5f, -3, 4}, 2, 2).toString());
    assertEquals("[[[1, 2],\n  [3, 4]],\n\n [[5, 6],\n  [7, 8]]]",
        NDArray.ofInts(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2).toString());
    assertEquals("[]", NDArray.zeros(0).toString());
    assertEquals("[0.1, 1.0E-5, NaN]", NDArray.of(new float[] {0.1f, 1e-5f, Float.NaN}, 3).toString());
  }

  @Test
  void largeArraysElideTheMiddle() {
    int[] values = new int[2000];
    for (int i = 0; i < values.length; i++) {
      values[i] = i;
    }
    assertEquals("[0, 1, 2, ..., 1997, 1998, 1999]", NDArray.ofInts(values, 2000).toString());
    assertEquals("[[   0,    1,    2, ...,   97,   98,   99],\n"
            + " [ 100,  101,  102, ...,  197,  198,  199],\n"
            + " [ 200,  201,  202, ...,  297,  298,  299],\n"
            + " ...,\n"
            + " [1700, 1701, 1702, ..., 1797, 1798, 1799],\n"
            + " [1800, 1801, 1802, ..., 1897, 1898, 1899],\n"
            + " [1900, 1901, 1902, ..., 1997, 1998, 1999]]",
        NDArray.ofInts(values, 20, 100).toString());
    assertEquals("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]", NDArray.ofInts(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10)
        .toString(), "small arrays print whole");
  }
}
