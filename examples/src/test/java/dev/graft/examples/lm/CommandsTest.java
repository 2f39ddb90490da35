package dev.graft.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.examples.MainAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train, generate and next commands through the command line. */
class CommandsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return MainAccess.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static Path corpus(Path dir) throws Exception {
    Path file = dir.resolve("corpus.txt");
    Files.writeString(file, "the cat sat on the mat.\nthe dog sat on the log.\n".repeat(30));
    return file;
  }

  private static final Set<String> EPOCH_KEYS = Set.of("epoch", "step", "seconds", "train_loss", "train_perplexity",
      "valid_loss", "valid_perplexity", "words_per_second");

  @Test
  void trainWritesMetricsAndAModelThatGenerateAndNextUse(@TempDir Path dir) throws Exception {
    Path corpus = corpus(dir);
    Path metrics = dir.resolve("metrics.jsonl");
    Path model = dir.resolve("model");
    assertEquals(0, run("train", "--corpus", corpus.toString(), "--test", corpus.toString(), "--level", "char",
        "--hidden", "16", "--steps", "8", "--batch", "4", "--epochs", "2", "--optimizer", "adam", "--lr", "0.01",
        "--threads", "1", "--metrics", metrics.toString(), "--save", model.toString()), err());
    assertTrue(out().contains("no --valid: holding out the last 10% of the corpus"), out());
    assertTrue(out().contains("epoch 2/2: train perplexity"), out());
    assertTrue(out().contains("test perplexity"), out());
    List<String> lines = Files.readAllLines(metrics);
    assertEquals(3, lines.size(), lines.toString());
    for (int i = 0; i < 2; i++) {
      Map<String, Double> m = Json.parseFlatObject(lines.get(i));
      assertTrue(m.keySet().containsAll(EPOCH_KEYS), m.toString());
      assertEquals(i + 1, m.get("epoch"));
      assertEquals(Math.exp(m.get("valid_loss")), m.get("valid_perplexity"), 1e-9 * m.get("valid_perplexity"));
      assertEquals(Math.exp(m.get("train_loss")), m.get("train_perplexity"), 1e-9 * m.get("train_perplexity"));
      assertTrue(m.get("words_per_second") > 0 && m.get("seconds") > 0, m.toString());
    }
    Map<String, Double> test = Json.parseFlatObject(lines.get(2));
    assertTrue(test.keySet().containsAll(Set.of("epoch", "step", "seconds", "test_loss", "test_perplexity")), test.toString());

    assertEquals(0, run("next", "--model", model.toString(), "--prompt", "the c", "--top-k", "3"), err());
    List<String> next = out().lines().toList();
    assertEquals(3, next.size(), out());
    assertTrue(next.get(0).matches("0\\.\\d{4}  '.+'"), next.get(0));

    assertEquals(0, run("generate", "--model", model.toString(), "--prompt", "the ", "--length", "20", "--seed", "1"),
        err());
    assertTrue(out().startsWith("the "), out());
    String first = out();
    run("generate", "--model", model.toString(), "--prompt", "the ", "--length", "20", "--seed", "1");
    assertEquals(first, out(), "the same seed gives the same text");

    assertEquals(0, run("next", "--model", model.toString(), "--prompt", "the zebra"), err());
    assertTrue(err().contains("not in the vocabulary and read as <unk>: 'z', 'b', 'r'"), err());
  }

  @Test
  void maxMinutesStopsAfterTheStepInProgressThenEvaluatesAndSaves(@TempDir Path dir) throws Exception {
    Path metrics = dir.resolve("m.jsonl");
    Path model = dir.resolve("model");
    long start = System.nanoTime();
    assertEquals(0, run("train", "--corpus", corpus(dir).toString(), "--level", "word", "--hidden", "16", "--steps",
        "4", "--batch", "2", "--epochs", "100000", "--max-minutes", "0.02", "--threads", "1", "--metrics",
        metrics.toString(), "--save", model.toString()), err());
    assertTrue((System.nanoTime() - start) / 1e9 < 30, "stopped");
    assertTrue(out().contains("stopped by --max-minutes"), out());
    assertEquals(0, run("next", "--model", model.toString(), "--prompt", "the"), err());
    assertTrue(Json.parseFlatObject(Files.readAllLines(metrics).get(0)).containsKey("valid_perplexity"));
  }

  @Test
  void aMissingOrCorruptModelIsAClearError(@TempDir Path dir) throws Exception {
    assertEquals(1, run("next", "--model", dir.resolve("nothing").toString(), "--prompt", "x"));
    assertTrue(err().startsWith("graft: next: ") && err().contains("no such model directory"), err());

    assertEquals(1, run("generate", "--model", dir.toString()));
    assertTrue(err().contains("is not a complete saved model: config.properties is missing"), err());

    Path model = dir.resolve("model");
    assertEquals(0, run("train", "--corpus", corpus(dir).toString(), "--level", "char", "--hidden", "8", "--steps",
        "4", "--batch", "2", "--epochs", "1", "--threads", "1", "--save", model.toString()), err());
    Path weights = model.resolve(SavedModel.WEIGHTS);
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertEquals(1, run("next", "--model", model.toString(), "--prompt", "x"));
    assertTrue(err().contains("cannot restore the weights") && err().contains("truncated"), err());

    Files.write(weights, bytes);
    Path config = model.resolve(SavedModel.CONFIG);
    String good = Files.readString(config);
    Files.writeString(config, good.replaceAll("hidden=8", "hidden=9"));
    assertEquals(1, run("next", "--model", model.toString(), "--prompt", "x"));
    assertTrue(err().contains("cannot restore the weights") && err().contains("hidden"), err());

    Files.writeString(config, good.replaceAll("cell=lstm", "cell=transformer"));
    assertEquals(1, run("next", "--model", model.toString(), "--prompt", "x"));
    assertTrue(err().contains("unknown cell 'transformer'"), err());

    Files.writeString(config, good);
    assertEquals(0, run("next", "--model", model.toString(), "--prompt", "x"), err());
  }

  @Test
  void badOptionsAreUsageErrors() {
    assertEquals(2, run("generate", "--prompt", "x"));
    assertTrue(err().startsWith("graft: generate: --model DIR is required"), err());
    assertEquals(2, run("next", "--model", "m", "--prompt", "x", "--top-k", "0"));
    assertTrue(err().startsWith("graft: next: --top-k needs a positive integer, got '0'"), err());
    assertEquals(2, run("train", "--layers", "1"));
    assertTrue(err().startsWith("graft: train: --layers 1 is not supported"), err());
    assertTrue(err().contains("usage: graft"), err());
  }

  @Test
  void tinyShakespeareTrainsForAFewSeconds(@TempDir Path dir) throws Exception {
    Path data = Path.of("../../shared/data/tinyshakespeare.txt");
    Assumptions.assumeTrue(Files.isRegularFile(data), "no " + data.toAbsolutePath());
    Path metrics = dir.resolve("ts.jsonl");
    assertEquals(0, run("train", "--corpus", data.toString(), "--level", "char", "--hidden", "32", "--batch", "16",
        "--steps", "20", "--optimizer", "adam", "--lr", "0.005", "--epochs", "1", "--max-minutes", "0.05",
        "--threads", "1", "--metrics", metrics.toString()), err());
    Map<String, Double> m = Json.parseFlatObject(Files.readAllLines(metrics).get(0));
    assertTrue(m.get("train_loss") < Math.log(65), m.toString());
  }
}
