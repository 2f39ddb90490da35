package dev.graft.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripsTensorsAndMetadata() throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("layer/w", NDArray.of(new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f, -7, 0.1f}, 2, 3));
    tensors.put("ids", NDArray.ofInts(new int[] {Integer.MIN_VALUE, 7}, 2));
    tensors.put("scalar", NDArray.scalar(22.5f));
    tensors.put("empty", NDArray.zeros(0, 4));
    Map<String, String> metadata = Map.of("note", "quotes \" backslash \\ newline \n é 日本");
    Path file = dir.resolve("m.safetensors");

    SafeTensors.write(file, tensors, metadata);
    SafeTensors.Contents read = SafeTensors.read(file);

    assertEquals(tensors, read.tensors());
    assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.tensors().keySet()), "file order");
    assertEquals(metadata, read.metadata());
    long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + headerLength) % 8, "the data is 8-byte aligned");
  }

  @Test
  void writesTheLayoutByteForByte() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    SafeTensors.write(file, Map.of("a", NDArray.of(new float[] {1f, -2f}, 2)), Map.of());

    // 54 bytes of JSON, padded with 2 spaces to 56 so that the data starts at byte 64.
    String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ";
    ByteBuffer expected = ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN);
    expected.put(new byte[] {56, 0, 0, 0, 0, 0, 0, 0});
    expected.put(json.getBytes(StandardCharsets.US_ASCII));
    expected.put(new byte[] {0, 0, (byte) 0x80, 0x3F}); // 1.0f = 0x3F800000
    expected.put(new byte[] {0, 0, 0, (byte) 0xC0}); // -2.0f = 0xC0000000
    assertArrayEquals(expected.array(), Files.readAllBytes(file));
  }

  @Test
  void readsAFileWrittenElsewhere() throws IOException {
    // Unpadded header, keys in another order, whitespace, metadata last, data not in key order.
    String json = "{ \"b\": {\"shape\": [], \"data_offsets\": [4, 8], \"dtype\": \"F32\"},\n"
        + "  \"a\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"__metadata__\": {\"format\": \"pt\"} }";
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 42).putFloat(4, 0.5f);
    Path file = write(json, data.array());

    SafeTensors.Contents read = SafeTensors.read(file);

    assertEquals(List.of("a", "b"), List.copyOf(read.tensors().keySet()));
    assertEquals(NDArray.ofInts(new int[] {42}, 1), read.tensors().get("a"));
    assertEquals(NDArray.scalar(0.5f), read.tensors().get("b"));
    assertEquals(Map.of("format", "pt"), read.metadata());
  }

  @Test
  void rejectsATruncatedFile() throws IOException {
    Path file = dir.resolve("t.safetensors");
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("a", NDArray.zeros(4));
    tensors.put("b", NDArray.zeros(2, 2));
    SafeTensors.write(file, tensors, Map.of()); // a 112-byte header (no padding), then 32 data bytes
    byte[] bytes = Files.readAllBytes(file);

    Files.write(file, Arrays.copyOf(bytes, bytes.length - 3));
    assertFails(file, "tensor 'b' ends at data byte 32, but the file holds only 29 data bytes (truncated?)");
    Files.write(file, Arrays.copyOf(bytes, 40));
    assertFails(file, "the header length is 112 bytes, but the file holds 32 bytes after it");
    Files.write(file, Arrays.copyOf(bytes, 5));
    assertFails(file, "5 bytes is too short for a safetensors file");
  }

  @Test
  void rejectsCorruptHeaders() throws IOException {
    byte[] data = new byte[8];
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", data),
        "malformed header JSON at character 54 (found '}'): expected '\"'");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", data),
        "expected a non-negative integer");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", data),
        "unexpected text after the header object");
    assertFails(write("{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", data),
        "tensor 'a' has dtype F16; only F32 and I32 are supported");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", data),
        "tensor 'a' needs \"dtype\", \"shape\" and \"data_offsets\"");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data), "duplicate key \"a\"");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data),
        "tensor 'a' has shape [3], which needs 12 bytes, but its data_offsets [0, 8] span 8");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", data),
        "tensor 'b' starts at data byte 2, overlapping the tensor before it, which ends at 4");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data),
        "tensor 'a' starts at data byte 4, leaving a gap after the tensor before it, which ends at 0");
    assertFails(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data),
        "the tensors end at data byte 4, but the file holds 8 data bytes after the header");
    assertFails(write("{\"__metadata__\":{\"k\":1}}", new byte[0]), "expected '\"'");
    byte[] notUtf8 = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
    Path file = dir.resolve("utf8.safetensors");
    Files.write(file, concat(lengthPrefix(notUtf8.length), notUtf8));
    assertFails(file, "the header is not valid UTF-8");
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path file = dir.resolve("m.safetensors");
    SafeTensors.write(file, Map.of("a", NDArray.scalar(1)), Map.of());
    SafeTensors.write(file, Map.of("a", NDArray.scalar(2)), Map.of()); // replaces

    assertThrows(IllegalArgumentException.class,
        () -> SafeTensors.write(file, Map.of("__metadata__", NDArray.scalar(3)), Map.of()));
    assertThrows(IOException.class,
        () -> SafeTensors.write(dir.resolve("missing/m.safetensors"), Map.of("a", NDArray.scalar(3)), Map.of()));

    assertEquals(NDArray.scalar(2), SafeTensors.read(file).tensors().get("a"));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("m.safetensors"), files.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
    }
  }

  private Path write(String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    Path file = Files.createTempFile(dir, "h", ".safetensors");
    Files.write(file, concat(concat(lengthPrefix(json.length), json), data));
    return file;
  }

  private static byte[] lengthPrefix(long length) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length).array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void assertFails(Path file, String expectedPart) {
    IOException e = assertThrows(IOException.class, () -> SafeTensors.read(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expectedPart), "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
