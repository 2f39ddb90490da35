package dev.graft.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
  @TempDir Path dir;

  // "the" 4, "cat" 2, "dog" 2, "a" 1, "sat" 1, <eos> 3 (not counted: special).
  private static final String TEXT = " the cat sat\nthe dog\tthe a\r\nthe cat dog\n";

  @Test
  void wordIdsAreSpecialsThenByDescendingCountThenByString() {
    Vocabulary vocabulary = Vocabulary.words(TEXT, 1, Integer.MAX_VALUE);
    assertEquals(List.of("<unk>", "<eos>", "the", "cat", "dog", "a", "sat"), vocabulary.tokens());
    assertEquals(Vocabulary.Level.WORDS, vocabulary.level());
    assertEquals(2, vocabulary.id("the"));
    assertEquals("dog", vocabulary.token(4));
    assertThrows(IndexOutOfBoundsException.class, () -> vocabulary.token(7));
  }

  @Test
  void minCountAndMaxSizeSendRareWordsToUnk() {
    assertEquals(List.of("<unk>", "<eos>", "the", "cat", "dog"), Vocabulary.words(TEXT, 2, 100).tokens());
    Vocabulary four = Vocabulary.words(TEXT, 1, 4);
    assertEquals(List.of("<unk>", "<eos>", "the", "cat"), four.tokens());
    assertArrayEquals(new int[] {2, 0, 0, 1, 3, 0}, four.encode("the dog zebra\ncat <unk>"));
    assertEquals(Vocabulary.UNK_ID, four.id("dog"));
    assertFalse(four.contains("dog"));
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.words(TEXT, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.words(TEXT, 1, 1));
  }

  @Test
  void encodesLineBreaksAsEosAndDecodesBack() {
    Vocabulary vocabulary = Vocabulary.words(TEXT, 1, Integer.MAX_VALUE);
    int[] ids = vocabulary.encode("the cat\n a dog\n");
    assertArrayEquals(new int[] {2, 3, 1, 5, 4, 1}, ids);
    assertEquals("the cat\na dog\n", vocabulary.decode(ids));
    assertArrayEquals(new int[] {2, 3}, vocabulary.encode("the cat"), "no <eos> without a line break");
  }

  @Test
  void characterVocabulariesKeepEveryCodePoint() {
    String text = "abba\n😀b";
    Vocabulary vocabulary = Vocabulary.characters(text);
    assertEquals(List.of("<unk>", "b", "a", "\n", "😀"), vocabulary.tokens());
    int[] ids = vocabulary.encode(text);
    assertArrayEquals(new int[] {2, 1, 1, 2, 3, 4, 1}, ids);
    assertEquals(text, vocabulary.decode(ids));
    assertEquals(0, vocabulary.id("z"));
  }

  @Test
  void encodesAFileAsAStreamAndNamesAMissingFile() throws IOException {
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      big.append("w").append(i % 7).append(i % 3 == 0 ? "\n" : " ");
    }
    Path file = dir.resolve("corpus.txt");
    Files.write(file, big.toString().getBytes(StandardCharsets.UTF_8));

    Vocabulary vocabulary = Vocabulary.words(file, 1, Integer.MAX_VALUE);
    assertArrayEquals(vocabulary.encode(big.toString()), vocabulary.encode(file));
    assertEquals(9, vocabulary.size());
    Path characters = dir.resolve("chars.txt");
    Files.write(characters, "x😀".repeat(3000).getBytes(StandardCharsets.UTF_8)); // pairs across read chunks
    assertEquals(List.of("<unk>", "x", "😀"), Vocabulary.characters(characters).tokens());

    var e = assertThrows(NoSuchFileException.class, () -> vocabulary.encode(dir.resolve("absent.txt")));
    assertTrue(e.getMessage().contains("text file not found (looked for " + dir.resolve("absent.txt").toAbsolutePath()),
        e.getMessage());
    Files.write(dir.resolve("latin1.txt"), new byte[] {'a', (byte) 0xE9, '\n'});
    var latin1 = assertThrows(IOException.class, () -> vocabulary.encode(dir.resolve("latin1.txt")));
    assertTrue(latin1.getMessage().endsWith("latin1.txt: not valid UTF-8 text"), latin1.getMessage());
  }

  @Test
  void savesAndLoadsBothLevels() throws IOException {
    Vocabulary words = Vocabulary.words(TEXT, 1, Integer.MAX_VALUE);
    Vocabulary characters = Vocabulary.characters("a\\b\r\nc\n");
    Path file = dir.resolve("vocab.txt");

    words.save(file);
    assertEquals("# graft vocabulary: words\n<unk>\n<eos>\nthe\ncat\ndog\na\nsat\n",
        new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    assertEquals(words.tokens(), Vocabulary.load(file).tokens());
    characters.save(file);
    Vocabulary loaded = Vocabulary.load(file);
    assertEquals(characters.tokens(), loaded.tokens());
    assertEquals(Vocabulary.Level.CHARACTERS, loaded.level());
  }

  @Test
  void loadValidates() throws IOException {
    assertLoadFails("", "1: expected '# graft vocabulary: words' or '# graft vocabulary: characters', found an empty file");
    assertLoadFails("# graft vocabulary: words\n<eos>\n<unk>\n", ":2: the special tokens must come first");
    assertLoadFails("# graft vocabulary: words\n<unk>\n<eos>\nthe\nthe\n", ":5: token 'the' appears twice");
    assertLoadFails("# graft vocabulary: words\n<unk>\n<eos>\n\n", ":4: empty token");
    assertLoadFails("# graft vocabulary: words\n<unk>\n<eos>\na\\t\n", ":4: invalid escape");
    assertLoadFails("# graft vocabulary: characters\n<unk>\nab\n", ":3: character token 'ab' is not a single");
    assertLoadFails("# graft vocabulary: words\n<unk>\n", "lacks the special tokens [<unk>, <eos>]");
    assertThrows(NoSuchFileException.class, () -> Vocabulary.load(dir.resolve("absent.txt")));
  }

  private void assertLoadFails(String content, String expectedPart) throws IOException {
    Path file = dir.resolve("bad.txt");
    Files.write(file, content.getBytes(StandardCharsets.UTF_8));
    IOException e = assertThrows(IOException.class, () -> Vocabulary.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expectedPart), "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
