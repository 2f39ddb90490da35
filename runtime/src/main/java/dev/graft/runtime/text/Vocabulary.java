package dev.graft.runtime.text;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A bijection between tokens and ids 0 to {@code size() - 1}, for word-level or
 * character-level language models.
 *
 * <ul>
 *   <li><b>Words</b>: tokens are separated by whitespace ({@link Character#isWhitespace}) and
 *       every line break {@code '\n'} becomes the token {@value #EOS}, as in the PTB tutorial's
 *       reader. Ids: {@value #UNK} = 0, {@value #EOS} = 1, then the words.
 *   <li><b>Characters</b>: every Unicode code point, line breaks included, is a token. Ids:
 *       {@value #UNK} = 0, then the characters.
 * </ul>
 *
 * <p>After the special tokens, tokens are ordered by descending count in the text they were
 * built from, ties by {@link String#compareTo}: the same text always gives the same ids. Tokens
 * that are not in the vocabulary encode as {@value #UNK}. Instances are immutable.
 */
public final class Vocabulary {
  /** The token that stands for every token not in the vocabulary; its id is 0. */
  public static final String UNK = "<unk>";
  /** The end-of-line token of word vocabularies; its id is 1. */
  public static final String EOS = "<eos>";
  /** The id of {@link #UNK}. */
  public static final int UNK_ID = 0;

  private static final String HEADER = "# graft vocabulary: ";
  private static final int READ_CHUNK = 8192;

  /** How text splits into tokens. */
  public enum Level {
    /** Whitespace-separated words, with {@value #EOS} for each line break. */
    WORDS,
    /** Unicode code points. */
    CHARACTERS;

    List<String> specials() {
      return this == WORDS ? List.of(UNK, EOS) : List.of(UNK);
    }

    String lowerCaseName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Level level;
  private final String[] tokens;
  private final Map<String, Integer> ids;

  private Vocabulary(Level level, List<String> tokens) {
    this.level = level;
    this.tokens = tokens.toArray(new String[0]);
    this.ids = new HashMap<>(tokens.size() * 2);
    for (int id = 0; id < this.tokens.length; id++) {
      ids.put(this.tokens[id], id);
    }
  }

  /**
   * A word vocabulary of {@code text}.
   *
   * @param minCount words seen fewer times are left out (and encode as {@value #UNK}); 1 keeps
   *     every word
   * @param maxSize the largest size, special tokens included; the least frequent words are left
   *     out beyond it ({@link Integer#MAX_VALUE} for no limit)
   */
  public static Vocabulary words(String text, int minCount, int maxSize) {
    try {
      return build(Level.WORDS, new StringReader(text), minCount, maxSize);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a StringReader does not fail
    }
  }

  /** A word vocabulary of a UTF-8 text file, read as a stream; see {@link #words(String, int, int)}. */
  public static Vocabulary words(Path file, int minCount, int maxSize) throws IOException {
    return read(file, reader -> build(Level.WORDS, reader, minCount, maxSize));
  }

  /** A character vocabulary of every code point of {@code text}. */
  public static Vocabulary characters(String text) {
    try {
      return build(Level.CHARACTERS, new StringReader(text), 1, Integer.MAX_VALUE);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A character vocabulary of every code point of a UTF-8 text file, read as a stream. */
  public static Vocabulary characters(Path file) throws IOException {
    return read(file, reader -> build(Level.CHARACTERS, reader, 1, Integer.MAX_VALUE));
  }

  private static Vocabulary build(Level level, Reader text, int minCount, int maxSize) throws IOException {
    List<String> specials = level.specials();
    if (minCount < 1) {
      throw new IllegalArgumentException("minCount must be at least 1, got " + minCount);
    }
    if (maxSize < specials.size()) {
      throw new IllegalArgumentException("maxSize must leave room for the special tokens " + specials + ", got "
          + maxSize);
    }
    Map<String, int[]> counts = new HashMap<>();
    tokenize(level, text, token -> counts.computeIfAbsent(token, t -> new int[1])[0]++);
    List<Map.Entry<String, int[]>> counted = new ArrayList<>();
    for (Map.Entry<String, int[]> entry : counts.entrySet()) {
      if (entry.getValue()[0] >= minCount && !specials.contains(entry.getKey())) {
        counted.add(entry);
      }
    }
    counted.sort((a, b) -> a.getValue()[0] != b.getValue()[0]
        ? Integer.compare(b.getValue()[0], a.getValue()[0]) : a.getKey().compareTo(b.getKey()));
    List<String> tokens = new ArrayList<>(specials);
    for (int i = 0; i < counted.size() && tokens.size() < maxSize; i++) {
      tokens.add(counted.get(i).getKey());
    }
    return new Vocabulary(level, tokens);
  }

  /** Receives tokens in text order. */
  private interface TokenSink {
    void accept(String token);
  }

  /** Splits {@code text} into tokens as {@code level} says; reads in chunks, never by line. */
  private static void tokenize(Level level, Reader text, TokenSink sink) throws IOException {
    char[] buffer = new char[READ_CHUNK];
    StringBuilder word = new StringBuilder();
    char highSurrogate = 0; // a code point split across two reads
    for (int n; (n = text.read(buffer)) >= 0; ) {
      for (int i = 0; i < n; i++) {
        char c = buffer[i];
        if (level == Level.CHARACTERS) {
          if (highSurrogate != 0) {
            char high = highSurrogate;
            highSurrogate = 0;
            if (Character.isLowSurrogate(c)) {
              sink.accept(new String(new char[] {high, c}));
              continue;
            }
            sink.accept(String.valueOf(high)); // a lone surrogate is a token of its own
          }
          if (Character.isHighSurrogate(c)) {
            highSurrogate = c;
          } else {
            sink.accept(String.valueOf(c));
          }
        } else if (c == '\n' || Character.isWhitespace(c)) {
          if (word.length() > 0) {
            sink.accept(word.toString());
            word.setLength(0);
          }
          if (c == '\n') {
            sink.accept(EOS);
          }
        } else {
          word.append(c);
        }
      }
    }
    if (highSurrogate != 0) {
      sink.accept(String.valueOf(highSurrogate));
    }
    if (word.length() > 0) {
      sink.accept(word.toString());
    }
  }

  /** What is done with an open file. */
  private interface FileReading<T> {
    T apply(BufferedReader reader) throws IOException;
  }

  /**
   * Reads a UTF-8 file, with messages that say which file is missing (and where it was looked
   * for) or not UTF-8.
   */
  private static <T> T read(Path file, FileReading<T> reading) throws IOException {
    BufferedReader reader;
    try {
      reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "text file not found (looked for "
          + file.toAbsolutePath() + ")");
    }
    try (reader) {
      return reading.apply(reader);
    } catch (CharacterCodingException e) {
      throw new IOException(file + ": not valid UTF-8 text", e);
    }
  }

  /** The ids of the tokens of {@code text}, split as this vocabulary's level says. */
  public int[] encode(String text) {
    try {
      return encode(new StringReader(text));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The ids of the tokens of a UTF-8 text file, such as a training corpus, read as a stream.
   *
   * @throws java.nio.file.NoSuchFileException if the file does not exist, naming its absolute
   *     path
   */
  public int[] encode(Path file) throws IOException {
    return read(file, this::encode);
  }

  private int[] encode(Reader text) throws IOException {
    int[][] ids = {new int[1024]};
    int[] count = new int[1];
    tokenize(level, text, token -> {
      if (count[0] == ids[0].length) {
        ids[0] = Arrays.copyOf(ids[0], count[0] * 2);
      }
      ids[0][count[0]++] = id(token);
    });
    return Arrays.copyOf(ids[0], count[0]);
  }

  /**
   * The text of {@code ids}: characters are concatenated; words are joined by single spaces,
   * with a line break for each {@value #EOS}.
   */
  public String decode(int[] ids) {
    StringBuilder text = new StringBuilder();
    for (int id : ids) {
      String token = token(id);
      if (level == Level.CHARACTERS) {
        text.append(token);
      } else if (token.equals(EOS)) {
        text.append('\n');
      } else {
        if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
          text.append(' ');
        }
        text.append(token);
      }
    }
    return text.toString();
  }

  /** The id of {@code token}, or {@link #UNK_ID} if it is not in the vocabulary. */
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? UNK_ID : id;
  }

  /** Whether {@code token} has an id of its own. */
  public boolean contains(String token) {
    return ids.containsKey(token);
  }

  /**
   * The token with id {@code id}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= id < size()}
   */
  public String token(int id) {
    if (id < 0 || id >= tokens.length) {
      throw new IndexOutOfBoundsException("token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
    }
    return tokens[id];
  }

  /** The number of tokens, special tokens included. */
  public int size() {
    return tokens.length;
  }

  /** How this vocabulary splits text. */
  public Level level() {
    return level;
  }

  /** Every token, by id. */
  public List<String> tokens() {
    return Collections.unmodifiableList(Arrays.asList(tokens.clone()));
  }

  /**
   * Writes the vocabulary as UTF-8 text: a header line {@code # graft vocabulary: words} (or
   * {@code characters}), then one token per line in id order, with {@code \n}, {@code \r} and
   * {@code \\} escaped so that line-break characters survive.
   */
  public void save(Path file) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write(HEADER + level.lowerCaseName());
      out.write('\n');
      for (String token : tokens) {
        out.write(token.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r"));
        out.write('\n');
      }
    }
  }

  /**
   * Reads a vocabulary that {@link #save} wrote.
   *
   * @throws IOException if the file is missing, not UTF-8, or not a valid vocabulary (unknown
   *     header, special tokens not first, an empty or repeated token, an invalid escape, a
   *     character token that is not one code point); the message names the file and line
   */
  public static Vocabulary load(Path file) throws IOException {
    return read(file, in -> parse(file, in));
  }

  private static Vocabulary parse(Path file, BufferedReader in) throws IOException {
    String header = in.readLine();
    Level level = null;
    for (Level candidate : Level.values()) {
      if ((HEADER + candidate.lowerCaseName()).equals(header)) {
        level = candidate;
      }
    }
    if (level == null) {
      throw new IOException(file + ":1: expected '" + HEADER + "words' or '" + HEADER + "characters', found "
          + (header == null ? "an empty file" : "'" + header + "'"));
    }
    List<String> specials = level.specials();
    List<String> tokens = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int lineNumber = 1;
    for (String line; (line = in.readLine()) != null; ) {
      lineNumber++;
      String token = unescape(line, file, lineNumber);
      int id = tokens.size();
      String problem = null;
      if (id < specials.size() ? !token.equals(specials.get(id)) : specials.contains(token)) {
        problem = "the special tokens must come first, in the order " + specials;
      } else if (token.isEmpty()) {
        problem = "empty token";
      } else if (!seen.add(token)) {
        problem = "token '" + token + "' appears twice";
      } else if (level == Level.CHARACTERS && id > 0 && token.codePointCount(0, token.length()) != 1) {
        problem = "character token '" + token + "' is not a single code point";
      }
      if (problem != null) {
        throw new IOException(file + ":" + lineNumber + ": " + problem);
      }
      tokens.add(token);
    }
    if (tokens.size() < specials.size()) {
      throw new IOException(file + ": the vocabulary lacks the special tokens " + specials);
    }
    return new Vocabulary(level, tokens);
  }

  private static String unescape(String line, Path file, int lineNumber) throws IOException {
    if (line.indexOf('\\') < 0) {
      return line;
    }
    StringBuilder token = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        char next = i + 1 < line.length() ? line.charAt(++i) : 0;
        switch (next) {
          case '\\' -> token.append('\\');
          case 'n' -> token.append('\n');
          case 'r' -> token.append('\r');
          default -> throw new IOException(file + ":" + lineNumber + ": invalid escape in '" + line
              + "'; only \\\\, \\n and \\r are defined");
        }
      } else {
        token.append(c);
      }
    }
    return token.toString();
  }

  @Override
  public String toString() {
    return "Vocabulary(" + level.lowerCaseName() + ", " + tokens.length + " tokens)";
  }
}
