package dev.graft.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.NDArray;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The seed's graphs give what the slides say; needs the models compiled by the Graft processor. */
class SeedExamplesTest {
  @Test
  void scalarGraphIs22point5() {
    NDArray a = SeedExamples.scalar();
    assertEquals(0, a.rank());
    assertEquals(22.5f, a.floatValue());
    assertEquals("22.5", a.toString());
  }

  @Test
  void vectorGraphIsElementwise() {
    NDArray a = SeedExamples.vector();
    assertArrayEquals(new int[] {4}, a.shape());
    // (b + c) * (c + 2) per element: (1.5+3)*5, (2+1)*3, (1+5)*7, (4.2+10)*12.
    assertArrayEquals(new float[] {22.5f, 9f, 42f, 170.4f}, a.toFloatArray(), 1e-4f);
  }

  @Test
  void matrixGraphIsTheMatrixProduct() {
    float[] b = {1.5f, 2f, 1f, 4.2f};
    float[] c = {3f, 1f, 5f, 10f};
    float[] d = new float[4];
    float[] e = new float[4];
    for (int i = 0; i < 4; i++) {
      d[i] = b[i] + c[i];
      e[i] = c[i] + 2f;
    }
    float[] expected = new float[4];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        for (int k = 0; k < 2; k++) expected[i * 2 + j] += d[i * 2 + k] * e[k * 2 + j];
      }
    }
    NDArray a = SeedExamples.matrix();
    assertArrayEquals(new int[] {2, 2}, a.shape());
    assertArrayEquals(expected, a.toFloatArray(), 1e-4f);
  }

  @Test
  void placeholderGraphComputesForAnyFeedLength() {
    assertEquals(22.5f, SeedExamples.placeholder(NDArray.of(new float[] {1.5f}, 1)).toFloatArray()[0]);
    float[] b = new float[10];
    float[] expected = new float[10];
    for (int i = 0; i < b.length; i++) {
      b[i] = i;
      expected[i] = (i + 3f) * 5f;
    }
    assertArrayEquals(expected, SeedExamples.placeholder(NDArray.of(b, b.length)).toFloatArray(), 0f);
  }

  @Test
  void printedReportNamesEachSlideAndValue() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SeedExamples.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("a = 22.5"), text);
    assertTrue(text.contains("Slide \"placeholders\""), text);
  }
}
