package dev.graft.processor.ir;

import dev.graft.dsl.DType;
import java.util.List;

/**
 * One immutable IR value. Nodes are hash-consed by their {@link Graph}: within a graph, two
 * nodes with the same op, inputs and attributes are the same object, so identity is equality
 * and common subexpressions are shared as they are built. {@link #id()} is the creation index,
 * which orders nodes topologically and makes output deterministic.
 */
public final class Node {
  private final int id;
  private final Op op;
  private final List<Node> inputs;
  private final Attrs attrs;
  private final Shape shape;
  private final DType dtype;
  private final SourcePos position;

  Node(int id, Op op, List<Node> inputs, Attrs attrs, Shape shape, DType dtype, SourcePos position) {
    this.id = id;
    this.op = op;
    this.inputs = inputs;
    this.attrs = attrs;
    this.shape = shape;
    this.dtype = dtype;
    this.position = position;
  }

  public int id() {
    return id;
  }

  public Op op() {
    return op;
  }

  public List<Node> inputs() {
    return inputs;
  }

  public Node input(int i) {
    return inputs.get(i);
  }

  public Attrs attrs() {
    return attrs;
  }

  public Shape shape() {
    return shape;
  }

  public DType dtype() {
    return dtype;
  }

  /** The source expression that first produced this node. */
  public SourcePos position() {
    return position;
  }

  /** {@code %7 = MATMUL(%3, %5) [batch, 3] float32 ints=[0, 0]  @Model.java:12}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("%").append(id).append(" = ").append(op).append('(');
    for (int i = 0; i < inputs.size(); i++) b.append(i == 0 ? "%" : ", %").append(inputs.get(i).id);
    b.append(") ").append(shape).append(' ').append(dtype.name().toLowerCase(java.util.Locale.ROOT));
    String a = attrs.toString();
    if (!a.isEmpty()) b.append(' ').append(a);
    if (position.line() > 0) b.append("  @").append(position);
    return b.toString();
  }
}
