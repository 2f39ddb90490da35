package dev.graft.runtime.io;

import java.io.IOException;

/**
 * A strict pull reader for the small subset of JSON a safetensors header uses: objects, arrays,
 * strings and non-negative integers. The caller walks the structure it expects, so anything
 * else (another value type, a trailing comma, a fraction, trailing text) is an error that names
 * the character position.
 */
final class JsonReader {
  private final String text;
  private int pos;

  JsonReader(String text) {
    this.text = text;
  }

  /** Skips whitespace and consumes {@code c}, or fails. */
  void expect(char c) throws IOException {
    if (!tryConsume(c)) {
      throw error("expected '" + c + "'");
    }
  }

  /** Skips whitespace and consumes {@code c} if it comes next. */
  boolean tryConsume(char c) {
    skipWhitespace();
    if (pos < text.length() && text.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  /** Fails unless only whitespace remains. */
  void expectEnd() throws IOException {
    skipWhitespace();
    if (pos < text.length()) {
      throw error("unexpected text after the header object");
    }
  }

  /** A string value, with its escapes resolved. */
  String readString() throws IOException {
    expect('"');
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return out.toString();
      } else if (c < 0x20) {
        throw error("control character U+" + hex4(c) + " inside a string");
      } else if (c != '\\') {
        out.append(c);
      } else if (pos >= text.length()) {
        throw error("unterminated string");
      } else {
        char escape = text.charAt(pos++);
        switch (escape) {
          case '"', '\\', '/' -> out.append(escape);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (pos + 4 > text.length()) {
              throw error("incomplete \\u escape");
            }
            int code = 0;
            for (int i = 0; i < 4; i++) {
              int digit = Character.digit(text.charAt(pos++), 16);
              if (digit < 0) {
                throw error("invalid \\u escape");
              }
              code = code * 16 + digit;
            }
            out.append((char) code);
          }
          default -> throw error("invalid escape '\\" + escape + "'");
        }
      }
    }
  }

  /** A non-negative integer without fraction or exponent that fits in a long. */
  long readNonNegativeLong() throws IOException {
    skipWhitespace();
    int start = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
      pos++;
    }
    boolean moreNumber = pos < text.length() && ".eE-+".indexOf(text.charAt(pos)) >= 0;
    if (pos == start || moreNumber || (text.charAt(start) == '0' && pos - start > 1)) {
      pos = start;
      throw error("expected a non-negative integer");
    }
    try {
      return Long.parseLong(text.substring(start, pos));
    } catch (NumberFormatException e) {
      pos = start;
      throw error("integer out of range");
    }
  }

  /** An array of non-negative integers. */
  long[] readNonNegativeLongs() throws IOException {
    expect('[');
    long[] values = new long[4];
    int count = 0;
    if (!tryConsume(']')) {
      do {
        if (count == values.length) {
          values = java.util.Arrays.copyOf(values, count * 2);
        }
        values[count++] = readNonNegativeLong();
      } while (tryConsume(','));
      expect(']');
    }
    return java.util.Arrays.copyOf(values, count);
  }

  /** An error at the current position. */
  IOException error(String problem) {
    skipWhitespace();
    String found = pos < text.length() ? "'" + text.charAt(pos) + "'" : "the end";
    return new IOException("malformed header JSON at character " + pos + " (found " + found + "): " + problem);
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private static String hex4(int c) {
    String hex = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
    return "0000".substring(hex.length()) + hex;
  }
}
