package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.runtime.Device;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The root README's Java blocks, read from the README itself and compiled as written: the
 * model, the session code and the typed-facade code. They must train; the mistake the README
 * describes must fail where it says; the generated class must read as the README says.
 */
class ReadmeTest {
  private static final Path README = Path.of("..", "README.md"); // surefire runs in the module directory

  private static String model;
  private static String modelName;
  private static String sessionSnippet;
  private static String facadeSnippet;
  private static ModelCompilation compiled;

  @BeforeAll
  static void readTheReadme() throws IOException {
    Assumptions.assumeTrue(Files.isRegularFile(README), "no README at " + README.toAbsolutePath() + ": skipped");
    List<String> blocks = javaBlocks(Files.readString(README, StandardCharsets.UTF_8));
    model = only(blocks, "@Model");
    sessionSnippet = only(blocks, "Session.open");
    facadeSnippet = only(blocks, ".Facade");
    Matcher m = Pattern.compile("abstract class (\\w+)").matcher(model);
    assertTrue(m.find() && model.contains("package demo;"), "the README model is a class in package demo:\n" + model);
    modelName = m.group(1);
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("demo." + modelName, model);
    sources.put("demo.ReadmeSession", wrap("ReadmeSession", sessionSnippet));
    sources.put("demo.ReadmeFacade", wrap("ReadmeFacade", facadeSnippet));
    compiled = ModelCompilation.compile(sources).requireSuccess();
  }

  /** The bodies of the {@code ```java} fenced blocks, in order. */
  static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL).matcher(markdown);
    while (m.find()) blocks.add(m.group(1));
    return blocks;
  }

  private static String only(List<String> blocks, String marker) {
    List<String> found = blocks.stream().filter(b -> b.contains(marker)).toList();
    assertEquals(1, found.size(), () -> "README java blocks containing '" + marker + "': " + found);
    return found.get(0);
  }

  /**
   * A snippet as the body of {@code static void run(NDArray xs, NDArray ys)}, its imports moved
   * to the top. The one addition: before the snippet's last brace (the end of its
   * try-with-resources) it hands {@code probabilities} to the test.
   */
  private static String wrap(String className, String snippet) {
    List<String> imports = new ArrayList<>();
    StringBuilder body = new StringBuilder();
    for (String line : snippet.split("\n")) {
      if (line.startsWith("import ")) imports.add(line);
      else body.append("    ").append(line).append('\n');
    }
    int end = body.lastIndexOf("}");
    assertTrue(end > 0 && snippet.contains("NDArray probabilities ="), "the snippet ends with the probabilities:\n" + snippet);
    body.insert(end, "  " + className + ".probabilities = probabilities;\n    ");
    return "package demo;\n\nimport dev.graft.runtime.*;\n" + String.join("\n", imports) + "\n\npublic final class " + className
        + " {\n  public static NDArray probabilities;\n\n  public static void run(NDArray xs, NDArray ys) throws Exception {\n" + body
        + "  }\n}\n";
  }

  // ---- the examples train ----

  /** Three well separated classes in four features, one-hot labels. */
  private static final int ROWS = 60;

  private static NDArray xs() {
    Random r = new Random(11);
    float[] x = new float[ROWS * 4];
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < 4; j++) x[i * 4 + j] = (float) (0.5 * r.nextGaussian() + (j == i % 3 ? 2 : 0));
    }
    return NDArray.of(x, ROWS, 4);
  }

  private static NDArray ys() {
    float[] y = new float[ROWS * 3];
    for (int i = 0; i < ROWS; i++) y[i * 3 + i % 3] = 1;
    return NDArray.of(y, ROWS, 3);
  }

  /** The mean cross-entropy of predicted probabilities, computed here. */
  private static double crossEntropy(NDArray probabilities) {
    assertEquals(List.of(ROWS, 3), List.of(probabilities.dim(0), probabilities.dim(1)));
    double sum = 0;
    for (int i = 0; i < ROWS; i++) sum -= Math.log(probabilities.getFloat(i, i % 3));
    return sum / ROWS;
  }

  private static double accuracy(NDArray probabilities) {
    int right = 0;
    for (int i = 0; i < ROWS; i++) {
      int best = 0;
      for (int c = 1; c < 3; c++) if (probabilities.getFloat(i, c) > probabilities.getFloat(i, best)) best = c;
      if (best == i % 3) right++;
    }
    return right / (double) ROWS;
  }

  /** The loss the README's variables start from: {@code initialize(42)} as in both snippets. */
  private static float initialLoss() throws Exception {
    Class<?> modelClass = compiled.result.classLoader().loadClass("demo." + modelName);
    try (Session session = Session.open(modelClass, Device.cpu(1))) {
      session.initialize(42);
      float cost = session.eval("cost", Feeds.of("x", xs(), "y", ys()));
      assertEquals(cost, crossEntropy(session.run("predictions", Feeds.of("x", xs()))), 1e-4);
      return cost;
    }
  }

  private static NDArray runSnippet(String className) throws Exception {
    Class<?> c = compiled.result.classLoader().loadClass("demo." + className);
    c.getDeclaredMethod("run", NDArray.class, NDArray.class).invoke(null, xs(), ys());
    return (NDArray) c.getDeclaredField("probabilities").get(null);
  }

  @Test
  void sessionExampleTrains() throws Exception {
    float before = initialLoss();
    NDArray probabilities = runSnippet("ReadmeSession");
    double after = crossEntropy(probabilities);
    assertTrue(after < before / 4, "loss went from " + before + " to " + after);
    assertTrue(accuracy(probabilities) > 0.95, "accuracy " + accuracy(probabilities));
  }

  @Test
  void facadeExampleTrainsTheSame() throws Exception {
    NDArray viaSession = runSnippet("ReadmeSession");
    NDArray viaFacade = runSnippet("ReadmeFacade");
    double after = crossEntropy(viaFacade);
    assertTrue(after < initialLoss() / 4, "loss went to " + after);
    // Same seed, optimizer, data and step count: the same model, up to float rounding.
    for (int i = 0; i < ROWS; i++) {
      for (int c = 0; c < 3; c++) assertEquals(viaSession.getFloat(i, c), viaFacade.getFloat(i, c), 1e-5);
    }
  }

  // ---- the README's compile error ----

  @Test
  void matmulWithTheBiasFailsOnItsLine() {
    assertTrue(model.contains("matmul(x, beta)"), "the README model no longer has matmul(x, beta):\n" + model);
    String broken = model.replace("matmul(x, beta)", "matmul(x, bias)");
    ModelCompilation c = ModelCompilation.compile(Map.of("demo." + modelName, broken));
    List<Diagnostic<? extends JavaFileObject>> errors = c.result.errors();
    assertEquals(1, errors.size(), c.result::describe);
    Diagnostic<? extends JavaFileObject> error = errors.get(0);
    String message = error.getMessage(Locale.ROOT);
    assertTrue(message.startsWith("[GraftShapeMismatch] matmul needs [m, k] x [k, n]"), message);
    assertEquals(lineOf(broken, "matmul(x, bias)"), error.getLineNumber(), message);
    assertTrue(error.getSource().getName().endsWith("demo/" + modelName + ".java"), error.getSource().getName());
  }

  /** The 1-based line of the only line containing {@code text}. */
  private static long lineOf(String source, String text) {
    String[] lines = source.split("\n", -1);
    List<Integer> found = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) if (lines[i].contains(text)) found.add(i + 1);
    assertEquals(1, found.size(), () -> "lines containing '" + text + "': " + found);
    return found.get(0);
  }

  // ---- the generated code reads as the README says ----

  @Test
  void generatedSourceIsReadable() {
    String source = compiled.generatedSource("demo.Graft" + modelName);
    String file = modelName + ".java";
    long forwardLine = lineOf(model, "matmul(x, beta).add(bias)");
    long costLine = lineOf(model, "reduceMean(");

    // The forward pass: one kernel multiplies by beta and adds the bias in its epilogue.
    Matcher fused = Pattern.compile("(?s)/\\*\\*((?:(?!\\*/).)*)\\*/\\s*private static void (k\\d+_matmul_add)\\(")
        .matcher(source);
    assertTrue(fused.find(), "no fused matmul + bias kernel in\n" + source);
    String doc = fused.group(1);
    assertTrue(doc.contains("matmul(") && doc.contains("add(") && doc.contains("epilogue"), doc);
    assertTrue(doc.contains("at " + file + ":" + forwardLine), doc);
    assertTrue(body(source, "forward_predictions").contains(fused.group(2) + "("), "predictions calls the fused kernel");

    // The backward pass: kernels only the training entry calls, each pointing into the model.
    Set<String> backward = new TreeSet<>(kernelsCalledBy(source, "forwardBackward_cost"));
    backward.removeAll(kernelsCalledBy(source, "forward_cost"));
    assertFalse(backward.isEmpty(), "no gradient kernels in\n" + source);
    for (String kernel : backward) {
      String comment = kernelComment(source, kernel);
      Matcher at = Pattern.compile("at " + Pattern.quote(file) + ":(\\d+)").matcher(comment);
      assertTrue(at.find(), kernel + " names no model line: " + comment);
      do {
        long line = Long.parseLong(at.group(1));
        assertTrue(line == forwardLine || line == costLine, kernel + " points at line " + line + ": " + comment);
      } while (at.find());
    }
    assertTrue(backward.stream().anyMatch(k -> k.contains("matmul")), "the weight gradient is a matmul: " + backward);

    // The spec, and the typed facade.
    assertTrue(source.contains("public ModelSpec spec()"), "no spec()");
    assertTrue(source.contains("public static final class Facade implements AutoCloseable"), "no Facade");
    assertTrue(source.contains("public NDArray predictions(NDArray x)"), "no typed predictions(x)");
    assertTrue(source.contains("public CostTrainer costTrainer(Optimizer optimizer)"), "no typed trainer");
    assertTrue(source.contains("@Generated(\"dev.graft.processor.GraftProcessor\")"), "no @Generated");
  }

  /** The text of method {@code name} of the generated executor, up to its closing brace. */
  private static String body(String source, String name) {
    int start = source.indexOf("private void " + name + "(");
    if (start < 0) fail("no method " + name);
    int end = source.indexOf("\n    }\n", start);
    return source.substring(start, end);
  }

  private static List<String> kernelsCalledBy(String source, String method) {
    Matcher m = Pattern.compile("\\b(k\\d+_\\w+)\\(").matcher(body(source, method));
    List<String> names = new ArrayList<>();
    while (m.find()) names.add(m.group(1));
    return names;
  }

  private static String kernelComment(String source, String kernel) {
    int declaration = source.indexOf("private static void " + kernel + "(");
    int start = source.lastIndexOf("/**", declaration);
    return source.substring(start, declaration).lines().map(String::strip).collect(Collectors.joining(" "));
  }
}
