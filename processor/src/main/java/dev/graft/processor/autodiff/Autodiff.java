package dev.graft.processor.autodiff;

import dev.graft.dsl.DType;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reverse-mode differentiation. Each differentiable op has one rule in {@link #RULES} that, given
 * a node and the cotangent of its result, returns IR for the cotangent of each input
 * (a vector-Jacobian product). Cotangents are summed with ADD in reverse id order; an input that
 * no path from the loss reaches has a symbolic zero (no entry) and costs nothing.
 *
 * <p>Rules are only asked for the inputs that lead to a differentiation target, so labels,
 * masks and int32 indices never get gradient IR built for them.
 */
public final class Autodiff {
  private Autodiff() {}

  /**
   * Ops whose result carries no gradient to their inputs: leaves, masks and integer-valued
   * results, and gradient ops that only autodiff builds (a loss is differentiated once).
   */
  public static final Set<Op> NO_GRADIENT = Collections.unmodifiableSet(EnumSet.of(
      Op.INPUT, Op.VARIABLE, Op.CONSTANT, Op.COUNT, Op.SIGN, Op.INSIDE, Op.GREATER, Op.EQUAL, Op.ONE_HOT,
      Op.SOFTMAX_CROSS_ENTROPY_GRAD, Op.SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD));

  /** Fills in the gradients of every LOSS entry with respect to the trainable variables. */
  public static ModelGraph differentiate(ModelGraph model) {
    Graph g = model.graph();
    SourcePos saved = g.position();
    try {
      List<ModelGraph.Entry> out = new ArrayList<>();
      for (ModelGraph.Entry e : model.entries()) {
        if (e.kind() != ModelGraph.EntryKind.LOSS) {
          out.add(e);
          continue;
        }
        if (!e.result().shape().isScalar()) {
          throw new GraftException(Message.LOSS_NOT_SCALAR, e.position(), "loss '" + e.name() + "' has shape "
              + e.result().shape() + "; reduce it to a scalar (for example with reduceMean)");
        }
        List<Node> targets = new ArrayList<>();
        for (ModelGraph.VariableDecl v : model.trainableVariables()) {
          g.at(v.position());
          targets.add(g.variable(v.name(), model.variables().indexOf(v), v.shape()));
        }
        g.at(e.position());
        out.add(e.withResult(e.result(), gradients(g, e.result(), targets)));
      }
      return model.withEntries(out);
    } finally {
      g.at(saved);
    }
  }

  /** The set of ops with a gradient rule: every op not in {@link #NO_GRADIENT}. */
  public static Set<Op> differentiableOps() {
    return Collections.unmodifiableSet(EnumSet.copyOf(RULES.keySet()));
  }

  /**
   * d(y)/d(w) for each w in {@code wrt}, built in {@code g}: a node shaped like w, zeros where y
   * does not depend on w. {@code y} must be a float32 scalar of the same graph.
   */
  public static List<Node> gradients(Graph g, Node y, List<Node> wrt) {
    if (!y.shape().isScalar()) throw new IllegalArgumentException("gradients need a scalar, got " + y);
    SourcePos saved = g.position();
    g.at(y.position());
    Node one = g.scalar(1);
    g.at(saved);
    return gradients(g, List.of(y), List.of(one), wrt);
  }

  /**
   * The vector-Jacobian product: for each w in {@code wrt}, the sum over i of
   * {@code cotangents[i]}ᵀ·d(ys[i])/d(w), shaped like w (zeros where no y depends on w). A y may
   * appear more than once (its cotangents add up). A VARIABLE in {@code wrt} also receives what
   * scan bodies that read the same variable contribute (a body has its own VARIABLE leaves).
   */
  public static List<Node> gradients(Graph g, List<Node> ys, List<Node> cotangents, List<Node> wrt) {
    if (ys.size() != cotangents.size()) throw new IllegalArgumentException(ys.size() + " ys with " + cotangents.size() + " cotangents");
    for (int i = 0; i < ys.size(); i++) {
      if (!ys.get(i).shape().equals(cotangents.get(i).shape())) {
        throw new IllegalArgumentException("cotangent " + cotangents.get(i) + " does not fit " + ys.get(i));
      }
    }
    SourcePos saved = g.position();
    try {
      return new Backward(g, ys, cotangents, wrt).run();
    } finally {
      g.at(saved);
    }
  }

  // ---- the backward sweep

  private static final class Backward {
    final Graph g;
    final List<Node> ys;
    final List<Node> seeds;
    final List<Node> wrt;
    final Set<Node> live = new HashSet<>(); // reachable from y and leading to a target: wants a cotangent
    final Map<Node, Node> cotangent = new HashMap<>(); // looked up only; iteration is by id
    /** VARIABLE targets by index, for the gradients scan bodies contribute. */
    final Map<Integer, Node> variableTargets = new HashMap<>();
    /** Live SCAN nodes by loop (body, inputs, direction): siblings share one backward scan. */
    final Map<List<Object>, List<Node>> scanGroups = new HashMap<>();

    Backward(Graph g, List<Node> ys, List<Node> seeds, List<Node> wrt) {
      this.g = g;
      this.ys = List.copyOf(ys);
      this.seeds = List.copyOf(seeds);
      this.wrt = List.copyOf(wrt);
      for (Node w : wrt) if (w.op() == Op.VARIABLE) variableTargets.put(w.attrs().intAt(0), w);
    }

    List<Node> run() {
      List<Node> reachable = reachableFrom(ys);
      Set<Node> targets = new HashSet<>(wrt);
      for (Node n : reachable) {
        boolean feeds = RULES.containsKey(n.op()) && n.dtype() == DType.FLOAT32 && n.inputs().stream().anyMatch(live::contains);
        if (n.op() == Op.SCAN) feeds = n.inputs().stream().anyMatch(live::contains) || readsTarget(n.attrs().body());
        if (targets.contains(n) || feeds) live.add(n);
        if (n.op() == Op.SCAN && live.contains(n)) scanGroups.computeIfAbsent(loopOf(n), k -> new ArrayList<>()).add(n);
      }
      for (int i = 0; i < ys.size(); i++) {
        Node y = ys.get(i);
        if (live.contains(y)) accumulateSeed(y, seeds.get(i));
      }
      for (int i = reachable.size() - 1; i >= 0; i--) {
        Node n = reachable.get(i);
        Rule rule = RULES.get(n.op());
        if (rule == null || !live.contains(n)) continue;
        Node ct = cotangent.get(n);
        if (n.op() == Op.SCAN) {
          // One backward loop for all outputs of a forward loop, built at the lowest-id one: by then
          // every user of every sibling (all have higher ids) has handed in its cotangent.
          if (scanGroups.get(loopOf(n)).get(0) != n) continue;
        } else if (ct == null || n.inputs().stream().noneMatch(live::contains)) {
          continue;
        }
        g.at(n.position());
        rule.apply(new Step(this, n, ct));
      }
      List<Node> out = new ArrayList<>();
      for (Node w : wrt) {
        Node ct = cotangent.get(w);
        if (ct == null) {
          g.at(w.position());
          ct = g.broadcastTo(g.scalar(0), w.shape());
        }
        out.add(ct);
      }
      return out;
    }

    private void accumulateSeed(Node y, Node seed) {
      Node before = cotangent.get(y);
      g.at(y.position());
      cotangent.put(y, before == null ? seed : g.add(before, seed));
    }

    static List<Object> loopOf(Node scan) {
      return List.of(scan.attrs().body(), scan.inputs(), scan.attrs().flag());
    }

    boolean readsTarget(ScanBody body) {
      for (Node v : body.variables()) if (variableTargets.containsKey(v.attrs().intAt(0))) return true;
      return false;
    }

    void accumulate(Node input, Node contribution, Node from) {
      if (!contribution.shape().equals(input.shape())) {
        throw new IllegalStateException("gradient rule of " + from.op() + " gave " + contribution.shape()
            + " for input " + input + " of " + from);
      }
      Node before = cotangent.get(input);
      cotangent.put(input, before == null ? contribution : g.add(before, contribution));
    }

    private static List<Node> reachableFrom(List<Node> roots) {
      Set<Node> seen = new HashSet<>();
      Deque<Node> work = new ArrayDeque<>(roots);
      List<Node> out = new ArrayList<>();
      while (!work.isEmpty()) {
        Node n = work.pop();
        if (!seen.add(n)) continue;
        out.add(n);
        for (Node in : n.inputs()) work.push(in);
      }
      out.sort(Comparator.comparingInt(Node::id));
      return out;
    }
  }

  /** What a rule sees: the node, its result's cotangent, and a way to hand each input its share. */
  private static final class Step {
    final Backward sweep;
    final Graph g;
    final Node node;
    final Node ct;

    Step(Backward sweep, Node node, Node ct) {
      this.sweep = sweep;
      this.g = sweep.g;
      this.node = node;
      this.ct = ct;
    }

    Node x(int i) {
      return node.input(i);
    }

    /** Adds {@code contribution} to input {@code i}'s cotangent, building it only if that input wants one. */
    void to(int i, Supplier<Node> contribution) {
      Node input = node.input(i);
      if (sweep.live.contains(input)) sweep.accumulate(input, contribution.get(), node);
    }

    /** Like {@link #to}, first summing the contribution down to the input's shape (undoing broadcasting). */
    void toUnbroadcast(int i, Supplier<Node> contribution) {
      to(i, () -> unbroadcast(g, contribution.get(), x(i).shape()));
    }

    Node scalar(double v) {
      return g.scalar(v);
    }
  }

  @FunctionalInterface
  private interface Rule {
    void apply(Step s);
  }

  // ---- the rule table

  private static final Map<Op, Rule> RULES = new EnumMap<>(Op.class);

  static {
    RULES.put(Op.NEG, s -> s.to(0, () -> s.g.neg(s.ct)));
    RULES.put(Op.SQUARE, s -> s.to(0, () -> s.g.mul(s.ct, s.g.mul(s.scalar(2), s.x(0)))));
    RULES.put(Op.SQRT, s -> s.to(0, () -> s.g.div(s.ct, s.g.mul(s.scalar(2), s.node))));
    RULES.put(Op.EXP, s -> s.to(0, () -> s.g.mul(s.ct, s.node)));
    RULES.put(Op.LOG, s -> s.to(0, () -> s.g.div(s.ct, s.x(0))));
    RULES.put(Op.TANH, s -> s.to(0, () -> s.g.mul(s.ct, s.g.sub(s.scalar(1), s.g.unary(Op.SQUARE, s.node)))));
    RULES.put(Op.SIGMOID, s -> s.to(0, () -> s.g.mul(s.g.mul(s.ct, s.node), s.g.sub(s.scalar(1), s.node))));
    RULES.put(Op.RELU, s -> s.to(0, () -> s.g.mul(s.ct, s.g.binary(Op.GREATER, s.x(0), s.scalar(0)))));
    RULES.put(Op.ABS, s -> s.to(0, () -> s.g.mul(s.ct, s.g.unary(Op.SIGN, s.x(0)))));
    RULES.put(Op.POW, Autodiff::pow);
    RULES.put(Op.CLIP, s -> s.to(0, () -> s.g.mul(s.ct, s.g.inside(s.x(0), s.node.attrs().realAt(0), s.node.attrs().realAt(1)))));

    RULES.put(Op.ADD, s -> {
      s.toUnbroadcast(0, () -> s.ct);
      s.toUnbroadcast(1, () -> s.ct);
    });
    RULES.put(Op.SUB, s -> {
      s.toUnbroadcast(0, () -> s.ct);
      s.toUnbroadcast(1, () -> s.g.neg(s.ct));
    });
    RULES.put(Op.MUL, s -> {
      s.toUnbroadcast(0, () -> s.g.mul(s.ct, s.x(1)));
      s.toUnbroadcast(1, () -> s.g.mul(s.ct, s.x(0)));
    });
    RULES.put(Op.DIV, s -> {
      s.toUnbroadcast(0, () -> s.g.div(s.ct, s.x(1)));
      s.toUnbroadcast(1, () -> s.g.neg(s.g.div(s.g.mul(s.ct, s.node), s.x(1))));
    });
    // Ties go to the first operand, as in TensorFlow: min takes a where a <= b, max where a >= b.
    RULES.put(Op.MINIMUM, s -> selectBetween(s, s.g.binary(Op.GREATER, s.x(0), s.x(1))));
    RULES.put(Op.MAXIMUM, s -> selectBetween(s, s.g.binary(Op.GREATER, s.x(1), s.x(0))));

    RULES.put(Op.BROADCAST_TO, s -> s.toUnbroadcast(0, () -> s.ct));
    RULES.put(Op.RESHAPE, s -> s.to(0, () -> s.g.reshape(s.ct, s.x(0).shape())));
    RULES.put(Op.TRANSPOSE, Autodiff::transpose);
    RULES.put(Op.CONCAT, Autodiff::concat);
    RULES.put(Op.SLICE, s -> s.to(0, () -> s.g.pad(s.ct, s.node.attrs().intAt(0), s.node.attrs().dim(), s.x(0).shape())));
    RULES.put(Op.PAD, s -> s.to(0, () -> s.g.slice(s.ct, s.node.attrs().intAt(0), s.node.attrs().dim(),
        s.x(0).shape().dim(s.node.attrs().intAt(0)))));

    RULES.put(Op.MATMUL, Autodiff::matmul);

    RULES.put(Op.REDUCE_SUM, s -> s.to(0, () -> spreadOverReduced(s)));
    RULES.put(Op.REDUCE_MEAN, s -> s.to(0, () -> s.g.div(spreadOverReduced(s), s.g.count(reducedDims(s.node)))));
    RULES.put(Op.REDUCE_MAX, Autodiff::reduceMax);

    RULES.put(Op.SOFTMAX, s -> s.to(0, () -> s.g.mul(s.node, s.g.sub(s.ct, sumLastKeep(s.g, s.g.mul(s.ct, s.node))))));
    RULES.put(Op.LOG_SOFTMAX, s -> s.to(0, () -> s.g.sub(s.ct, s.g.mul(s.g.softmax(s.x(0)), sumLastKeep(s.g, s.ct)))));
    // loss = sum(labels)·logSumExp(logits) − labels·logits, so d/dlogits = softmax·sum(labels) − labels:
    // TensorFlow's softmax − labels when each label row sums to 1, and still right when it does not.
    // One row-wise kernel, rather than softmax, a row sum and an elementwise pass.
    RULES.put(Op.SOFTMAX_CROSS_ENTROPY, s -> {
      s.to(0, () -> s.g.softmaxCrossEntropyGrad(s.x(0), s.x(1), s.ct));
      s.to(1, () -> s.g.mul(s.g.neg(s.g.logSoftmax(s.x(0))), perRow(s)));
    });
    // (softmax − oneHot(labels)) · cotangent per row, as one row-wise kernel rather than four
    // passes over [rows, classes] (at a vocabulary of 10000 those passes are most of the loss).
    // The loss goes in too: with it the kernel has each row's log-sum-exp and reads the logits once.
    RULES.put(Op.SPARSE_SOFTMAX_CROSS_ENTROPY,
        s -> s.to(0, () -> s.g.sparseSoftmaxCrossEntropyGrad(s.x(0), s.x(1), s.ct, s.node)));

    RULES.put(Op.GATHER, s -> s.to(0, () -> s.g.scatterAdd(s.x(1), s.ct, s.x(0).shape())));
    RULES.put(Op.SCATTER_ADD, s -> s.to(1, () -> s.g.gather(s.ct, s.x(0))));

    RULES.put(Op.SCAN, Autodiff::scan);

    EnumSet<Op> covered = EnumSet.copyOf(NO_GRADIENT);
    covered.addAll(RULES.keySet());
    if (covered.size() != Op.values().length || RULES.keySet().stream().anyMatch(NO_GRADIENT::contains)) {
      throw new AssertionError("every op needs exactly one of a gradient rule or a place in NO_GRADIENT");
    }
  }

  // ---- rules too long for one line

  private static void pow(Step s) {
    double e = s.node.attrs().realAt(0);
    s.to(0, () -> s.g.mul(s.ct, s.g.mul(s.scalar(e), s.g.pow(s.x(0), e - 1))));
  }

  /** Backpropagation through time for all outputs of the loop at once (see {@link BackpropThroughTime}). */
  private static void scan(Step s) {
    Map<Integer, Node> cotangents = new HashMap<>();
    for (Node sibling : s.sweep.scanGroups.get(Backward.loopOf(s.node))) {
      Node ct = s.sweep.cotangent.get(sibling);
      if (ct != null) cotangents.merge(sibling.attrs().intAt(0), ct, s.g::add);
    }
    if (cotangents.isEmpty()) return;
    Set<Integer> wantsInput = new HashSet<>();
    for (int i = 0; i < s.node.inputs().size(); i++) if (s.sweep.live.contains(s.x(i))) wantsInput.add(i);
    BackpropThroughTime.Contributions c = BackpropThroughTime.of(s.g, s.node, cotangents, wantsInput,
        s.sweep.variableTargets.keySet());
    c.toInputs().forEach((i, d) -> s.to(i, () -> d));
    c.toVariables().forEach((v, d) -> s.sweep.accumulate(s.sweep.variableTargets.get(v), d, s.node));
  }

  /** min/max: input 1 takes the cotangent where {@code toSecond} is 1, input 0 everywhere else. */
  private static void selectBetween(Step s, Node toSecond) {
    s.toUnbroadcast(0, () -> s.g.mul(s.ct, s.g.sub(s.scalar(1), toSecond)));
    s.toUnbroadcast(1, () -> s.g.mul(s.ct, toSecond));
  }

  private static void transpose(Step s) {
    int[] perm = s.node.attrs().ints();
    int[] inverse = new int[perm.length];
    for (int i = 0; i < perm.length; i++) inverse[perm[i] < 0 ? perm[i] + perm.length : perm[i]] = i;
    s.to(0, () -> s.g.transpose(s.ct, inverse));
  }

  private static void concat(Step s) {
    int rank = s.node.shape().rank();
    int axis = s.node.attrs().intAt(0) < 0 ? s.node.attrs().intAt(0) + rank : s.node.attrs().intAt(0);
    Dim offset = Dim.zero();
    for (int i = 0; i < s.node.inputs().size(); i++) {
      Dim start = offset;
      Dim length = s.x(i).shape().dim(axis);
      s.to(i, () -> s.g.slice(s.ct, axis, start, length));
      offset = offset.plus(length).orElseThrow(() -> new IllegalStateException("concat offsets of " + s.node));
    }
  }

  /**
   * C = op(A)·op(B) gives d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G; the transpose flags absorb
   * every transpose except where the IR has no form for it (B shared across A's batch).
   */
  private static void matmul(Step s) {
    Graph g = s.g;
    Node a = s.x(0);
    Node b = s.x(1);
    Node ct = s.ct;
    boolean ta = s.node.attrs().intAt(0) == 1;
    boolean tb = s.node.attrs().intAt(1) == 1;
    boolean sharedB = a.shape().rank() == 3 && b.shape().rank() == 2;
    s.to(0, () -> {
      if (!ta) return g.matmul(ct, b, false, !tb);
      if (!sharedB) return g.matmul(b, ct, tb, true);
      return g.transpose(g.matmul(ct, b, false, !tb), 0, 2, 1); // [k, n] x [b, m, n]ᵀ has no IR form
    });
    s.to(1, () -> {
      if (!sharedB) return tb ? g.matmul(ct, a, true, ta) : g.matmul(a, ct, !ta, false);
      if (ta) {
        // Sum over the batch of the per-batch products.
        Node perBatch = tb ? g.matmul(ct, a, true, true) : g.matmul(a, ct, false, false);
        return g.reduce(Op.REDUCE_SUM, perBatch, new int[] {0}, false);
      }
      // A [b, m, k] and G [b, m, n] flatten to [b·m, k] and [b·m, n]: one 2-d product sums the batch.
      Shape as = a.shape();
      Shape cs = ct.shape();
      Node a2 = g.reshape(a, Shape.of(as.dim(0).times(as.dim(1)), as.dim(2)));
      Node c2 = g.reshape(ct, Shape.of(cs.dim(0).times(cs.dim(1)), cs.dim(2)));
      return tb ? g.matmul(c2, a2, true, false) : g.matmul(a2, c2, true, false);
    });
  }

  /** The input's shape with the reduced axes set to 1. */
  private static Shape keepDimsShape(Node reduction) {
    Shape s = reduction.input(0).shape();
    for (int axis : reduction.attrs().ints()) s = s.with(axis, Dim.of(1));
    return s;
  }

  /** Just the reduced dims (what a mean divides by). */
  private static Shape reducedDims(Node reduction) {
    List<Dim> dims = new ArrayList<>();
    for (int axis : reduction.attrs().ints()) dims.add(reduction.input(0).shape().dim(axis));
    return Shape.of(dims);
  }

  /** The reduction's cotangent copied to every element that was reduced into it. */
  private static Node spreadOverReduced(Step s) {
    return s.g.broadcastTo(s.g.reshape(s.ct, keepDimsShape(s.node)), s.x(0).shape());
  }

  /** The cotangent goes to the maxima, split evenly between ties (as in TensorFlow). */
  private static void reduceMax(Step s) {
    s.to(0, () -> {
      Graph g = s.g;
      Shape keep = keepDimsShape(s.node);
      Node isMax = g.binary(Op.EQUAL, s.x(0), g.reshape(s.node, keep));
      Node ties = g.reduce(Op.REDUCE_SUM, isMax, s.node.attrs().ints(), true);
      return g.div(g.mul(isMax, g.reshape(s.ct, keep)), ties);
    });
  }

  private static Node sumLastKeep(Graph g, Node x) {
    return g.reduce(Op.REDUCE_SUM, x, new int[] {-1}, true);
  }

  /** A row-wise loss's cotangent [...] as [..., 1], to scale each row. */
  private static Node perRow(Step s) {
    return s.g.reshape(s.ct, s.ct.shape().append(Dim.of(1)));
  }

  /** Sums {@code ct} over the axes that broadcasting added or stretched, giving {@code shape}. */
  static Node unbroadcast(Graph g, Node ct, Shape shape) {
    Shape from = ct.shape();
    if (from.equals(shape)) return ct;
    int lead = from.rank() - shape.rank();
    List<Integer> axes = new ArrayList<>();
    for (int i = 0; i < from.rank(); i++) {
      if (i < lead || (shape.dim(i - lead).isOne() && !from.dim(i).isOne())) axes.add(i);
    }
    Node summed = axes.isEmpty() ? ct : g.reduce(Op.REDUCE_SUM, ct, axes.stream().mapToInt(Integer::intValue).toArray(), true);
    return g.reshape(summed, shape);
  }
}
