package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.processor.GraftProcessor;
import dev.graft.processor.testing.InMemoryCompiler;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** Problems of models that extend base classes, each by file, line and tag. */
class InheritanceDiagnosticsTest {
  @Test
  void aVariableDeclaredInTheBaseAndTheModel() {
    Diagnosed.compile("""
        abstract class Base {
          @Variable(shape = "3") Tensor w;
        }

        @Model
        abstract class Net extends Base {
          @Variable(shape = "3") Tensor w; // <-
          @Output Tensor out(@Input(shape = "3") Tensor x) { return x.mul(w); }
        }
        """).expectOne("GraftNameCollision");
  }

  @Test
  void aVariableOfTheModelHidesAConstantOfTheBase() {
    Diagnostic<? extends JavaFileObject> d = Diagnosed.compile("""
        abstract class Base {
          static final float w = 2f;
          @Output Tensor out(@Input(shape = "3") Tensor x) { return x.mul(w); }
        }

        @Model
        abstract class Net extends Base {
          @Variable(shape = "3") Tensor w; // <-
        }
        """).expectOne("GraftNameCollision");
    String message = d.getMessage(Locale.ROOT);
    assertTrue(message.contains("field w of Net hides field w of Base"), message);
  }

  @Test
  void aBaseWithoutSourceTrees() {
    Diagnostic<? extends JavaFileObject> d = Diagnosed.compile("""
        @Model
        abstract class Net extends java.util.AbstractList<String> { // <-
          @Output Tensor out(@Input(shape = "3") Tensor x) { return x; }
        }
        """).expectOne("GraftNoSourceTrees");
    String message = d.getMessage(Locale.ROOT);
    assertTrue(message.contains("java.util.AbstractList") && message.contains("compiled with it"), message);
  }

  @Test
  void anAbstractHelperTheModelDoesNotImplement() {
    Diagnosed.compile("""
        abstract class Base {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return forward(x); // <-
          }
          abstract Tensor forward(Tensor x);
        }

        @Model
        abstract class Net extends Base {
          @Variable(shape = "3") Tensor w;
        }
        """).expectOne("GraftBadModel");
  }

  @Test
  void anEntryOverriddenWithoutItsAnnotation() {
    Diagnosed.compile("""
        abstract class Base {
          @Output Tensor out(@Input(shape = "3") Tensor x) { return x; }
          @Loss Tensor loss(@Input(shape = "3") Tensor x) { return reduceSum(x); }
        }

        @Model
        abstract class Net extends Base {
          @Override Tensor out(Tensor x) { return x.mul(2f); } // <-
        }
        """).expectOne("GraftBadModel");
  }

  @Test
  void aShapeConstantThatIsNotADimension() {
    Diagnosed.compile("""
        abstract class Base {
          @Output Tensor out(@Input(shape = "rows, 3") Tensor x) { return x; } // <-
        }

        @Model
        abstract class Net extends Base {
          static final int rows = 0;
        }
        """).expectOne("GraftBadShape");
  }

  /** Problems in a base class declared in another file are reported in that file, at their line. */
  @Test
  void problemsInABaseOfAnotherFileAreReportedThere() {
    String base = Diagnosed.HEADER + """
        abstract class Base {
          @Variable(shape = "3") Tensor w;
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return forward(x).add(undefined);
          }
          abstract Tensor forward(Tensor x);
        }
        """;
    String net = Diagnosed.HEADER + """
        @Model
        abstract class Net extends Base {
          @Variable(shape = "3") Tensor w;
          Tensor forward(Tensor x) { return x.mul(w); }
        }
        """;
    InMemoryCompiler.Result r = InMemoryCompiler.create().withProcessors(new GraftProcessor())
        .compile(Map.of("demo.Base", base, "demo.Net", net));
    List<Diagnostic<? extends JavaFileObject>> errors = r.errors().stream()
        .filter(d -> d.getMessage(Locale.ROOT).contains("[Graft")).toList();
    if (errors.size() != 2) fail("expected two Graft errors, got:\n" + r.describe());
    expect(errors, "GraftNameCollision", "demo/Net.java", 8);
    expect(errors, "GraftUnsupported", "demo/Base.java", 9);
  }

  private static void expect(List<Diagnostic<? extends JavaFileObject>> errors, String tag, String file, long line) {
    Diagnostic<? extends JavaFileObject> d = errors.stream().filter(e -> e.getMessage(Locale.ROOT).startsWith("[" + tag + "]"))
        .findFirst().orElseThrow(() -> new AssertionError("no " + tag + " in " + errors));
    assertTrue(d.getSource().getName().endsWith(file), d.getSource().getName());
    assertEquals(line, d.getLineNumber(), () -> d.getMessage(Locale.ROOT));
  }
}
