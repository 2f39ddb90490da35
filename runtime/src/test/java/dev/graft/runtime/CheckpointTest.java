package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;
  private Session session;

  private Session open(int features, long seed) {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", features));
    session.initialize(seed);
    return session;
  }

  @AfterEach
  void close() {
    session.close();
  }

  private List<NDArray> values() {
    return List.of(session.variable("w"), session.variable("b"), session.variable("scale"));
  }

  @Test
  void restoresWhatWasSaved() throws IOException {
    open(5, 1);
    session.assign("b", NDArray.of(new float[] {0.25f}, 1));
    List<NDArray> saved = values();
    Path file = dir.resolve("linear.safetensors");
    session.save(file);

    session.initialize(2);
    assertNotEquals(saved, values());
    session.restore(file);

    assertEquals(saved, values());
    SafeTensors.Contents contents = SafeTensors.read(file);
    assertEquals(List.of("w", "b", "scale"), List.copyOf(contents.tensors().keySet()));
    assertEquals(Map.of("graft.model", "LinearModel", "graft.format_version", "1"), contents.metadata());
  }

  @Test
  void restoreMakesAFreshSessionReady() throws IOException {
    open(2, 1);
    Path file = dir.resolve("m.safetensors");
    session.save(file);
    List<NDArray> saved = values();
    session.close();

    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 2));
    session.restore(file);
    assertEquals(saved, values());
  }

  @Test
  void aWrongShapeIsRejectedAndNothingChanges() throws IOException {
    Path file = dir.resolve("three.safetensors");
    open(3, 1).save(file);
    session.close();
    open(4, 2);
    List<NDArray> before = values();

    var e = assertThrows(IllegalArgumentException.class, () -> session.restore(file));

    assertEquals("checkpoint " + file + " does not fit model 'LinearModel': tensor 'w' is FLOAT32 [3, 1], expected "
        + "FLOAT32 [features, 1] = [4, 1]. No variable was restored.", e.getMessage());
    assertEquals(before, values());
  }

  @Test
  void missingAndUnknownTensorsAreRejectedAndNothingChanges() throws IOException {
    open(2, 1);
    List<NDArray> before = values();
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("w", NDArray.zeros(2, 1));
    tensors.put("b", NDArray.zeros(1));
    tensors.put("bias", NDArray.zeros(1));
    Path file = dir.resolve("other.safetensors");
    SafeTensors.write(file, tensors, Map.of());

    var e = assertThrows(IllegalArgumentException.class, () -> session.restore(file));

    assertEquals("checkpoint " + file + " does not fit model 'LinearModel': variable 'scale' (FLOAT32 [] = []) is "
        + "missing; tensor 'bias' (FLOAT32 [1]) is not a variable of the model. No variable was restored.",
        e.getMessage());
    assertEquals(before, values());
  }

  @Test
  void aTruncatedOrCorruptFileIsRejectedAndNothingChanges() throws IOException {
    Path file = dir.resolve("m.safetensors");
    open(2, 1).save(file);
    session.initialize(2);
    List<NDArray> before = values();
    byte[] bytes = Files.readAllBytes(file);

    Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
    var truncated = assertThrows(IOException.class, () -> session.restore(file));
    assertTrue(truncated.getMessage().contains("tensor 'scale' ends at data byte 16, but the file holds only 15"),
        truncated.getMessage());

    bytes[8] = '['; // the header's opening brace
    Files.write(file, bytes);
    var corrupt = assertThrows(IOException.class, () -> session.restore(file));
    assertTrue(corrupt.getMessage().contains("malformed header JSON at character 0 (found '['): expected '{'"),
        corrupt.getMessage());

    assertThrows(IOException.class, () -> session.restore(dir.resolve("absent.safetensors")));
    assertEquals(before, values());
  }

  @Test
  void aNewerFormatVersionIsRejected() throws IOException {
    open(1, 1);
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (String name : session.variableNames()) {
      tensors.put(name, session.variable(name));
    }
    Path file = dir.resolve("v2.safetensors");
    SafeTensors.write(file, tensors, Map.of("graft.format_version", "2"));
    var e = assertThrows(IOException.class, () -> session.restore(file));
    assertEquals(file + ": written in Graft checkpoint format 2; this runtime reads format 1", e.getMessage());
  }

  @Test
  void savingNeedsEveryVariableToHaveAValue() {
    session = Session.open(new GraftLinearModel(), Device.cpu(1), Dims.of("features", 2));
    var e = assertThrows(IllegalStateException.class, () -> session.save(dir.resolve("m.safetensors")));
    assertEquals("variable 'w' has no value to save: call initialize(seed) first", e.getMessage());
    assertTrue(Files.notExists(dir.resolve("m.safetensors")));
  }
}
