package dev.graft.processor.codegen;

import com.palantir.javapoet.CodeBlock;
import dev.graft.processor.ir.Node;
import dev.graft.processor.schedule.Kernel;
import java.util.List;

/**
 * A kernel's generated method before it is named: its parameters (what a call passes) and body.
 * Two kernels with equal parameters, docs and bodies share one method. {@code vector} marks a
 * body that uses the Vector API, which only the vector class may hold.
 */
record KernelMethod(Kernel kernel, List<Param> params, String javadoc, CodeBlock body, boolean vector) {
  /** One parameter: the kernel library, an array (an operand, or the output), or a symbol. */
  sealed interface Param {
    String name();
  }

  record KernelsParam() implements Param {
    @Override
    public String name() {
      return "kernels";
    }
  }

  record ArrayParam(String name, Node value, boolean ints) implements Param {}

  /** The right operand of the kernel's matrix product, prepared by the caller ({@code PreparedMatrix}). */
  record PreparedParam(String name, Node value) implements Param {}

  record SymbolParam(String name, String symbol) implements Param {}

  /** What makes two kernels the same method. */
  String identity() {
    StringBuilder b = new StringBuilder();
    for (Param p : params) {
      b.append(p instanceof ArrayParam a ? (a.ints() ? "int[] " : "float[] ") : p instanceof SymbolParam ? "int "
          : p instanceof PreparedParam ? "PreparedMatrix " : "Kernels ");
      b.append(p.name()).append(',');
    }
    return b.append('\n').append(javadoc).append('\n').append(body).toString();
  }
}
