package dev.graft.processor.ir;

import dev.graft.dsl.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds and owns hash-consed {@link Node}s. Every factory infers the result's shape and dtype
 * with {@link ShapeRules} and throws a {@link dev.graft.processor.diag.GraftException} at the
 * current {@link #at source position} when the inputs do not fit. Asking twice for the same
 * op, inputs and attributes returns the same node (common-subexpression elimination by
 * construction).
 *
 * <p>Not thread-safe; a graph is built by one phase at a time.
 */
public final class Graph {
  private record Key(Op op, List<Node> inputs, Attrs attrs) {}

  private final Map<Key, Node> interned = new HashMap<>();
  private final List<Node> nodes = new ArrayList<>();
  private SourcePos position = SourcePos.UNKNOWN;

  /** Sets the source position given to the nodes built next and to their errors. */
  public Graph at(SourcePos pos) {
    this.position = pos == null ? SourcePos.UNKNOWN : pos;
    return this;
  }

  public SourcePos position() {
    return position;
  }

  /** Every node built so far, in creation (topological) order. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** The general factory: all others call it. */
  public Node make(Op op, List<Node> inputs, Attrs attrs) {
    for (Node in : inputs) {
      if (in.id() >= nodes.size() || nodes.get(in.id()) != in) {
        throw new IllegalArgumentException("input " + in + " belongs to another graph");
      }
    }
    Key key = new Key(op, List.copyOf(inputs), attrs);
    Node existing = interned.get(key);
    if (existing != null) return existing;
    ShapeRules.Type type = ShapeRules.infer(op, key.inputs(), attrs, position);
    Node n = new Node(nodes.size(), op, key.inputs(), attrs, type.shape(), type.dtype(), position);
    nodes.add(n);
    interned.put(key, n);
    return n;
  }

  // ---- leaves

  public Node input(String name, int index, Shape shape, DType dtype) {
    return make(Op.INPUT, List.of(), Attrs.ints(index, dtype.ordinal()).withName(name).withTarget(shape));
  }

  public Node variable(String name, int index, Shape shape) {
    return make(Op.VARIABLE, List.of(), Attrs.ints(index).withName(name).withTarget(shape));
  }

  /** A constant of a fixed shape, values row-major. */
  public Node constant(Shape shape, double... values) {
    return make(Op.CONSTANT, List.of(), Attrs.reals(values).withTarget(shape));
  }

  /** The element count of {@code shape} as a float32 scalar (a constant when the shape is fixed). */
  public Node count(Shape shape) {
    return shape.isFixed() ? scalar(shape.size().value()) : make(Op.COUNT, List.of(), Attrs.NONE.withTarget(shape));
  }

  public Node scalar(double value) {
    return constant(Shape.scalar(), value);
  }

  // ---- elementwise

  public Node unary(Op op, Node x) {
    return make(op, List.of(x), Attrs.NONE);
  }

  public Node pow(Node x, double exponent) {
    return make(Op.POW, List.of(x), Attrs.reals(exponent));
  }

  public Node clip(Node x, double lo, double hi) {
    return make(Op.CLIP, List.of(x), Attrs.reals(lo, hi));
  }

  public Node inside(Node x, double lo, double hi) {
    return make(Op.INSIDE, List.of(x), Attrs.reals(lo, hi));
  }

  public Node binary(Op op, Node a, Node b) {
    return make(op, List.of(a, b), Attrs.NONE);
  }

  public Node add(Node a, Node b) {
    return binary(Op.ADD, a, b);
  }

  public Node sub(Node a, Node b) {
    return binary(Op.SUB, a, b);
  }

  public Node mul(Node a, Node b) {
    return binary(Op.MUL, a, b);
  }

  public Node div(Node a, Node b) {
    return binary(Op.DIV, a, b);
  }

  public Node neg(Node x) {
    return unary(Op.NEG, x);
  }

  // ---- layout

  public Node broadcastTo(Node x, Shape shape) {
    return x.shape().equals(shape) ? x : make(Op.BROADCAST_TO, List.of(x), Attrs.NONE.withTarget(shape));
  }

  public Node reshape(Node x, Shape shape) {
    return x.shape().equals(shape) ? x : make(Op.RESHAPE, List.of(x), Attrs.NONE.withTarget(shape));
  }

  /** Permutes axes; negative entries count from the end. */
  public Node transpose(Node x, int... permutation) {
    return make(Op.TRANSPOSE, List.of(x), Attrs.ints(permutation));
  }

  public Node concat(int axis, List<Node> parts) {
    return make(Op.CONCAT, parts, Attrs.ints(axis));
  }

  public Node slice(Node x, int axis, Dim offset, Dim length) {
    // The result's extent is not derivable from the input, so it rides in the target shape.
    Shape out = ShapeRules.sliceShape(x, axis, offset, length, position);
    if (out.equals(x.shape())) return x;
    return make(Op.SLICE, List.of(x), Attrs.ints(ShapeRules.axis(axis, x.shape().rank(), position)).withDim(offset).withTarget(out));
  }

  public Node pad(Node x, int axis, Dim offset, Shape target) {
    if (x.shape().equals(target)) return x;
    return make(Op.PAD, List.of(x), Attrs.ints(axis).withDim(offset).withTarget(target));
  }

  // ---- linear algebra

  public Node matmul(Node a, Node b, boolean transposeA, boolean transposeB) {
    return make(Op.MATMUL, List.of(a, b), Attrs.ints(transposeA ? 1 : 0, transposeB ? 1 : 0));
  }

  // ---- reductions

  /** Reduces over {@code axes} (negative counts from the end; none means all axes). */
  public Node reduce(Op op, Node x, int[] axes, boolean keepDims) {
    int rank = x.shape().rank();
    int[] normalized;
    if (axes.length == 0) {
      normalized = new int[rank];
      for (int i = 0; i < rank; i++) normalized[i] = i;
    } else {
      normalized = Arrays.stream(axes).map(a -> ShapeRules.axis(a, rank, position)).sorted().distinct().toArray();
      if (normalized.length != axes.length) {
        throw new dev.graft.processor.diag.GraftException(dev.graft.processor.diag.Message.AXIS_OUT_OF_RANGE,
            position, "axes " + Arrays.toString(axes) + " name an axis twice");
      }
    }
    if (normalized.length == 0) return x; // reducing a scalar over all (no) axes
    return make(op, List.of(x), Attrs.ints(normalized).withFlag(keepDims));
  }

  // ---- neural-network ops

  public Node softmax(Node logits) {
    return make(Op.SOFTMAX, List.of(logits), Attrs.NONE);
  }

  public Node logSoftmax(Node logits) {
    return make(Op.LOG_SOFTMAX, List.of(logits), Attrs.NONE);
  }

  public Node softmaxCrossEntropy(Node logits, Node labels) {
    return make(Op.SOFTMAX_CROSS_ENTROPY, List.of(logits, labels), Attrs.NONE);
  }

  public Node sparseSoftmaxCrossEntropy(Node logits, Node labels) {
    return make(Op.SPARSE_SOFTMAX_CROSS_ENTROPY, List.of(logits, labels), Attrs.NONE);
  }

  /**
   * (softmax(logits) · sum(labels) − labels) · rowScale per row: the gradient of the dense loss
   * with respect to its logits.
   */
  public Node softmaxCrossEntropyGrad(Node logits, Node labels, Node rowScale) {
    return make(Op.SOFTMAX_CROSS_ENTROPY_GRAD, List.of(logits, labels, rowScale), Attrs.NONE);
  }

  /**
   * (softmax(logits) − oneHot(labels)) · rowScale per row: the gradient of the sparse loss
   * {@code rowLoss}, which is {@code sparseSoftmaxCrossEntropy(logits, labels)}.
   */
  public Node sparseSoftmaxCrossEntropyGrad(Node logits, Node labels, Node rowScale, Node rowLoss) {
    return make(Op.SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD, List.of(logits, labels, rowScale, rowLoss), Attrs.NONE);
  }

  // ---- indexing

  public Node gather(Node table, Node indices) {
    return make(Op.GATHER, List.of(table, indices), Attrs.NONE);
  }

  public Node scatterAdd(Node indices, Node updates, Shape tableShape) {
    return make(Op.SCATTER_ADD, List.of(indices, updates), Attrs.NONE.withTarget(tableShape));
  }

  public Node oneHot(Node indices, Dim depth) {
    return make(Op.ONE_HOT, List.of(indices), Attrs.NONE.withDim(depth));
  }

  // ---- recurrence

  /** Output {@code index} of a scan of {@code body} over {@code sequences} from {@code initialCarries}. */
  public Node scan(ScanBody body, List<Node> sequences, List<Node> initialCarries, boolean reverse, int index) {
    List<Node> inputs = new ArrayList<>(sequences);
    inputs.addAll(initialCarries);
    return make(Op.SCAN, inputs, Attrs.ints(index).withFlag(reverse).withBody(body));
  }

  /** Every output of one scan, in output-index order (the same loop: only the index differs). */
  public List<Node> scanOutputs(ScanBody body, List<Node> sequences, List<Node> initialCarries, boolean reverse) {
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < body.outputCount(); i++) out.add(scan(body, sequences, initialCarries, reverse, i));
    return out;
  }

  /** Another output of the same scan as {@code scanNode}. */
  public Node sibling(Node scanNode, int index) {
    return make(Op.SCAN, scanNode.inputs(), scanNode.attrs().withInts(index));
  }
}
