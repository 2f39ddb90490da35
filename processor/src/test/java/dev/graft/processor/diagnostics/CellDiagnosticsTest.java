package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Misuse of the built-in recurrent layers rnn, gru and lstm, reported at the offending argument. */
class CellDiagnosticsTest {
  private static String message(javax.tools.Diagnostic<?> d) {
    return d.getMessage(Locale.ROOT);
  }

  @Test
  void lstmInputWeightWhoseFirstDimensionIsNotTheInputWidth() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "4, 4*hidden") Tensor w;
          @Variable(shape = "hidden, 4*hidden") Tensor u;
          @Variable(shape = "4*hidden") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
            Tensor[] r = lstm(xs, h0, h0,
                w, u, b); // <-
            return r[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
    String m = message(d);
    assertTrue(m.contains("lstm needs the input weight w as [in, 4*hidden] = [3, 4*hidden], in from xs [time, batch, 3]"
        + " and hidden from u [hidden, 4*hidden]; got [4, 4*hidden]"), m);
  }

  @Test
  void gruInputWeightWithLstmWidth() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4*hidden") Tensor w;
          @Variable(shape = "hidden, 3*hidden") Tensor u;
          @Variable(shape = "3*hidden") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, hidden") Tensor h0) {
            return gru(xs, h0, w, u, b)[0]; // <-
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message(d).contains("[3, 3*hidden]"), message(d));
  }

  @Test
  void recurrentWeightNotHiddenByGatesTimesHidden() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 16") Tensor w;
          @Variable(shape = "4, 12") Tensor u;
          @Variable(shape = "16") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
            return lstm(xs, h0, h0, w,
                u, // <-
                b)[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
    String m = message(d);
    assertTrue(m.contains("recurrent weight u as [hidden, 4*hidden]") && m.contains("got [4, 12]"), m);
  }

  @Test
  void biasOfTheWrongWidth() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4") Tensor w;
          @Variable(shape = "4, 4") Tensor u;
          @Variable(shape = "1, 4") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
            return rnn(xs, h0, w, u, b)[1]; // <-
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message(d).contains("bias b as [hidden] = [4]") && message(d).contains("; got [1, 4]"), message(d));
  }

  @Test
  void initialStateOfTheWrongShape() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 16") Tensor w;
          @Variable(shape = "4, 16") Tensor u;
          @Variable(shape = "16") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
            return lstm(xs, h0,
                zeros("batch, 5"), // <-
                w, u, b)[2];
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message(d).contains("initial state c0 as [batch, hidden] = [batch, 4]"), message(d));
  }

  @Test
  void aSequenceWithoutABatchAxis() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4") Tensor w;
          @Variable(shape = "4, 4") Tensor u;
          @Variable(shape = "4") Tensor b;
          @Output Tensor out(@Input(shape = "time, 3") Tensor xs, @Input(shape = "4") Tensor h0) {
            return rnn(xs, h0, w, u, b)[0]; // <-
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(message(d).contains("time-major sequence xs [time, batch, in], got [time, 3]"), message(d));
  }

  @Test
  void intIdsInsteadOfEmbeddings() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4") Tensor w;
          @Variable(shape = "4, 4") Tensor u;
          @Variable(shape = "4") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3", dtype = DType.INT32) Tensor ids, @Input(shape = "batch, 4") Tensor h0) {
            return rnn(ids, h0, w, u, b)[0]; // <-
          }
        }
        """).expectOne("GraftDType");
    assertTrue(message(d).contains("gather"), message(d));
  }

  @Test
  void aComputedRecurrentWeight() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 4") Tensor w;
          @Variable(shape = "4, 4") Tensor u;
          @Variable(shape = "4") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
            return rnn(xs, h0, w, u.mul(0.5f), b)[0]; // <-
          }
        }
        """).expectOne("GraftUnsupported");
    assertTrue(message(d).contains("@Variable field or a constant"), message(d));
  }

  @Test
  void lstmWithoutItsCellState() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3, 16") Tensor w;
          @Variable(shape = "4, 16") Tensor u;
          @Variable(shape = "16") Tensor b;
          @Output Tensor out(@Input(shape = "time, batch, 3") Tensor xs, @Input(shape = "batch, 4") Tensor h0) {
            return lstm(xs, h0, w, u, b, 1f)[0]; // <-
          }
        }
        """).expectOne("GraftUnsupported");
  }
}
