package dev.graft.processor.ir;

import dev.graft.dsl.DType;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape and dtype inference for every op: the one place where the IR's typing rules live. The
 * {@link Graph} calls it for each new node and {@link Verifier} calls it again to check a graph.
 */
public final class ShapeRules {
  private ShapeRules() {}

  /** A node's inferred result type. */
  public record Type(Shape shape, DType dtype) {}

  public static Type infer(Op op, List<Node> in, Attrs attrs, SourcePos pos) {
    return switch (op.kind()) {
      case LEAF -> leaf(op, attrs);
      case UNARY -> new Type(requireFloat(op, in.get(0), pos).shape(), DType.FLOAT32);
      case BINARY -> new Type(broadcast(op, requireFloat(op, in.get(0), pos).shape(),
          requireFloat(op, in.get(1), pos).shape(), pos), DType.FLOAT32);
      case LAYOUT -> layout(op, in, attrs, pos);
      case MATMUL -> matmul(in.get(0), in.get(1), attrs.intAt(0) == 1, attrs.intAt(1) == 1, pos);
      case REDUCTION -> reduction(op, in.get(0), attrs, pos);
      case ROWWISE -> rowwise(op, in, pos);
      case INDEXING -> indexing(op, in, attrs, pos);
      case LOOP -> scan(in, attrs);
    };
  }

  private static Type leaf(Op op, Attrs attrs) {
    return switch (op) {
      case INPUT -> new Type(attrs.target(), DType.values()[attrs.intAt(1)]);
      case VARIABLE -> new Type(attrs.target(), DType.FLOAT32);
      case COUNT -> new Type(Shape.scalar(), DType.FLOAT32);
      case CONSTANT -> {
        Shape s = attrs.target();
        if (!s.isFixed() || s.size().value() != attrs.realCount()) {
          throw new IllegalArgumentException("constant of shape " + s + " with " + attrs.realCount() + " values");
        }
        yield new Type(s, DType.FLOAT32);
      }
      default -> throw new AssertionError(op);
    };
  }

  /** Normalizes a possibly negative axis for a tensor of {@code rank}, or reports it out of range. */
  public static int axis(int axis, int rank, SourcePos pos) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new GraftException(Message.AXIS_OUT_OF_RANGE, pos,
          "axis " + axis + " is out of range for a tensor of rank " + rank
              + (rank == 0 ? " (a scalar has no axes)" : " (valid: " + (-rank) + " to " + (rank - 1) + ")"));
    }
    return a;
  }

  /** NumPy broadcasting: right-aligned, each pair of dims equal or one of them 1. */
  public static Shape broadcast(Op op, Shape a, Shape b, SourcePos pos) {
    if (a.equals(b)) return a;
    int rank = Math.max(a.rank(), b.rank());
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      Dim da = i < rank - a.rank() ? Dim.of(1) : a.dim(i - (rank - a.rank()));
      Dim db = i < rank - b.rank() ? Dim.of(1) : b.dim(i - (rank - b.rank()));
      if (da.equals(db) || db.isOne()) {
        out.add(da);
      } else if (da.isOne()) {
        out.add(db);
      } else {
        throw new GraftException(Message.BROADCAST, pos, name(op) + " cannot broadcast shapes " + a + " and " + b
            + ": dimension " + i + " is " + da + " in one and " + db + " in the other");
      }
    }
    return Shape.of(out);
  }

  private static Node requireFloat(Op op, Node x, SourcePos pos) {
    if (x.dtype() != DType.FLOAT32) {
      throw new GraftException(Message.DTYPE, pos, name(op) + " needs a float32 tensor but got an "
          + x.dtype().name().toLowerCase(java.util.Locale.ROOT) + " tensor of shape " + x.shape()
          + " (int32 tensors serve only as gather indices, labels and oneHot input)");
    }
    return x;
  }

  private static Node requireInt(Op op, Node x, String role, SourcePos pos) {
    if (x.dtype() != DType.INT32) {
      throw new GraftException(Message.DTYPE, pos, name(op) + " needs int32 " + role + " but got a float32 tensor of shape "
          + x.shape() + " (declare the input with dtype = DType.INT32)");
    }
    return x;
  }

  private static Type layout(Op op, List<Node> in, Attrs attrs, SourcePos pos) {
    Node x = in.get(0);
    Shape s = x.shape();
    return switch (op) {
      case BROADCAST_TO -> {
        Shape target = attrs.target();
        Shape b = broadcast(op, s, target, pos);
        if (!b.equals(target)) {
          throw new GraftException(Message.BROADCAST, pos, "cannot broadcast " + s + " to " + target);
        }
        yield new Type(target, x.dtype());
      }
      case RESHAPE -> {
        Shape target = attrs.target();
        if (!target.size().equals(s.size())) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "reshape from " + s + " (" + s.size()
              + " elements) to " + target + " (" + target.size() + " elements) changes the number of elements");
        }
        yield new Type(target, x.dtype());
      }
      case TRANSPOSE -> {
        int[] perm = attrs.ints();
        if (perm.length != s.rank()) {
          throw new GraftException(Message.AXIS_OUT_OF_RANGE, pos, "transpose permutation " + Arrays.toString(perm)
              + " has " + perm.length + " axes but the tensor " + s + " has " + s.rank());
        }
        boolean[] seen = new boolean[perm.length];
        List<Dim> out = new ArrayList<>();
        for (int p : perm) {
          int a = axis(p, s.rank(), pos);
          if (seen[a]) {
            throw new GraftException(Message.AXIS_OUT_OF_RANGE, pos, "transpose permutation " + Arrays.toString(perm) + " repeats axis " + p);
          }
          seen[a] = true;
          out.add(s.dim(a));
        }
        yield new Type(Shape.of(out), x.dtype());
      }
      case CONCAT -> {
        int axis = axis(attrs.intAt(0), s.rank(), pos);
        Dim total = s.dim(axis);
        for (int i = 1; i < in.size(); i++) {
          Shape t = in.get(i).shape();
          if (in.get(i).dtype() != x.dtype()) {
            throw new GraftException(Message.DTYPE, pos, "concat of " + x.dtype() + " and " + in.get(i).dtype() + " tensors");
          }
          if (t.rank() != s.rank() || !t.with(axis, total).equals(s.with(axis, total))) {
            throw new GraftException(Message.SHAPE_MISMATCH, pos, "concat along axis " + axis + " needs equal other dimensions, got "
                + s + " and " + t);
          }
          Dim before = total;
          total = total.plus(t.dim(axis)).orElseThrow(() -> new GraftException(Message.SHAPE_MISMATCH, pos,
              "concat along axis " + axis + " adds " + before + " and " + t.dim(axis) + ", which is not a single dimension Graft can express"));
        }
        yield new Type(s.with(axis, total), x.dtype());
      }
      case SLICE -> new Type(attrs.target(), x.dtype());
      case PAD -> {
        Shape target = attrs.target();
        int axis = attrs.intAt(0);
        if (target.rank() != s.rank() || !target.with(axis, s.dim(axis)).equals(s)) {
          throw new IllegalArgumentException("pad of " + s + " into " + target + " along axis " + axis);
        }
        yield new Type(target, x.dtype());
      }
      default -> throw new AssertionError(op);
    };
  }

  /** The shape of {@code x} sliced to [offset, offset + length) along {@code axis}, checked. */
  static Shape sliceShape(Node x, int axis, Dim offset, Dim length, SourcePos pos) {
    Shape s = x.shape();
    int a = axis(axis, s.rank(), pos);
    Dim extent = s.dim(a);
    boolean fits = offset.plus(length)
        .map(end -> end.equals(extent) || extent.minus(end).isPresent())
        .orElse(false);
    if (!fits) {
      throw new GraftException(Message.SHAPE_MISMATCH, pos, "slice of " + length + " elements from offset " + offset
          + " does not fit in axis " + a + " of shape " + s);
    }
    return s.with(a, length);
  }

  private static Type matmul(Node a, Node b, boolean ta, boolean tb, SourcePos pos) {
    requireFloat(Op.MATMUL, a, pos);
    requireFloat(Op.MATMUL, b, pos);
    Shape sa = a.shape();
    Shape sb = b.shape();
    if (sa.rank() < 2 || sb.rank() < 2 || sa.rank() > 3 || sb.rank() > 3 || sb.rank() > sa.rank()) {
      throw new GraftException(Message.SHAPE_MISMATCH, pos, "matmul needs [m, k] x [k, n] or batched [b, m, k] x [b, k, n] (or x [k, n]), got "
          + sa + " x " + sb);
    }
    int ra = sa.rank();
    int rb = sb.rank();
    Dim m = ta ? sa.dim(ra - 1) : sa.dim(ra - 2);
    Dim ka = ta ? sa.dim(ra - 2) : sa.dim(ra - 1);
    Dim kb = tb ? sb.dim(rb - 1) : sb.dim(rb - 2);
    Dim n = tb ? sb.dim(rb - 2) : sb.dim(rb - 1);
    if (!ka.equals(kb)) {
      throw new GraftException(Message.SHAPE_MISMATCH, pos, "matmul inner dimensions differ: " + sa + (ta ? "ᵀ" : "") + " x "
          + sb + (tb ? "ᵀ" : "") + " multiplies by " + ka + " columns but " + kb + " rows");
    }
    if (ra == 3 && rb == 3 && !sa.dim(0).equals(sb.dim(0))) {
      throw new GraftException(Message.SHAPE_MISMATCH, pos, "batched matmul needs equal batch dimensions, got " + sa + " x " + sb);
    }
    return new Type(ra == 3 ? Shape.of(sa.dim(0), m, n) : Shape.of(m, n), DType.FLOAT32);
  }

  private static Type reduction(Op op, Node x, Attrs attrs, SourcePos pos) {
    requireFloat(op, x, pos);
    Shape s = x.shape();
    int[] axes = attrs.ints();
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      int axis = i;
      boolean reduced = Arrays.stream(axes).anyMatch(a -> a == axis);
      if (!reduced) out.add(s.dim(i));
      else if (attrs.flag()) out.add(Dim.of(1));
    }
    for (int a : axes) axis(a, s.rank(), pos);
    return new Type(Shape.of(out), DType.FLOAT32);
  }

  private static Type rowwise(Op op, List<Node> in, SourcePos pos) {
    Node logits = requireFloat(op, in.get(0), pos);
    Shape s = logits.shape();
    if (s.rank() < 1) {
      throw new GraftException(Message.SHAPE_MISMATCH, pos, name(op) + " needs logits with at least one axis, got a scalar");
    }
    return switch (op) {
      case SOFTMAX, LOG_SOFTMAX -> new Type(s, DType.FLOAT32);
      case SOFTMAX_CROSS_ENTROPY -> {
        Node labels = requireFloat(op, in.get(1), pos);
        if (!labels.shape().equals(s)) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "softmaxCrossEntropy needs labels shaped like the logits " + s
              + ", got " + labels.shape());
        }
        yield new Type(s.sub(0, s.rank() - 1), DType.FLOAT32);
      }
      case SOFTMAX_CROSS_ENTROPY_GRAD -> {
        Node labels = requireFloat(op, in.get(1), pos);
        Node rowScale = requireFloat(op, in.get(2), pos);
        Shape rows = s.sub(0, s.rank() - 1);
        if (!labels.shape().equals(s) || !rowScale.shape().equals(rows)) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "the cross-entropy gradient needs labels of shape " + s
              + " and row scales of shape " + rows + ", got " + labels.shape() + " and " + rowScale.shape());
        }
        yield new Type(s, DType.FLOAT32);
      }
      case SPARSE_SOFTMAX_CROSS_ENTROPY -> {
        Node labels = requireInt(op, in.get(1), "labels", pos);
        Shape rows = s.sub(0, s.rank() - 1);
        if (!labels.shape().equals(rows)) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "sparseSoftmaxCrossEntropy needs labels of shape " + rows
              + " (the logits " + s + " without the class axis), got " + labels.shape());
        }
        yield new Type(rows, DType.FLOAT32);
      }
      case SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD -> {
        Node labels = requireInt(op, in.get(1), "labels", pos);
        Node rowScale = requireFloat(op, in.get(2), pos);
        Node rowLoss = requireFloat(op, in.get(3), pos);
        Shape rows = s.sub(0, s.rank() - 1);
        if (!labels.shape().equals(rows) || !rowScale.shape().equals(rows) || !rowLoss.shape().equals(rows)) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "the sparse cross-entropy gradient needs labels, row scales and row losses"
              + " of shape " + rows + ", got " + labels.shape() + ", " + rowScale.shape() + " and " + rowLoss.shape());
        }
        yield new Type(s, DType.FLOAT32);
      }
      default -> throw new AssertionError(op);
    };
  }

  private static Type indexing(Op op, List<Node> in, Attrs attrs, SourcePos pos) {
    return switch (op) {
      case GATHER -> {
        Node table = requireFloat(op, in.get(0), pos);
        Node indices = requireInt(op, in.get(1), "indices", pos);
        if (table.shape().rank() < 1) {
          throw new GraftException(Message.SHAPE_MISMATCH, pos, "gather needs a table with at least one axis, got a scalar");
        }
        yield new Type(indices.shape().concat(table.shape().sub(1, table.shape().rank())), DType.FLOAT32);
      }
      case SCATTER_ADD -> {
        Node indices = requireInt(op, in.get(0), "indices", pos);
        Node updates = requireFloat(op, in.get(1), pos);
        Shape target = attrs.target();
        Shape expected = indices.shape().concat(target.sub(1, target.rank()));
        if (!updates.shape().equals(expected)) {
          throw new IllegalArgumentException("scatterAdd updates " + updates.shape() + ", expected " + expected);
        }
        yield new Type(target, DType.FLOAT32);
      }
      case ONE_HOT -> {
        Node indices = requireInt(op, in.get(0), "indices", pos);
        yield new Type(indices.shape().append(attrs.dim()), DType.FLOAT32);
      }
      default -> throw new AssertionError(op);
    };
  }

  /**
   * A SCAN output. The front end reports user mistakes (step return shapes, arity) with their
   * own positions before it builds one, so a mismatch here is an internal error.
   */
  private static Type scan(List<Node> in, Attrs attrs) {
    ScanBody body = attrs.body();
    if (body == null) throw new IllegalArgumentException("scan without a body");
    List<Node> params = body.parameters();
    int sequences = body.sequences().size();
    if (sequences < 1) throw new IllegalArgumentException("a scan needs at least one sequence");
    if (in.size() != params.size()) {
      throw new IllegalArgumentException("scan with " + in.size() + " inputs for a body of " + params.size() + " parameters");
    }
    if (in.get(0).shape().rank() < 1) throw new IllegalArgumentException("scan over a scalar sequence");
    Dim time = in.get(0).shape().dim(0);
    for (int i = 0; i < in.size(); i++) {
      Node x = in.get(i);
      Node p = params.get(i);
      Shape expected = i < sequences ? Shape.of(time).concat(p.shape()) : p.shape();
      if (!x.shape().equals(expected) || x.dtype() != p.dtype()) {
        throw new IllegalArgumentException("scan input " + i + " is " + x.shape() + " " + x.dtype() + ", the body expects "
            + expected + " " + p.dtype());
      }
    }
    int index = attrs.intAt(0);
    Node out = body.outputNode(index);
    return switch (body.outputKind(index)) {
      case FINAL_CARRY, SUMMED_OUTPUT -> new Type(out.shape(), out.dtype());
      case STEP_OUTPUT, CARRY_HISTORY -> new Type(Shape.of(time).concat(out.shape()), out.dtype());
    };
  }

  /** The DSL's name of an op, for messages. */
  public static String name(Op op) {
    String[] parts = op.name().toLowerCase(java.util.Locale.ROOT).split("_");
    StringBuilder b = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) b.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
    return b.toString();
  }
}
