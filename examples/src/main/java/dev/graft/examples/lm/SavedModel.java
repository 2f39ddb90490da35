package dev.graft.examples.lm;

import dev.graft.runtime.text.Vocabulary;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A trained language model on disk, a directory of three files:
 *
 * <ul>
 *   <li>{@value #WEIGHTS}: the variables, in the safetensors format ({@code Session.save});
 *   <li>{@value #VOCABULARY}: the vocabulary ({@link Vocabulary#save});
 *   <li>{@value #CONFIG}: a Java properties file: {@code format}, {@code cell}, {@code layers},
 *       {@code hidden}, {@code vocab}, {@code level}, and informational training details.
 * </ul>
 *
 * <p>{@link #save} writes a complete new directory beside the target and then renames it into
 * place, so a crash leaves the old model or the new one, never a mix or a half-written file.
 */
public final class SavedModel {
  public static final String WEIGHTS = "model.safetensors";
  public static final String VOCABULARY = "vocabulary.txt";
  public static final String CONFIG = "config.properties";
  /**
   * The saved-model format: 2 since the models use the DSL's built-in layers (LSTM gates i, f, g, o
   * rather than 1's i, g, f, o; GRU weights [in, 3·hidden] and [hidden, 3·hidden]), so that a model
   * saved in format 1 is refused rather than read with its gates mixed up.
   */
  static final String FORMAT = "graft-language-model-2";

  private SavedModel() {}

  /** A model read back: the open model (restored weights) and its vocabulary. */
  public record Loaded(LanguageModel model, Vocabulary vocabulary, Map<String, String> config) {}

  /**
   * Writes {@code model}, {@code vocabulary} and {@code info} (extra config entries) to
   * {@code dir}, replacing a previous model there.
   */
  public static void save(Path dir, LanguageModel model, Vocabulary vocabulary, Map<String, String> info)
      throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    if (parent != null) Files.createDirectories(parent);
    if (Files.exists(target) && !Files.isDirectory(target)) {
      throw new IOException(target + " exists and is not a directory");
    }
    String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong());
    Path temporary = target.resolveSibling("." + target.getFileName() + "." + nonce + ".tmp");
    Path old = target.resolveSibling("." + target.getFileName() + "." + nonce + ".old");
    Files.createDirectory(temporary);
    boolean done = false;
    try {
      model.session().save(temporary.resolve(WEIGHTS));
      vocabulary.save(temporary.resolve(VOCABULARY));
      Map<String, String> config = new TreeMap<>(info);
      config.put("format", FORMAT);
      config.put("cell", model.cell().id());
      config.put("layers", Integer.toString(model.layers()));
      config.put("hidden", Integer.toString(model.hidden()));
      config.put("vocab", Integer.toString(model.vocab()));
      config.put("level", vocabulary.level() == Vocabulary.Level.CHARACTERS ? "char" : "word");
      Properties properties = new Properties();
      properties.putAll(config);
      try (Writer w = Files.newBufferedWriter(temporary.resolve(CONFIG), StandardCharsets.UTF_8)) {
        properties.store(w, "Graft language model (see dev.graft.examples.lm.SavedModel)");
      }
      if (Files.exists(target)) {
        if (!isModelDirectory(target)) {
          throw new IOException(target + " exists and is not a saved model (no " + CONFIG + "); not replacing it");
        }
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } finally {
      deleteTree(done ? old : temporary);
    }
  }

  private static boolean isModelDirectory(Path dir) {
    if (Files.isRegularFile(dir.resolve(CONFIG))) return true;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext(); // an empty directory may be replaced too
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) Files.delete(p);
    }
    Files.delete(dir);
  }

  /**
   * Opens the model saved in {@code dir}.
   *
   * @throws IOException if {@code dir} is missing, is not a saved model, or holds a corrupt or
   *     inconsistent file; the message names the file and the problem
   */
  public static Loaded load(Path dir, int threads) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no such model directory (write one with ./graft train "
          + "--save DIR)");
    }
    for (String file : new String[] {CONFIG, VOCABULARY, WEIGHTS}) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IOException(dir + " is not a complete saved model: " + file + " is missing (write one with "
            + "./graft train --save DIR)");
      }
    }
    Properties properties = new Properties();
    try (Reader r = Files.newBufferedReader(dir.resolve(CONFIG), StandardCharsets.UTF_8)) {
      properties.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException(dir.resolve(CONFIG) + ": unreadable: " + e.getMessage(), e);
    }
    Map<String, String> config = new TreeMap<>();
    for (String key : properties.stringPropertyNames()) config.put(key, properties.getProperty(key));
    Path configFile = dir.resolve(CONFIG);
    if (!FORMAT.equals(config.get("format"))) {
      throw new IOException(configFile + ": format is " + (config.containsKey("format") ? "'" + config.get("format")
          + "'" : "missing") + ", expected '" + FORMAT + "'");
    }
    Cell cell;
    try {
      cell = Cell.parse(required(config, "cell", configFile));
    } catch (IllegalArgumentException e) {
      throw new IOException(configFile + ": " + e.getMessage());
    }
    int layers = positive(config, "layers", configFile);
    int hidden = positive(config, "hidden", configFile);
    int vocabSize = positive(config, "vocab", configFile);
    Vocabulary vocabulary = Vocabulary.load(dir.resolve(VOCABULARY));
    if (vocabulary.size() != vocabSize) {
      throw new IOException(dir.resolve(VOCABULARY) + " has " + vocabulary.size() + " tokens, but " + configFile
          + " says vocab = " + vocabSize);
    }
    if (!TrainOptions.SUPPORTED_LAYERS.contains(layers)) {
      throw new IOException(configFile + ": layers = " + layers + ", but this program has models with "
          + TrainOptions.SUPPORTED_LAYERS + " layers");
    }
    LanguageModel model = LanguageModel.open(cell, layers, vocabSize, hidden, threads);
    try {
      model.session().restore(dir.resolve(WEIGHTS));
    } catch (IOException | IllegalArgumentException e) {
      model.close();
      throw new IOException("cannot restore the weights: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return new Loaded(model, vocabulary, config);
  }

  private static String required(Map<String, String> config, String key, Path file) throws IOException {
    String value = config.get(key);
    if (value == null || value.isBlank()) throw new IOException(file + ": " + key + " is missing");
    return value.trim();
  }

  private static int positive(Map<String, String> config, String key, Path file) throws IOException {
    String value = required(config, key, file);
    try {
      int v = Integer.parseInt(value);
      if (v > 0) return v;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IOException(file + ": " + key + " must be a positive integer, got '" + value + "'");
  }
}
