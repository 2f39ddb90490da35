package dev.graft.runtime.io;

import dev.graft.dsl.DType;
import dev.graft.runtime.NDArray;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, so that weights move between Graft, PyTorch and JAX:
 *
 * <pre>
 * 8 bytes    N, the header length, unsigned little-endian
 * N bytes    UTF-8 JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
 *                         "__metadata__": {"key": "value", ...}}
 * the rest   the tensors' raw little-endian data; offsets count from the first byte after the header
 * </pre>
 *
 * <p>Only {@code F32} ({@link DType#FLOAT32}) and {@code I32} ({@link DType#INT32}) tensors are
 * supported. {@link #write} pads the header with spaces so that the data starts at a multiple
 * of 8 bytes, as the reference implementation does, and writes atomically. {@link #read}
 * validates the whole layout before it reads any data: malformed files fail with an
 * {@link IOException} whose message starts with the file and names the problem.
 */
public final class SafeTensors {
  /** The largest header accepted, as in the reference implementation (100 MB). */
  public static final int MAX_HEADER_BYTES = 100_000_000;

  private static final String METADATA_KEY = "__metadata__";
  private static final int CHUNK_BYTES = 1 << 16;

  private SafeTensors() {}

  /**
   * What a file holds.
   *
   * @param tensors the tensors in the order of their data in the file (unmodifiable)
   * @param metadata the {@code __metadata__} entries, empty when there are none (unmodifiable)
   */
  public record Contents(Map<String, NDArray> tensors, Map<String, String> metadata) {
    public Contents {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** A tensor's entry in the header. */
  private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  /**
   * Writes {@code tensors} (in map order) and {@code metadata} to {@code file} atomically: into a
   * temporary file in the same directory, forced to the device, then moved over {@code file}
   * (an atomic rename where the file system has one). Readers see the old file or the new one,
   * never a partial one; on failure the temporary file is removed.
   *
   * @throws IllegalArgumentException if a tensor is named {@code __metadata__}
   */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
    byte[] header = header(tensors, metadata);
    Path target = file.toAbsolutePath();
    Path temporary = target.resolveSibling("." + target.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        writeFully(channel, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
        writeFully(channel, ByteBuffer.wrap(header));
        for (NDArray tensor : tensors.values()) {
          writeData(channel, tensor);
        }
        channel.force(true);
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      forceDirectory(target.getParent());
    } finally {
      if (!moved) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Reads every tensor and the metadata of {@code file}, after checking the header length
   * against the file size, the JSON, every dtype and shape, and that the data offsets are in
   * range, contiguous, non-overlapping and as long as their shapes need.
   *
   * @throws IOException if the file cannot be read or is not a well-formed safetensors file with
   *     F32 and I32 tensors; the message names the file and the problem
   */
  public static Contents read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < 8) {
        throw new IOException(file + ": " + fileSize + " bytes is too short for a safetensors file (the header "
            + "length alone takes 8 bytes)");
      }
      long headerLength = readBytes(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLength < 2 || headerLength > fileSize - 8 || headerLength > MAX_HEADER_BYTES) {
        throw new IOException(file + ": the header length is " + Long.toUnsignedString(headerLength) + " bytes, but "
            + "the file holds " + (fileSize - 8) + " bytes after it" + (headerLength > MAX_HEADER_BYTES
            ? " and the limit is " + MAX_HEADER_BYTES : "") + " (truncated, or not a safetensors file)");
      }
      String json = decodeUtf8(file, readBytes(channel, 8, (int) headerLength));
      Map<String, String> metadata = new LinkedHashMap<>();
      List<Entry> entries;
      try {
        entries = parseHeader(json, metadata);
      } catch (IOException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
      long dataStart = 8 + headerLength;
      checkLayout(file, entries, fileSize - dataStart);
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (Entry entry : entries) {
        tensors.put(entry.name(), readData(channel, dataStart + entry.begin(), entry));
      }
      return new Contents(tensors, metadata);
    }
  }

  // ---- writing ----

  private static byte[] header(Map<String, NDArray> tensors, Map<String, String> metadata) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      appendString(json, METADATA_KEY).append(":{");
      String separator = "";
      for (Map.Entry<String, String> entry : metadata.entrySet()) {
        json.append(separator);
        appendString(json, entry.getKey()).append(':');
        appendString(json, entry.getValue());
        separator = ",";
      }
      json.append('}');
    }
    long offset = 0;
    for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
      if (entry.getKey().equals(METADATA_KEY)) {
        throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
      }
      NDArray tensor = entry.getValue();
      long end = offset + 4L * tensor.size();
      if (json.length() > 1) {
        json.append(',');
      }
      appendString(json, entry.getKey()).append(":{\"dtype\":\"").append(dtypeName(tensor.dtype()))
          .append("\",\"shape\":").append(Arrays.toString(tensor.shape()).replace(" ", ""))
          .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    json.append('}');
    byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (utf8.length + 7) / 8 * 8; // 8 + padded is a multiple of 8: the data is aligned
    byte[] header = Arrays.copyOf(utf8, padded);
    Arrays.fill(header, utf8.length, padded, (byte) ' ');
    return header;
  }

  private static StringBuilder appendString(StringBuilder json, String value) {
    json.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20) {
        String hex = Integer.toHexString(c);
        json.append("\\u00").append(hex.length() == 1 ? "0" : "").append(hex);
      } else {
        json.append(c);
      }
    }
    return json.append('"');
  }

  private static String dtypeName(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> "F32";
      case INT32 -> "I32";
    };
  }

  // Buffers are always freshly wrapped: flip(), clear() and limit(int) return ByteBuffer only
  // since Java 9, and such call sites fail on older Android runtimes.
  private static void writeData(FileChannel channel, NDArray tensor) throws IOException {
    byte[] chunk = new byte[CHUNK_BYTES];
    ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    int chunkElements = CHUNK_BYTES / 4;
    float[] floats = tensor.dtype() == DType.FLOAT32 ? tensor.toFloatArray() : null;
    int[] ints = floats == null ? tensor.toIntArray() : null;
    for (int from = 0; from < tensor.size(); from += chunkElements) {
      int n = Math.min(chunkElements, tensor.size() - from);
      if (floats != null) {
        view.asFloatBuffer().put(floats, from, n);
      } else {
        view.asIntBuffer().put(ints, from, n);
      }
      writeFully(channel, ByteBuffer.wrap(chunk, 0, 4 * n));
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Makes the rename durable where the platform allows opening a directory (not on Windows). */
  private static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | RuntimeException e) {
      // Best effort: the data itself was forced before the rename.
    }
  }

  // ---- reading ----

  private static List<Entry> parseHeader(String json, Map<String, String> metadata) throws IOException {
    JsonReader reader = new JsonReader(json);
    List<Entry> entries = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    reader.expect('{');
    if (!reader.tryConsume('}')) {
      do {
        String name = reader.readString();
        if (!keys.add(name)) {
          throw reader.error("duplicate key \"" + name + "\"");
        }
        reader.expect(':');
        if (name.equals(METADATA_KEY)) {
          parseMetadata(reader, metadata);
        } else {
          entries.add(parseEntry(reader, name));
        }
      } while (reader.tryConsume(','));
      reader.expect('}');
    }
    reader.expectEnd();
    return entries;
  }

  private static void parseMetadata(JsonReader reader, Map<String, String> metadata) throws IOException {
    reader.expect('{');
    if (!reader.tryConsume('}')) {
      do {
        String key = reader.readString();
        reader.expect(':');
        if (metadata.put(key, reader.readString()) != null) {
          throw reader.error("duplicate metadata key \"" + key + "\"");
        }
      } while (reader.tryConsume(','));
      reader.expect('}');
    }
  }

  private static Entry parseEntry(JsonReader reader, String name) throws IOException {
    String dtype = null;
    long[] shape = null;
    long[] offsets = null;
    reader.expect('{');
    do {
      String key = reader.readString();
      reader.expect(':');
      boolean repeated;
      switch (key) {
        case "dtype" -> {
          repeated = dtype != null;
          dtype = reader.readString();
        }
        case "shape" -> {
          repeated = shape != null;
          shape = reader.readNonNegativeLongs();
        }
        case "data_offsets" -> {
          repeated = offsets != null;
          offsets = reader.readNonNegativeLongs();
        }
        default -> throw reader.error("tensor '" + name + "' has an unknown field \"" + key + "\"");
      }
      if (repeated) {
        throw reader.error("tensor '" + name + "' repeats \"" + key + "\"");
      }
    } while (reader.tryConsume(','));
    reader.expect('}');
    if (dtype == null || shape == null || offsets == null) {
      throw reader.error("tensor '" + name + "' needs \"dtype\", \"shape\" and \"data_offsets\"");
    }
    if (offsets.length != 2 || offsets[1] < offsets[0]) {
      throw reader.error("tensor '" + name + "' has data_offsets " + Arrays.toString(offsets)
          + "; expected [begin, end] with begin <= end");
    }
    DType type = switch (dtype) {
      case "F32" -> DType.FLOAT32;
      case "I32" -> DType.INT32;
      default -> throw reader.error("tensor '" + name + "' has dtype " + dtype + "; only F32 and I32 are supported");
    };
    return new Entry(name, type, shape, offsets[0], offsets[1]);
  }

  /** Offsets must tile the data section exactly, each as long as its shape needs. */
  private static void checkLayout(Path file, List<Entry> entries, long dataBytes) throws IOException {
    entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expectedBegin = 0;
    for (Entry entry : entries) {
      long elements = 1;
      for (long dim : entry.shape()) {
        if (dim > Integer.MAX_VALUE) {
          throw new IOException(file + ": tensor '" + entry.name() + "' has shape " + Arrays.toString(entry.shape())
              + ", a dimension above 2^31-1");
        }
        elements = dim == 0 || elements <= Integer.MAX_VALUE / dim ? elements * dim : Long.MAX_VALUE;
      }
      if (elements > Integer.MAX_VALUE) {
        throw new IOException(file + ": tensor '" + entry.name() + "' has shape " + Arrays.toString(entry.shape())
            + ", more than 2^31-1 elements");
      }
      if (entry.end() - entry.begin() != 4 * elements) {
        throw new IOException(file + ": tensor '" + entry.name() + "' has shape " + Arrays.toString(entry.shape())
            + ", which needs " + 4 * elements + " bytes, but its data_offsets [" + entry.begin() + ", " + entry.end()
            + "] span " + (entry.end() - entry.begin()));
      }
      if (entry.begin() != expectedBegin) {
        throw new IOException(file + ": tensor '" + entry.name() + "' starts at data byte " + entry.begin() + ", "
            + (entry.begin() < expectedBegin ? "overlapping the tensor before it, which ends at "
            : "leaving a gap after the tensor before it, which ends at ") + expectedBegin);
      }
      if (entry.end() > dataBytes) {
        throw new IOException(file + ": tensor '" + entry.name() + "' ends at data byte " + entry.end() + ", but the "
            + "file holds only " + dataBytes + " data bytes (truncated?)");
      }
      expectedBegin = entry.end();
    }
    if (expectedBegin != dataBytes) {
      throw new IOException(file + ": the tensors end at data byte " + expectedBegin + ", but the file holds "
          + dataBytes + " data bytes after the header");
    }
  }

  private static NDArray readData(FileChannel channel, long position, Entry entry) throws IOException {
    int[] shape = new int[entry.shape().length];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = (int) entry.shape()[d]; // each is at most the element count, checked to fit in an int
    }
    int count = (int) ((entry.end() - entry.begin()) / 4);
    int chunkElements = CHUNK_BYTES / 4;
    if (entry.dtype() == DType.FLOAT32) {
      float[] data = new float[count];
      for (int from = 0; from < count; from += chunkElements) {
        int n = Math.min(chunkElements, count - from);
        readBytes(channel, position + 4L * from, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, from, n);
      }
      return NDArray.of(data, shape);
    }
    int[] data = new int[count];
    for (int from = 0; from < count; from += chunkElements) {
      int n = Math.min(chunkElements, count - from);
      readBytes(channel, position + 4L * from, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(data, from, n);
    }
    return NDArray.ofInts(data, shape);
  }

  private static ByteBuffer readBytes(FileChannel channel, long position, int length) throws IOException {
    byte[] bytes = new byte[length];
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new EOFException("the file ended at byte " + (position + buffer.position()) + " while reading "
            + length + " bytes from byte " + position + " (was it truncated while being read?)");
      }
    }
    return ByteBuffer.wrap(bytes);
  }

  private static String decodeUtf8(Path file, ByteBuffer bytes) throws IOException {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": the header is not valid UTF-8", e);
    }
  }
}
