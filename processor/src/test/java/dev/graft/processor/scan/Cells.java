package dev.graft.processor.scan;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Recurrent cells built directly in IR, for scan tests: one outer graph with declared inputs and
 * variables, and the same cell available both as a scan body and as outer nodes (for unrolling).
 */
final class Cells {
  final Graph g = new Graph();
  final List<ModelGraph.InputDecl> inputs = new ArrayList<>();
  final List<ModelGraph.VariableDecl> variables = new ArrayList<>();

  Node input(String name, String shape, DType dtype) {
    Shape s = Shape.parse(shape);
    inputs.add(new ModelGraph.InputDecl(name, s, dtype, SourcePos.UNKNOWN));
    return g.input(name, inputs.size() - 1, s, dtype);
  }

  Node input(String name, String shape) {
    return input(name, shape, DType.FLOAT32);
  }

  Node variable(String name, String shape) {
    Shape s = Shape.parse(shape);
    variables.add(new ModelGraph.VariableDecl(name, s, Init.UNIFORM, -1, 1, 0, 0, 1, true, SourcePos.UNKNOWN));
    return g.variable(name, variables.size() - 1, s);
  }

  /** The same variable as a leaf of another graph (a scan body's). */
  static Node in(Graph graph, Node variable) {
    return graph.make(Op.VARIABLE, List.of(), variable.attrs());
  }

  /** A cell: (graph, x_t, states) to new states, reading variables through {@link #in}. */
  @FunctionalInterface
  interface Cell extends BiFunction<Graph, List<Node>, List<Node>> {}

  /** h' = tanh(x·Wx + h·Wh + b). */
  static Cell rnn(Node wx, Node wh, Node b) {
    return (graph, a) -> List.of(graph.unary(Op.TANH, graph.add(graph.add(graph.matmul(a.get(0), in(graph, wx), false, false),
        graph.matmul(a.get(1), in(graph, wh), false, false)), in(graph, b))));
  }

  /**
   * An LSTM: z = x·W + h·U + bias split into four gates along axis 1; c' = σ(f)·c + σ(i)·tanh(g);
   * h' = σ(o)·tanh(c').
   */
  static Cell lstm(Node w, Node u, Node bias, int hidden) {
    return (graph, a) -> {
      Node z = graph.add(graph.add(graph.matmul(a.get(0), in(graph, w), false, false),
          graph.matmul(a.get(1), in(graph, u), false, false)), in(graph, bias));
      List<Node> gates = new ArrayList<>();
      for (int i = 0; i < 4; i++) gates.add(graph.slice(z, 1, i == 0 ? Dim.zero() : Dim.of((long) i * hidden), Dim.of(hidden)));
      Node input = graph.unary(Op.SIGMOID, gates.get(0));
      Node forget = graph.unary(Op.SIGMOID, gates.get(1));
      Node output = graph.unary(Op.SIGMOID, gates.get(2));
      Node candidate = graph.unary(Op.TANH, gates.get(3));
      Node c = graph.add(graph.mul(forget, a.get(2)), graph.mul(input, candidate));
      Node h = graph.mul(output, graph.unary(Op.TANH, c));
      return List.of(h, c);
    };
  }

  /** x_t is an int index row: the cell sees gather(embedding, x_t). */
  static Cell embedded(Node embedding, Cell cell) {
    return (graph, a) -> {
      List<Node> args = new ArrayList<>(a);
      args.set(0, graph.gather(in(graph, embedding), a.get(0)));
      return cell.apply(graph, args);
    };
  }

  /** The cell as a scan body whose step output is its first new state (as the DSL's scan builds it). */
  static ScanBody body(Cell cell, Node sequence, List<Node> initial) {
    Graph b = new Graph();
    List<Node> params = new ArrayList<>();
    params.add(b.input("x", 0, sequence.shape().sub(1, sequence.shape().rank()), sequence.dtype()));
    for (int k = 0; k < initial.size(); k++) params.add(b.input("s" + k, k + 1, initial.get(k).shape(), DType.FLOAT32));
    List<Node> next = cell.apply(b, params);
    return new ScanBody(b, params.subList(0, 1), params.subList(1, params.size()), next, List.of(next.get(0)), List.of());
  }

  /** {outputs, final states...} of a scan of {@code cell}, like the DSL's scan. */
  List<Node> scan(Cell cell, Node sequence, List<Node> initial, boolean reverse) {
    ScanBody body = body(cell, sequence, initial);
    List<Node> out = new ArrayList<>();
    out.add(g.scan(body, List.of(sequence), initial, reverse, initial.size()));
    for (int k = 0; k < initial.size(); k++) out.add(g.scan(body, List.of(sequence), initial, reverse, k));
    return out;
  }

  /** The same, unrolled by hand over a fixed number of steps in the outer graph. */
  List<Node> unrolled(Cell cell, Node sequence, List<Node> initial, int time, boolean reverse) {
    List<Node> states = initial;
    Node[] perStep = new Node[time];
    Shape element = sequence.shape().sub(1, sequence.shape().rank());
    for (int step = 0; step < time; step++) {
      int t = reverse ? time - 1 - step : step;
      Node x = g.reshape(g.slice(sequence, 0, t == 0 ? Dim.zero() : Dim.of(t), Dim.of(1)), element);
      List<Node> args = new ArrayList<>();
      args.add(x);
      args.addAll(states);
      states = cell.apply(g, args);
      Node h = states.get(0);
      perStep[t] = g.reshape(h, Shape.of(Dim.of(1)).concat(h.shape()));
    }
    List<Node> out = new ArrayList<>();
    out.add(time == 1 ? perStep[0] : g.concat(0, List.of(perStep)));
    out.addAll(states);
    return out;
  }

  ModelGraph output(Node result) {
    return new ModelGraph("demo", "Cells", g, variables,
        List.of(new ModelGraph.Entry("out", ModelGraph.EntryKind.OUTPUT, inputs, result, List.of(), SourcePos.UNKNOWN)));
  }

  ModelGraph loss(Node result) {
    return new ModelGraph("demo", "Cells", g, variables,
        List.of(new ModelGraph.Entry("cost", ModelGraph.EntryKind.LOSS, inputs, result, List.of(), SourcePos.UNKNOWN)));
  }
}
