package dev.graft.processor.passes;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayList;
import java.util.List;

/** Builds small model graphs by hand for pass tests: one graph, declared inputs and variables. */
final class TestModels {
  final Graph g = new Graph();
  private final List<ModelGraph.InputDecl> inputs = new ArrayList<>();
  private final List<ModelGraph.VariableDecl> variables = new ArrayList<>();

  Node input(String name, String shape) {
    return input(name, shape, DType.FLOAT32);
  }

  Node input(String name, String shape, DType dtype) {
    Shape s = Shape.parse(shape);
    inputs.add(new ModelGraph.InputDecl(name, s, dtype, SourcePos.UNKNOWN));
    return g.input(name, inputs.size() - 1, s, dtype);
  }

  Node variable(String name, String shape) {
    Shape s = Shape.parse(shape);
    variables.add(new ModelGraph.VariableDecl(name, s, Init.UNIFORM, -1, 1, 0, 0, 1, true, SourcePos.UNKNOWN));
    return g.variable(name, variables.size() - 1, s);
  }

  Node constant(String shape, double... values) {
    return g.constant(Shape.parse(shape), values);
  }

  /** A model with one output entry "out" computing {@code result} (every declared input is its input). */
  ModelGraph output(Node result) {
    return model(new ModelGraph.Entry("out", ModelGraph.EntryKind.OUTPUT, inputs, result, List.of(), SourcePos.UNKNOWN));
  }

  /** A model with one loss entry "loss" (no gradients: passes run on whatever roots they get). */
  ModelGraph loss(Node result) {
    return model(new ModelGraph.Entry("loss", ModelGraph.EntryKind.LOSS, inputs, result, List.of(), SourcePos.UNKNOWN));
  }

  ModelGraph model(ModelGraph.Entry... entries) {
    return new ModelGraph("test", "Test", g, variables, List.of(entries));
  }

  static Node result(ModelGraph m) {
    return m.entries().get(0).result();
  }
}
