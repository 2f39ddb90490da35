package dev.graft.processor.codegen;

import com.palantir.javapoet.CodeBlock;
import dev.graft.processor.ir.Node;
import dev.graft.processor.schedule.Kernel;
import java.util.List;

/**
 * A kernel's generated method before it is named: its parameters (what a call passes) and body.
 * Two kernels with equal parameters, docs and bodies share one method. {@code vector} marks a
 * body that uses the Vector API, which only the vector class may hold. A kernel whose loop the
 * kernel library runs over row ranges (a matrix product's epilogue, a large elementwise loop)
 * also has {@code rowWork}: the class of that loop (null for every other kernel).
 */
record KernelMethod(Kernel kernel, List<Param> params, String javadoc, CodeBlock body, boolean vector,
    RowWorkClass rowWork) {
  /**
   * A nested class implementing {@code Kernels.RowWork}: {@code fields} (arrays and symbols, set by
   * the kernel method before the product) and the body of {@code run(int row0, int row1)}, which
   * reads them through locals of the same names.
   */
  record RowWorkClass(List<Param> fields, CodeBlock body) {}

  /**
   * One parameter: the kernel library, the row work object (an instance of {@link
   * RowWorkClass}, which the executor holds), an array (an operand, or the output), or a symbol.
   */
  sealed interface Param {
    String name();
  }

  record KernelsParam() implements Param {
    @Override
    public String name() {
      return "kernels";
    }
  }

  record RowWorkParam() implements Param {
    @Override
    public String name() {
      return "work";
    }
  }

  record ArrayParam(String name, Node value, boolean ints) implements Param {}

  /** The right operand of the kernel's matrix product, prepared by the caller ({@code PreparedMatrix}). */
  record PreparedParam(String name, Node value) implements Param {}

  record SymbolParam(String name, String symbol) implements Param {}

  /** What makes two kernels the same method. */
  String identity() {
    StringBuilder b = new StringBuilder();
    for (Param p : params) b.append(type(p)).append(' ').append(p.name()).append(',');
    b.append('\n').append(javadoc).append('\n').append(body);
    if (rowWork != null) {
      b.append("\nrow work ");
      for (Param p : rowWork.fields()) b.append(type(p)).append(' ').append(p.name()).append(',');
      b.append('\n').append(rowWork.body());
    }
    return b.toString();
  }

  private static String type(Param p) {
    return p instanceof ArrayParam a ? (a.ints() ? "int[]" : "float[]") : p instanceof SymbolParam ? "int"
        : p instanceof PreparedParam ? "PreparedMatrix" : p instanceof RowWorkParam ? "RowWork" : "Kernels";
  }
}
