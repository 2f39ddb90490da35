package dev.graft.processor.frontend;

import com.sun.source.tree.Tree;
import dev.graft.dsl.Ops;
import dev.graft.dsl.Tensor;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.frontend.Value.Bool;
import dev.graft.processor.frontend.Value.NumberArray;
import dev.graft.processor.frontend.Value.Tensors;
import dev.graft.processor.frontend.Value.TensorValue;
import dev.graft.processor.frontend.Value.Text;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.ShapeRules;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Maps one call of a DSL operation, static ({@code matmul(x, w)}) or fluent ({@code x.matmul(w)}
 * with the receiver as first argument), onto {@link Graph} factories. The overloads of
 * {@link Ops} and {@link Tensor} are told apart by the kinds of the evaluated arguments.
 */
final class DslOps {
  /** The public static methods of {@link Ops}: the names an unqualified or {@code Ops.} call may use. */
  static final Set<String> STATIC_NAMES = publicNames(Ops.class, true);
  /** The public methods of {@link Tensor}: the names a fluent call may use. */
  static final Set<String> FLUENT_NAMES = publicNames(Tensor.class, false);

  private static final Map<String, Op> UNARY = Map.of("neg", Op.NEG, "square", Op.SQUARE, "sqrt", Op.SQRT, "exp", Op.EXP,
      "log", Op.LOG, "tanh", Op.TANH, "sigmoid", Op.SIGMOID, "relu", Op.RELU, "abs", Op.ABS);
  private static final Map<String, Op> BINARY = Map.of("add", Op.ADD, "sub", Op.SUB, "mul", Op.MUL, "div", Op.DIV,
      "minimum", Op.MINIMUM, "maximum", Op.MAXIMUM);
  private static final Map<String, Op> REDUCTIONS = Map.of("reduceSum", Op.REDUCE_SUM, "reduceMean", Op.REDUCE_MEAN,
      "reduceMax", Op.REDUCE_MAX);

  /** An evaluated argument and the tree it came from (for diagnostics). */
  record Arg(Value value, Tree tree) {}

  private final Graph graph;
  private final Positions positions;
  private final RecurrentLayers layers;
  private final ShapeConstants constants;

  DslOps(Graph graph, Positions positions, ShapeConstants constants) {
    this.graph = graph;
    this.positions = positions;
    this.constants = constants;
    this.layers = new RecurrentLayers(positions);
  }

  /** The same operations building into {@code other} (a scan step's body). */
  DslOps withGraph(Graph other) {
    return new DslOps(other, positions, constants);
  }

  private static Set<String> publicNames(Class<?> c, boolean isStatic) {
    Set<String> names = new TreeSet<>();
    for (Method m : c.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) == isStatic) names.add(m.getName());
    }
    return Set.copyOf(names);
  }

  /** The graph this maps calls into (a scan body has its own). */
  Graph graph() {
    return graph;
  }

  /** Builds the nodes for {@code name(args)} written at {@code call}. */
  Value apply(String name, Tree call, List<Arg> args) {
    Call c = new Call(name, call, args);
    Op op;
    if ((op = UNARY.get(name)) != null) {
      c.arity(1, 1);
      Node x = c.tensor(0);
      return c.result(graph.at(c.pos()).unary(op, x));
    }
    if ((op = BINARY.get(name)) != null) {
      c.arity(2, 2);
      if (!(args.get(0).value() instanceof TensorValue) && !(args.get(1).value() instanceof TensorValue)) {
        throw c.error(Message.UNSUPPORTED, call, name + " needs at least one tensor operand; combine constants with Java"
            + " operators (+, -, *, /)");
      }
      Node a = c.tensorOrScalar(0);
      Node b = c.tensorOrScalar(1);
      return c.result(graph.at(c.pos()).binary(op, a, b));
    }
    if ((op = REDUCTIONS.get(name)) != null) return reduce(c, op);
    RecurrentLayers.Kind layer = RecurrentLayers.Kind.named(name);
    if (layer != null) return recurrent(c, layer);
    switch (name) {
      case "pow" -> {
        c.arity(2, 2);
        Node x = c.tensor(0);
        return c.result(graph.at(c.pos()).pow(x, c.real(1)));
      }
      case "clip" -> {
        c.arity(3, 3);
        Node x = c.tensor(0);
        return c.result(graph.at(c.pos()).clip(x, c.real(1), c.real(2)));
      }
      case "matmul" -> {
        c.arity(2, 2);
        Node a = c.tensor(0);
        Node b = c.tensor(1);
        return c.result(graph.at(c.pos()).matmul(a, b, false, false));
      }
      case "transpose" -> {
        Node x = c.tensor(0);
        int[] perm;
        if (args.size() == 1) {
          int rank = x.shape().rank();
          perm = new int[rank];
          for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        } else {
          perm = c.ints(1);
        }
        return c.result(graph.at(c.pos()).transpose(x, perm));
      }
      case "reshape" -> {
        c.arity(2, 2);
        Node x = c.tensor(0);
        Shape shape = c.shape(1);
        return c.result(graph.at(c.pos()).reshape(x, shape));
      }
      case "concat" -> {
        c.arity(2, Integer.MAX_VALUE);
        int axis = c.integer(0);
        return c.result(graph.at(c.pos()).concat(axis, c.tensors(1)));
      }
      case "slice" -> {
        c.arity(4, 4);
        Node x = c.tensor(0);
        int axis = c.integer(1);
        int start = c.integer(2);
        int length = c.integer(3);
        if (start < 0 || length < 1) {
          throw c.error(Message.SHAPE_MISMATCH, call, "slice needs start >= 0 and length >= 1, got start " + start
              + " and length " + length);
        }
        return c.result(graph.at(c.pos()).slice(x, axis, start == 0 ? Dim.zero() : Dim.of(start), Dim.of(length)));
      }
      case "split" -> {
        c.arity(3, 3);
        return split(c, c.tensor(0), c.integer(1), c.integer(2));
      }
      case "softmax" -> {
        c.arity(1, 1);
        Node x = c.tensor(0);
        return c.result(graph.at(c.pos()).softmax(x));
      }
      case "logSoftmax" -> {
        c.arity(1, 1);
        Node x = c.tensor(0);
        return c.result(graph.at(c.pos()).logSoftmax(x));
      }
      case "softmaxCrossEntropy", "sparseSoftmaxCrossEntropy", "gather" -> {
        c.arity(2, 2);
        Node a = c.tensor(0);
        Node b = c.tensor(1);
        Graph g = graph.at(c.pos());
        return c.result(switch (name) {
          case "softmaxCrossEntropy" -> g.softmaxCrossEntropy(a, b);
          case "sparseSoftmaxCrossEntropy" -> g.sparseSoftmaxCrossEntropy(a, b);
          default -> g.gather(a, b);
        });
      }
      case "oneHot" -> {
        c.arity(2, 2);
        Node indices = c.tensor(0);
        int depth = c.integer(1);
        if (depth < 1) throw c.error(Message.SHAPE_MISMATCH, args.get(1).tree(), "oneHot needs a depth >= 1, got " + depth);
        return c.result(graph.at(c.pos()).oneHot(indices, Dim.of(depth)));
      }
      case "constant" -> {
        return constant(c);
      }
      case "zeros" -> {
        c.arity(1, 1);
        Shape shape = c.shape(0);
        Graph g = graph.at(c.pos());
        return c.result(g.broadcastTo(g.scalar(0), shape));
      }
      default -> throw c.error(Message.UNKNOWN_METHOD, call, "'" + name + "' is not a Graft DSL operation");
    }
  }

  private Value reduce(Call c, Op op) {
    c.arity(1, 3);
    Node x = c.tensor(0);
    int[] axes = {};
    boolean keepDims = false;
    if (c.size() >= 2) {
      if (c.value(1) instanceof NumberArray) {
        axes = c.ints(1, 2);
        // TensorFlow reduces over no axes when given an empty list: the tensor itself.
        if (axes.length == 0) return c.result(x);
      } else {
        axes = new int[] {c.integer(1)};
      }
    }
    if (c.size() == 3) keepDims = c.bool(2);
    return c.result(graph.at(c.pos()).reduce(op, x, axes, keepDims));
  }

  /**
   * {@code rnn(xs, h0, w, u, b)}, {@code gru(xs, h0, w, u, b)}, {@code lstm(xs, h0, c0, w, u, b[,
   * forgetBias])}: see {@link RecurrentLayers}.
   */
  private Value recurrent(Call c, RecurrentLayers.Kind kind) {
    int tensors = 4 + kind.states;
    c.arity(tensors, kind == RecurrentLayers.Kind.LSTM ? tensors + 1 : tensors);
    List<RecurrentLayers.Operand> operands = new ArrayList<>();
    for (int i = 0; i < tensors; i++) operands.add(new RecurrentLayers.Operand(c.tensor(i), c.args.get(i).tree()));
    double forgetBias = c.size() > tensors ? c.real(tensors) : kind == RecurrentLayers.Kind.LSTM ? 1 : 0;
    int s = kind.states;
    return layers.expand(kind, graph, c.call, operands.get(0), operands.subList(1, 1 + s), operands.get(1 + s),
        operands.get(2 + s), operands.get(3 + s), forgetBias);
  }

  private Value split(Call c, Node x, int parts, int axis) {
    Shape s = x.shape();
    int a = ShapeRules.axis(axis, s.rank(), c.pos());
    if (parts < 1) throw c.error(Message.SHAPE_MISMATCH, c.args.get(1).tree(), "split needs at least one part, got " + parts);
    Dim extent = s.dim(a);
    Dim part = extent.divide(Dim.of(parts)).orElseThrow(() -> c.error(Message.SHAPE_MISMATCH, c.call,
        "split cannot divide axis " + axis + " of " + s + " (extent " + extent + ") into " + parts + " equal parts"));
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < parts; i++) {
      Dim offset = i == 0 ? Dim.zero() : part.times(Dim.of(i));
      out.add(graph.at(c.pos()).slice(x, a, offset, part));
    }
    return new Tensors(out);
  }

  private Value constant(Call c) {
    c.arity(1, Integer.MAX_VALUE);
    Shape shape;
    double[] values;
    if (c.value(0) instanceof Text) {
      shape = c.shape(0);
      values = c.reals(1);
      if (!shape.isFixed()) {
        throw c.error(Message.BAD_SHAPE, c.args.get(0).tree(), "a constant needs a fixed shape, got " + shape);
      }
      if (shape.size().value() != values.length) {
        throw c.error(Message.SHAPE_MISMATCH, c.call, "a constant of shape " + shape + " needs " + shape.size()
            + " values, got " + values.length);
      }
    } else if (c.size() == 1 && c.value(0) instanceof Value.Number) {
      return c.result(graph.at(c.pos()).scalar(c.real(0)));
    } else {
      values = c.reals(0);
      if (values.length == 0) throw c.error(Message.SHAPE_MISMATCH, c.call, "a constant needs at least one value");
      shape = Shape.of(values.length);
    }
    return c.result(graph.at(c.pos()).constant(shape, values));
  }

  /** One call being mapped: typed access to its arguments, with diagnostics at the argument. */
  private final class Call {
    final String name;
    final Tree call;
    final List<Arg> args;

    Call(String name, Tree call, List<Arg> args) {
      this.name = name;
      this.call = call;
      this.args = args;
    }

    dev.graft.processor.ir.SourcePos pos() {
      return positions.of(call);
    }

    int size() {
      return args.size();
    }

    Value value(int i) {
      return args.get(i).value();
    }

    Value result(Node n) {
      return new TensorValue(n);
    }

    GraftException error(Message kind, Tree at, String detail) {
      return new GraftException(kind, positions.of(at), detail);
    }

    void arity(int min, int max) {
      if (args.size() < min || args.size() > max) {
        throw error(Message.UNKNOWN_METHOD, call, "no form of " + name + " takes " + args.size() + " argument"
            + (args.size() == 1 ? "" : "s") + " (see dev.graft.dsl.Ops." + name + ")");
      }
    }

    private GraftException expected(int i, String what) {
      if (i >= args.size()) return error(Message.UNKNOWN_METHOD, call, name + " is missing " + what);
      return error(Message.UNSUPPORTED, args.get(i).tree(), name + " expects " + what + " here, got "
          + Value.describe(args.get(i).value()));
    }

    Node tensor(int i) {
      if (i < args.size() && value(i) instanceof TensorValue t) return t.node();
      throw expected(i, "a tensor");
    }

    /** A tensor, or a number made a float32 scalar constant ({@code x.mul(0.5f)}). */
    Node tensorOrScalar(int i) {
      if (value(i) instanceof Value.Number n) {
        return graph.at(positions.of(args.get(i).tree())).scalar((float) n.value());
      }
      return tensor(i);
    }

    int integer(int i) {
      if (i < args.size() && value(i) instanceof Value.Number n && n.type() == Value.NumberType.INT) return (int) n.value();
      throw expected(i, "an int constant");
    }

    double real(int i) {
      if (i < args.size() && value(i) instanceof Value.Number n) return (float) n.value();
      throw expected(i, "a float constant");
    }

    boolean bool(int i) {
      if (i < args.size() && value(i) instanceof Bool b) return b.value();
      throw expected(i, "a boolean constant");
    }

    Shape shape(int i) {
      if (!(i < args.size() && value(i) instanceof Text t)) throw expected(i, "a shape string such as \"batch, 4\"");
      try {
        return constants.resolve(Shape.parse(t.value()));
      } catch (IllegalArgumentException e) {
        throw error(Message.BAD_SHAPE, args.get(i).tree(), "\"" + t.value() + "\": " + e.getMessage());
      }
    }

    /** Arguments from {@code from} on as ints: varargs constants or one {@code int[]} literal. */
    int[] ints(int from) {
      return ints(from, args.size());
    }

    int[] ints(int from, int to) {
      if (to - from == 1 && value(from) instanceof NumberArray a) {
        if (a.type() != Value.NumberType.INT) throw expected(from, "an int[] of axes");
        return Arrays.stream(a.values()).mapToInt(v -> (int) v).toArray();
      }
      int[] out = new int[to - from];
      for (int i = from; i < to; i++) out[i - from] = integer(i);
      return out;
    }

    /** Arguments from {@code from} on as float values: varargs constants or one literal array. */
    double[] reals(int from) {
      if (args.size() - from == 1 && value(from) instanceof NumberArray a) {
        return Arrays.stream(a.values()).map(v -> (float) v).toArray();
      }
      double[] out = new double[args.size() - from];
      for (int i = from; i < args.size(); i++) out[i - from] = real(i);
      return out;
    }

    /** Arguments from {@code from} on as tensors: varargs tensors or one array of tensors. */
    List<Node> tensors(int from) {
      if (args.size() - from == 1 && value(from) instanceof Tensors t) return t.parts();
      List<Node> out = new ArrayList<>();
      for (int i = from; i < args.size(); i++) out.add(tensor(i));
      return out;
    }
  }
}
