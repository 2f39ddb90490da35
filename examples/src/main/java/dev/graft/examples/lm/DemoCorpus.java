package dev.graft.examples.lm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The built-in training text of {@code graft demo}: the project's own documentation, the README
 * files of the repository, which the examples build packages as resources (see
 * {@code examples/pom.xml}). Nothing in it is copied from elsewhere.
 */
public final class DemoCorpus {
  /** The packaged files, relative to the repository root. */
  static final List<String> FILES = List.of("README.md", "runtime/README.md", "processor/README.md",
      "dsl-annotations/README.md", "runtime-simd/README.md", "examples/README.md", "jmh-benchmarks/README.md");
  private static final String ROOT = "/dev/graft/examples/lm/corpus/";

  private DemoCorpus() {}

  /**
   * The files' text, one after the other.
   *
   * @throws IllegalStateException if none is packaged (the jar was built without them)
   */
  public static String text() {
    StringBuilder text = new StringBuilder();
    for (String file : FILES) {
      try (InputStream in = DemoCorpus.class.getResourceAsStream(ROOT + file)) {
        if (in != null) text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (text.length() == 0) {
      throw new IllegalStateException("the built-in corpus is missing from the class path (" + ROOT + "README.md); "
          + "rebuild with ./mvnw -pl examples -am package, or pass --corpus FILE");
    }
    return text.toString();
  }
}
