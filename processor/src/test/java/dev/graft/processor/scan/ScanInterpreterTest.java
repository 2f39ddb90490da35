package dev.graft.processor.scan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.dsl.DType;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The reference evaluation of SCAN against the same cell unrolled by hand in the outer graph. */
class ScanInterpreterTest {
  @ParameterizedTest(name = "time {0}, reverse {1}")
  @CsvSource({"1, false", "3, false", "5, false", "3, true"})
  void rnnMatchesTheUnrolledLoop(int time, boolean reverse) {
    Cells c = new Cells();
    Node xs = c.input("xs", time + ", 2, 3");
    Node h0 = c.input("h0", "2, 4");
    Cells.Cell cell = Cells.rnn(c.variable("wx", "3, 4"), c.variable("wh", "4, 4"), c.variable("b", "4"));
    List<Node> scanned = c.scan(cell, xs, List.of(h0), reverse);
    List<Node> unrolled = c.unrolled(cell, xs, List.of(h0), time, reverse);
    assertSameValues(c, scanned, unrolled, Map.of());
  }

  @ParameterizedTest(name = "time {0}")
  @CsvSource({"1", "3", "5"})
  void lstmMatchesTheUnrolledLoop(int time) {
    Cells c = new Cells();
    Node xs = c.input("xs", time + ", 2, 3");
    List<Node> initial = List.of(c.input("h0", "2, 4"), c.input("c0", "2, 4"));
    Cells.Cell cell = Cells.lstm(c.variable("w", "3, 16"), c.variable("u", "4, 16"), c.variable("bias", "16"), 4);
    assertSameValues(c, c.scan(cell, xs, initial, false), c.unrolled(cell, xs, initial, time, false), Map.of());
  }

  @Test
  void intSequencesFeedAnEmbeddingInsideTheStep() {
    Cells c = new Cells();
    Node ids = c.input("ids", "4, 2", DType.INT32);
    Node h0 = c.input("h0", "2, 4");
    Cells.Cell cell = Cells.embedded(c.variable("embedding", "5, 3"),
        Cells.rnn(c.variable("wx", "3, 4"), c.variable("wh", "4, 4"), c.variable("b", "4")));
    assertSameValues(c, c.scan(cell, ids, List.of(h0), false), c.unrolled(cell, ids, List.of(h0), 4, false), Map.of("ids", 5));
  }

  @Test
  void carryHistoryIsTheStateEnteringEachStep() {
    Cells c = new Cells();
    Node xs = c.input("xs", "time, 2, 3");
    Node h0 = c.input("h0", "2, 4");
    List<Node> scanned = c.scan(Cells.rnn(c.variable("wx", "3, 4"), c.variable("wh", "4, 4"), c.variable("b", "4")), xs,
        List.of(h0), false);
    ScanBody body = scanned.get(0).attrs().body();
    Node history = c.g.sibling(scanned.get(0), body.carryHistoryIndex(0));
    assertEquals(Shape.parse("time, 2, 4"), history.shape());
    Numeric v = values(c, Map.of("time", 3), Map.of());
    Interpreter it = v.interpreter();
    double[] h = it.evaluate(history).data();
    double[] outputs = it.evaluate(scanned.get(0)).data();
    assertArrayEquals(v.feeds.get("h0").data(), Arrays.copyOfRange(h, 0, 8));
    assertArrayEquals(Arrays.copyOfRange(outputs, 0, 16), Arrays.copyOfRange(h, 8, 24));
  }

  /** Fills every declared input and variable, evaluates both lists and compares them element by element. */
  private static void assertSameValues(Cells c, List<Node> scanned, List<Node> unrolled, Map<String, Integer> intBounds) {
    Numeric v = values(c, Map.of(), intBounds);
    Interpreter it = v.interpreter();
    assertEquals(unrolled.size(), scanned.size());
    for (int i = 0; i < scanned.size(); i++) {
      assertEquals(unrolled.get(i).shape(), scanned.get(i).shape());
      DoubleArray expected = it.evaluate(unrolled.get(i));
      DoubleArray actual = it.evaluate(scanned.get(i));
      assertTrue(actual.closeTo(expected, 1e-12), "output " + i + ": " + actual + " vs " + expected);
    }
    assertTrue(scanned.stream().allMatch(n -> n.op() == Op.SCAN));
  }

  static Numeric values(Cells c, Map<String, Integer> dims, Map<String, Integer> intBounds) {
    Numeric v = new Numeric(dims, 7);
    for (int i = 0; i < c.inputs.size(); i++) {
      var in = c.inputs.get(i);
      v.fill(c.g.input(in.name(), i, in.shape(), in.dtype()), intBounds.getOrDefault(in.name(), 0));
    }
    for (int i = 0; i < c.variables.size(); i++) {
      var d = c.variables.get(i);
      v.fill(c.g.variable(d.name(), i, d.shape()), 0);
    }
    return v;
  }
}
