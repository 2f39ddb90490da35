package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.processor.GraftProcessor;
import dev.graft.processor.testing.InMemoryCompiler;
import java.util.List;
import java.util.Locale;
import javax.annotation.processing.Processor;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;

/**
 * A model compiled in memory with the Graft processor, and assertions on the Graft errors it
 * got. The expected line is the one marked {@code // <-} in the source.
 */
final class Diagnosed {
  static final String HEADER = """
      package demo;

      import static dev.graft.dsl.Ops.*;
      import dev.graft.dsl.*;

      """;

  final String source;
  final InMemoryCompiler.Result result;

  private Diagnosed(String source, InMemoryCompiler.Result result) {
    this.source = source;
    this.result = result;
  }

  static Diagnosed compile(String model) {
    return compile(new GraftProcessor(), model);
  }

  static Diagnosed compile(Processor processor, String model) {
    String source = HEADER + model;
    return new Diagnosed(source, InMemoryCompiler.create().withProcessors(processor).compile("demo.Net", source));
  }

  /** The errors Graft reported (javac's own errors about invalid Java are left out). */
  List<Diagnostic<? extends JavaFileObject>> graftErrors() {
    return result.errors().stream().filter(d -> d.getMessage(Locale.ROOT).contains("[Graft")).toList();
  }

  /** The line of the {@code n}-th (from 1) line marked {@code // <-}. */
  long markedLine(int n) {
    String[] lines = source.split("\n", -1);
    int seen = 0;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains("// <-") && ++seen == n) return i + 1;
    }
    throw new AssertionError("no mark " + n);
  }

  /** Exactly one Graft error: tagged {@code tag}, in Net.java, on the marked line. */
  Diagnostic<? extends JavaFileObject> expectOne(String tag) {
    List<Diagnostic<? extends JavaFileObject>> errors = graftErrors();
    if (errors.size() != 1) fail("expected one Graft error, got:\n" + result.describe());
    expectAt(errors.get(0), tag, markedLine(1));
    return errors.get(0);
  }

  void expectAt(Diagnostic<? extends JavaFileObject> d, String tag, long line) {
    assertEquals(Diagnostic.Kind.ERROR, d.getKind());
    String message = d.getMessage(Locale.ROOT);
    assertTrue(message.startsWith("[" + tag + "] "), () -> "expected [" + tag + "]: " + message);
    assertTrue(d.getSource().getName().endsWith("demo/Net.java"), d.getSource().getName());
    assertEquals(line, d.getLineNumber(), () -> "line of " + message);
  }
}
