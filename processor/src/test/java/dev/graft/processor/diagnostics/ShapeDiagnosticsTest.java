package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Shape, axis and element-type errors found while building the graph, at the expression. */
class ShapeDiagnosticsTest {
  @Test
  void matmulInnerDimensionsDiffer() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "4, 3") Tensor w;
          @Output Tensor out(@Input(shape = "batch, 5") Tensor x) {
            Tensor h = x.neg();
            return softmax(
                matmul(h, w)); // <-
          }
        }
        """).expectOne("GraftShapeMismatch");
    assertTrue(d.getMessage(Locale.ROOT).contains("[batch, 5]"), d.getMessage(Locale.ROOT));
  }

  /** The README's example mistake: a 1-d bias as the right operand of matmul. */
  @Test
  void matmulWithAVectorOperand() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "4, 3") Tensor beta;
          @Variable(shape = "3") Tensor bias;
          @Output Tensor predictions(@Input(shape = "batch, 4") Tensor x) {
            return softmax(matmul(x, bias).add(bias)); // <-
          }
        }
        """).expectOne("GraftShapeMismatch");
    String message = d.getMessage(Locale.ROOT);
    assertTrue(message.startsWith("[GraftShapeMismatch] matmul needs [m, k] x [k, n]"), message);
    assertTrue(message.contains("[batch, 4]") && message.contains("[3]"), message);
  }

  @Test
  void broadcastingImpossible() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "2, 3") Tensor x, @Input(shape = "4") Tensor y) {
            return x.add(y); // <-
          }
        }
        """).expectOne("GraftBroadcast");
  }

  @Test
  void reductionAxisOutOfRange() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "2, 3") Tensor x) {
            return reduceSum(x, 2); // <-
          }
        }
        """).expectOne("GraftAxisOutOfRange");
  }

  @Test
  void lossNotScalar() {
    var d = Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "3") Tensor b;
          @Loss Tensor cost(@Input(shape = "batch, 3") Tensor x) {
            return x.add(b).reduceSum(1); // <-
          }
        }
        """).expectOne("GraftLossNotScalar");
    assertTrue(d.getMessage(Locale.ROOT).contains("[batch]"), d.getMessage(Locale.ROOT));
  }

  @Test
  void tensorParameterWithoutInput() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "3") Tensor x,
              Tensor y) { // <-
            return x.add(y);
          }
        }
        """).expectOne("GraftMissingShape");
  }

  @Test
  void malformedInputShape() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(
              @Input(shape = "batch, 4x") Tensor x) { // <-
            return x;
          }
        }
        """).expectOne("GraftBadShape");
  }

  @Test
  void malformedVariableShape() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "4, 0") // <-
          Tensor w;
          @Output Tensor out(@Input(shape = "2, 4") Tensor x) {
            return x.matmul(w);
          }
        }
        """).expectOne("GraftBadShape");
  }

  @Test
  void malformedReshape() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "2, 4") Tensor x) {
            return x.reshape("8,,1"); // <-
          }
        }
        """).expectOne("GraftBadShape");
  }

  @Test
  void intTensorWhereFloatRequired() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "batch", dtype = DType.INT32) Tensor ids) {
            return exp(ids); // <-
          }
        }
        """).expectOne("GraftDType");
  }

  @Test
  void floatTensorAsGatherIndices() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Variable(shape = "vocab, 8") Tensor embedding;
          @Output Tensor out(@Input(shape = "batch") Tensor ids) {
            return gather(embedding, ids); // <-
          }
        }
        """).expectOne("GraftDType");
  }

  @Test
  void splitNotDivisible() {
    Diagnosed.compile("""
        @Model abstract class Net {
          @Output Tensor out(@Input(shape = "2, 5") Tensor x) {
            Tensor[] halves = x.split(2, 1); // <-
            return halves[0];
          }
        }
        """).expectOne("GraftShapeMismatch");
  }
}
