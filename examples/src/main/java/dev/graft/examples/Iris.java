package dev.graft.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fisher's Iris data (Anderson's measurements, 1935): 150 flowers, four measurements in
 * centimetres and the species, 50 of each of three. The bundled table is {@code iris.csv} next
 * to this class; {@link #parse} checks any table of the same layout.
 *
 * @param features row-major [rows, 4]: sepal length, sepal width, petal length, petal width
 * @param labels the class index of each row, into {@code classes}
 * @param classes the species names in order of first appearance
 */
public record Iris(float[] features, int[] labels, List<String> classes) {
  public static final int ROWS = 150;
  public static final int FEATURES = 4;
  public static final int CLASSES = 3;
  static final String HEADER = "sepal_length,sepal_width,petal_length,petal_width,species";

  public Iris {
    classes = List.copyOf(classes);
  }

  /** The bundled table. */
  public static Iris load() {
    String name = "iris.csv";
    try (InputStream in = Iris.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing from the class path next to " + Iris.class.getName());
      return parse(new InputStreamReader(in, StandardCharsets.UTF_8), name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }

  /**
   * Reads and validates a table: the header, then exactly 150 rows of four finite, positive
   * numbers and a species name, with exactly three species.
   *
   * @throws IllegalArgumentException naming {@code source} and the line of the first problem
   */
  public static Iris parse(Reader reader, String source) throws IOException {
    BufferedReader lines = new BufferedReader(reader);
    String header = lines.readLine();
    if (header == null || !header.trim().equals(HEADER)) {
      throw new IllegalArgumentException(source + " line 1: expected the header '" + HEADER + "', found "
          + (header == null ? "an empty file" : "'" + header.trim() + "'"));
    }
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    int lineNumber = 1;
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      lineNumber++;
      if (line.isBlank()) continue;
      String[] fields = line.split(",", -1);
      if (fields.length != FEATURES + 1) {
        throw problem(source, lineNumber, "expected " + (FEATURES + 1) + " comma-separated fields, found " + fields.length);
      }
      float[] row = new float[FEATURES];
      for (int i = 0; i < FEATURES; i++) row[i] = measurement(fields[i].trim(), source, lineNumber, i);
      String species = fields[FEATURES].trim();
      if (species.isEmpty()) throw problem(source, lineNumber, "the species is empty");
      if (!classes.contains(species)) {
        if (classes.size() == CLASSES) {
          throw problem(source, lineNumber, "a fourth species '" + species + "' (expected only " + classes + ")");
        }
        classes.add(species);
      }
      rows.add(row);
      labels.add(classes.indexOf(species));
    }
    if (rows.size() != ROWS) {
      throw new IllegalArgumentException(source + ": expected " + ROWS + " rows of data, found " + rows.size());
    }
    if (classes.size() != CLASSES) {
      throw new IllegalArgumentException(source + ": expected " + CLASSES + " species, found " + classes);
    }
    float[] features = new float[ROWS * FEATURES];
    int[] labelArray = new int[ROWS];
    for (int r = 0; r < ROWS; r++) {
      System.arraycopy(rows.get(r), 0, features, r * FEATURES, FEATURES);
      labelArray[r] = labels.get(r);
    }
    return new Iris(features, labelArray, classes);
  }

  private static float measurement(String text, String source, int line, int column) {
    String name = HEADER.split(",")[column];
    float value;
    try {
      value = Float.parseFloat(text);
    } catch (NumberFormatException e) {
      throw problem(source, line, name + " is not a number: '" + text + "'");
    }
    if (!Float.isFinite(value) || value <= 0) throw problem(source, line, name + " must be a positive length, found " + text);
    return value;
  }

  private static IllegalArgumentException problem(String source, int line, String what) {
    return new IllegalArgumentException(source + " line " + line + ": " + what);
  }

  public int rows() {
    return labels.length;
  }

  /** The features shifted and scaled to mean 0 and standard deviation 1 per column. */
  public float[] standardizedFeatures() {
    int n = rows();
    float[] out = new float[features.length];
    for (int c = 0; c < FEATURES; c++) {
      double sum = 0;
      for (int r = 0; r < n; r++) sum += features[r * FEATURES + c];
      double mean = sum / n;
      double squares = 0;
      for (int r = 0; r < n; r++) squares += Math.pow(features[r * FEATURES + c] - mean, 2);
      double deviation = Math.sqrt(squares / n);
      for (int r = 0; r < n; r++) out[r * FEATURES + c] = (float) ((features[r * FEATURES + c] - mean) / deviation);
    }
    return out;
  }

  /** The labels as one-hot rows, [rows, 3]. */
  public float[] oneHotLabels() {
    float[] out = new float[rows() * CLASSES];
    for (int r = 0; r < rows(); r++) out[r * CLASSES + labels[r]] = 1;
    return out;
  }
}
