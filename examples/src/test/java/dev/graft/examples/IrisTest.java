package dev.graft.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class IrisTest {
  @Test
  void bundledTableHasFiftyFlowersOfEachSpecies() {
    Iris iris = Iris.load();
    assertEquals(150, iris.rows());
    assertEquals(List.of("setosa", "versicolor", "virginica"), iris.classes());
    int[] counts = new int[3];
    for (int label : iris.labels()) counts[label]++;
    assertArrayEquals(new int[] {50, 50, 50}, counts);
  }

  /** Fisher's published species means (sepal length, sepal width, petal length, petal width). */
  @Test
  void speciesMeansMatchThePublishedTable() {
    Iris iris = Iris.load();
    double[][] published = {{5.006, 3.428, 1.462, 0.246}, {5.936, 2.770, 4.260, 1.326}, {6.588, 2.974, 5.552, 2.026}};
    double[][] sums = new double[3][4];
    for (int r = 0; r < 150; r++) {
      for (int c = 0; c < 4; c++) sums[iris.labels()[r]][c] += iris.features()[r * 4 + c];
    }
    for (int s = 0; s < 3; s++) {
      for (int c = 0; c < 4; c++) assertEquals(published[s][c], sums[s][c] / 50, 1e-6, "species " + s + " column " + c);
    }
  }

  @Test
  void standardizedColumnsHaveMeanZeroAndUnitDeviation() {
    float[] x = Iris.load().standardizedFeatures();
    for (int c = 0; c < 4; c++) {
      double sum = 0;
      double squares = 0;
      for (int r = 0; r < 150; r++) {
        sum += x[r * 4 + c];
        squares += x[r * 4 + c] * x[r * 4 + c];
      }
      assertEquals(0, sum / 150, 1e-5);
      assertEquals(1, squares / 150, 1e-4);
    }
  }

  @Test
  void oneHotLabelsHaveOneOnePerRow() {
    Iris iris = Iris.load();
    float[] y = iris.oneHotLabels();
    for (int r = 0; r < 150; r++) {
      assertEquals(1f, y[r * 3 + iris.labels()[r]]);
      assertEquals(1f, y[r * 3] + y[r * 3 + 1] + y[r * 3 + 2]);
    }
  }

  @Test
  void badHeaderIsReportedOnLine1() {
    String message = problem(List.of("a,b,c,d,e"));
    assertTrue(message.startsWith("test.csv line 1: expected the header"), message);
  }

  @Test
  void missingFieldIsReportedWithItsLine() {
    List<String> rows = bundledRows();
    rows.set(10, "5.4,3.7,1.5,setosa"); // line 12: the header is line 1
    assertEquals("test.csv line 12: expected 5 comma-separated fields, found 4", problem(rows));
  }

  @Test
  void nonNumberIsReportedWithItsLineAndColumn() {
    List<String> rows = bundledRows();
    rows.set(99, "5.7,2.8,four,1.3,versicolor");
    assertEquals("test.csv line 101: petal_length is not a number: 'four'", problem(rows));
  }

  @Test
  void negativeMeasurementIsRejected() {
    List<String> rows = bundledRows();
    rows.set(0, "-5.1,3.5,1.4,0.2,setosa");
    assertEquals("test.csv line 2: sepal_length must be a positive length, found -5.1", problem(rows));
  }

  @Test
  void fourthSpeciesIsRejected() {
    List<String> rows = bundledRows();
    rows.set(149, "5.9,3.0,5.1,1.8,germanica");
    assertTrue(problem(rows).startsWith("test.csv line 151: a fourth species 'germanica'"), problem(rows));
  }

  @Test
  void wrongRowCountIsRejected() {
    List<String> rows = bundledRows();
    rows.remove(149);
    assertEquals("test.csv: expected 150 rows of data, found 149", problem(rows));
  }

  @Test
  void twoSpeciesAreTooFew() {
    List<String> rows = bundledRows();
    rows.replaceAll(r -> r.replace("virginica", "versicolor"));
    assertEquals("test.csv: expected 3 species, found [setosa, versicolor]", problem(rows));
  }

  /** The bundled data rows, without the header. */
  private static List<String> bundledRows() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(Iris.class.getResourceAsStream("iris.csv"),
        StandardCharsets.UTF_8))) {
      List<String> lines = in.lines().collect(Collectors.toCollection(ArrayList::new));
      return new ArrayList<>(lines.subList(1, lines.size()));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The message for a table of {@code rows}, prefixed with the header unless the first row is one. */
  private static String problem(List<String> rows) {
    String text = (rows.get(0).contains(",species") || rows.get(0).startsWith("a,") ? "" : Iris.HEADER + "\n")
        + String.join("\n", rows) + "\n";
    return assertThrows(IllegalArgumentException.class, () -> Iris.parse(new StringReader(text), "test.csv")).getMessage();
  }
}
