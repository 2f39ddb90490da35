package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Java outside the model grammar, unknown methods, recursion and malformed declarations. */
class GrammarDiagnosticsTest {
  @Test
  void forLoop() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            Tensor h = x;
            for (int i = 0; i < 3; i++) { // <-
              x.tanh();
            }
            return h;
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void ifOnATensor() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            if (x.equals(x.neg())) { // <-
              return x;
            }
            return x.neg();
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void conditionalOnATensor() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3") Tensor w;
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return x == w ? x : w; // <-
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void fieldWrite() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3") Tensor w;
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            w = x.add(w); // <-
            return w;
          }
        }
        """).expectOne("GraftUnsupported");
    assertTrue(d.getMessage(Locale.ROOT).contains("field w"), d.getMessage(Locale.ROOT));
  }

  @Test
  void localReassignment() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            Tensor h = x.tanh();
            h = h.tanh(); // <-
            return h;
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void lambda() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return apply(t -> t.tanh(), x); // <-
          }
          Tensor apply(java.util.function.UnaryOperator<Tensor> f, Tensor t) {
            return f.apply(t);
          }
        }
        """).expectOne("GraftUnsupported");
  }

  @Test
  void unknownMethod() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            Tensor y = x.tanh();
            return y.dropout(0.5f); // <-
          }
        }
        """).expectOne("GraftUnknownMethod");
    assertTrue(d.getMessage(Locale.ROOT).contains("dropout"), d.getMessage(Locale.ROOT));
  }

  @Test
  void unknownStaticMethod() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return layerNorm(x); // <-
          }
        }
        """).expectOne("GraftUnknownMethod");
    assertTrue(d.getMessage(Locale.ROOT).contains("layerNorm"), d.getMessage(Locale.ROOT));
  }

  @Test
  void directRecursion() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          Tensor deep(Tensor t) {
            return deep(t.tanh()); // <-
          }
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return deep(x);
          }
        }
        """).expectOne("GraftRecursion");
    assertTrue(d.getMessage(Locale.ROOT).contains("deep -> deep"), d.getMessage(Locale.ROOT));
  }

  @Test
  void mutualRecursion() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          Tensor a(Tensor t) {
            return b(t.tanh());
          }
          Tensor b(Tensor t) {
            return a(t.neg()); // <-
          }
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return a(x);
          }
        }
        """).expectOne("GraftRecursion");
    assertTrue(d.getMessage(Locale.ROOT).contains("a -> b -> a"), d.getMessage(Locale.ROOT));
  }

  @Test
  void inputNamedLikeAVariable() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3") Tensor w;
          @Output Tensor out(
              @Input(shape = "3") Tensor w) { // <-
            return w;
          }
        }
        """).expectOne("GraftNameCollision");
  }

  @Test
  void overloadedEntries() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return x;
          }
          @Output Tensor out( // <-
              @Input(shape = "3") Tensor x, @Input(shape = "3") Tensor y) {
            return x.add(y);
          }
        }
        """).expectOne("GraftNameCollision");
  }

  @Test
  void modelWithoutEntries() {
    Diagnosed.compile("""
        @Model abstract class Net { // <-
          @Variable(shape = "3") Tensor w;
        }
        """).expectOne("GraftBadModel");
  }

  @Test
  void inputOnAHelper() {
    Diagnosed.compile("""
        @Model abstract class Net {
          Tensor helper(
              @Input(shape = "3") Tensor t) { // <-
            return t;
          }
          @Output Tensor out(@Input(shape = "3") Tensor x) {
            return helper(x);
          }
        }
        """).expectOne("GraftBadModel");
  }

  @Test
  void everyBadEntryIsReported() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "4, 3") Tensor w;
          @Output Tensor first(@Input(shape = "2, 5") Tensor x) {
            return x.matmul(w); // <-
          }
          @Output Tensor fine(@Input(shape = "2, 4") Tensor x) {
            return x.matmul(w);
          }
          @Loss Tensor second(@Input(shape = "2, 4") Tensor x) {
            return x.matmul(w).reduceSum(5); // <-
          }
        }
        """);
    var errors = d.graftErrors();
    assertEquals(2, errors.size(), d.result.describe());
    d.expectAt(errors.get(0), "GraftShapeMismatch", d.markedLine(1));
    d.expectAt(errors.get(1), "GraftAxisOutOfRange", d.markedLine(2));
  }

  @Test
  void anErrorInAHelperIsReportedOnce() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          Tensor bad(Tensor t) {
            return t.reduceMax(3); // <-
          }
          @Output Tensor one(@Input(shape = "2") Tensor x) {
            return bad(x);
          }
          @Output Tensor two(@Input(shape = "2") Tensor x) {
            return bad(x);
          }
        }
        """);
    d.expectOne("GraftAxisOutOfRange");
  }
}
