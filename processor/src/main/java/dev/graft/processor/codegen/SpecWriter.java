package dev.graft.processor.codegen;

import com.palantir.javapoet.CodeBlock;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/** The {@code ModelSpec} expression of a model. */
final class SpecWriter {
  private SpecWriter() {}

  static CodeBlock spec(ModelGraph model) {
    List<CodeBlock> symbols = new ArrayList<>();
    for (String s : model.symbols()) symbols.add(CodeBlock.of("$S", s));
    List<CodeBlock> variables = new ArrayList<>();
    for (ModelGraph.VariableDecl v : model.variables()) {
      variables.add(CodeBlock.of("new $T.VariableSpec($S, $L, $T.$L, $L, $L, $L, $L, $L, $L)", CodeGenerator.MODEL_SPEC, v.name(),
          shape(v.shape()), CodeGenerator.INIT, v.init().name(), Names.floatLiteral(v.min()), Names.floatLiteral(v.max()),
          Names.floatLiteral(v.value()), Names.floatLiteral(v.mean()), Names.floatLiteral(v.stddev()), v.trainable()));
    }
    List<CodeBlock> entries = new ArrayList<>();
    for (ModelGraph.Entry e : model.entries()) {
      List<CodeBlock> inputs = new ArrayList<>();
      for (ModelGraph.InputDecl in : e.inputs()) inputs.add(tensor(in.name(), in.dtype(), in.shape()));
      CodeBlock first = tensor(e.name(), e.result().dtype(), e.result().shape());
      List<CodeBlock> extras = new ArrayList<>();
      for (int i = 0; i < e.extraResults().size(); i++) {
        Node r = e.extraResults().get(i);
        extras.add(tensor(e.name() + "[" + (i + 1) + "]", r.dtype(), r.shape()));
      }
      List<CodeBlock> rowIds = new ArrayList<>();
      for (int input : e.gradientRowIds()) rowIds.add(CodeBlock.of("$L", input));
      CodeBlock head = CodeBlock.of("$S, $T.Kind.$L, $L, $L", e.name(), CodeGenerator.MODEL_SPEC, e.kind().name(), list(inputs), first);
      if (!rowIds.isEmpty()) {
        entries.add(CodeBlock.of("new $T.EntrySpec($L, $L, $T.of($L))", CodeGenerator.MODEL_SPEC, head, list(extras),
            CodeGenerator.LIST, CodeBlock.join(rowIds, ", ")));
      } else if (!extras.isEmpty()) {
        entries.add(CodeBlock.of("new $T.EntrySpec($L, $L)", CodeGenerator.MODEL_SPEC, head, list(extras)));
      } else {
        entries.add(CodeBlock.of("new $T.EntrySpec($L)", CodeGenerator.MODEL_SPEC, head));
      }
    }
    return CodeBlock.of("new $T($S, $L, $L, $L)", CodeGenerator.MODEL_SPEC, model.modelName(), list(symbols), list(variables),
        list(entries));
  }

  private static CodeBlock tensor(String name, dev.graft.dsl.DType dtype, Shape shape) {
    return CodeBlock.of("new $T.TensorSpec($S, $T.$L, $L)", CodeGenerator.MODEL_SPEC, name, CodeGenerator.DTYPE, dtype.name(), shape(shape));
  }

  private static CodeBlock shape(Shape s) {
    List<CodeBlock> dims = new ArrayList<>();
    for (String d : s.toSpec()) dims.add(CodeBlock.of("$S", d));
    return list(dims);
  }

  private static CodeBlock list(List<CodeBlock> items) {
    if (items.isEmpty()) return CodeBlock.of("$T.of()", CodeGenerator.LIST);
    if (items.size() <= 3 && items.stream().allMatch(c -> c.toString().length() < 30)) {
      return CodeBlock.of("$T.of($L)", CodeGenerator.LIST, CodeBlock.join(items, ", "));
    }
    return CodeBlock.of("$T.of(\n$>$>$L$<$<)", CodeGenerator.LIST, CodeBlock.join(items, ",\n"));
  }
}
