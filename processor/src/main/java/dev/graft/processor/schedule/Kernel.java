package dev.graft.processor.schedule;

import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One unit of generated work: it computes the value of {@link #root()} (the only value it
 * stores) from its {@link #operands()}, possibly computing other nodes on the way
 * ({@link #members()}) without storing them.
 */
public final class Kernel {
  /** How a kernel is computed. */
  public enum Kind {
    /** A DAG of elementwise nodes of one shape in one loop; operands read with broadcasting. */
    ELEMENTWISE,
    /** A GEMM writing the kernel's buffer, then an optional elementwise epilogue in place. */
    MATMUL,
    /** A call into the runtime kernel library (reductions, softmax family, gather, scatter). */
    LIBRARY,
    /** A generated copy: transpose, concat, slice, pad, one-hot. */
    LAYOUT,
    /**
     * A recurrence: one loop over time computing every SCAN output the schedule needs (its
     * {@link #outputs()}, sibling nodes of one loop) by running its body's own schedule per step.
     */
    LOOP
  }

  private final Kind kind;
  private final Node root;
  private final List<Node> members;
  private final List<Node> operands;

  Kernel(Kind kind, Node root, List<Node> members) {
    this.kind = kind;
    this.root = root;
    this.members = List.copyOf(members);
    this.operands = List.copyOf(operandsOf(kind, members));
  }

  public Kind kind() {
    return kind;
  }

  /** The node whose value this kernel stores. */
  public Node root() {
    return root;
  }

  /**
   * Every node computed here in an order that computes inputs first: the matrix product first
   * for a MATMUL kernel, then the others by id; the root is last.
   */
  public List<Node> members() {
    return members;
  }

  /**
   * The values this kernel stores: the root alone, or for a LOOP every SCAN output it computes
   * (its members, in id order).
   */
  public List<Node> outputs() {
    return kind == Kind.LOOP ? members : List.of(root);
  }

  /** For a MATMUL kernel, its matrix product (the first member). */
  public Node matmul() {
    return kind == Kind.MATMUL ? members.get(0) : null;
  }

  /** For a MATMUL kernel, the elementwise members after the product (possibly none). */
  public List<Node> epilogue() {
    return kind == Kind.MATMUL ? members.subList(1, members.size()) : List.of();
  }

  /**
   * The values read from buffers, in id order. Scalars that the kernel spells inline
   * ({@link #isInlineScalar}) are not operands of elementwise code.
   */
  public List<Node> operands() {
    return operands;
  }

  /** The op names the kernel fuses, in order, for its method name: {@code matmul_add_tanh}. */
  public String opSummary() {
    Set<String> names = new LinkedHashSet<>();
    for (Node m : members) {
      if (!isInlineScalar(m) || members.size() == 1) names.add(FusionPolicy.name(m.op()));
    }
    List<String> l = new ArrayList<>(names);
    if (kind == Kind.LOOP) return root.attrs().flag() ? "scan_reverse" : "scan";
    if (l.size() > 4) {
      l = new ArrayList<>(l.subList(0, 4));
      l.add("etc");
    }
    return String.join("_", l);
  }

  /**
   * Scalars spelled as literals or parameters inside elementwise code: COUNT, and constants
   * whose elements are all equal (a scalar, or zeros of any shape), seen through reshapes.
   */
  public static boolean isInlineScalar(Node n) {
    while (n.op() == Op.RESHAPE) n = n.input(0);
    if (n.op() == Op.COUNT) return true;
    if (n.op() != Op.CONSTANT) return false;
    double[] v = n.attrs().reals();
    for (double d : v) {
      if (Double.doubleToLongBits(d) != Double.doubleToLongBits(v[0])) return false;
    }
    return true;
  }

  private static List<Node> operandsOf(Kind kind, List<Node> members) {
    Set<Node> inside = Set.copyOf(members);
    TreeSet<Node> out = new TreeSet<>(Comparator.comparingInt(Node::id));
    boolean elementwiseCode = kind == Kind.ELEMENTWISE || kind == Kind.MATMUL;
    for (Node m : members) {
      for (Node in : m.inputs()) {
        if (inside.contains(in)) continue;
        if (elementwiseCode && FusionPolicy.isElementwise(m.op()) && isInlineScalar(in)) continue;
        out.add(in);
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(kind.name()).append(' ').append(opSummary()).append(" {");
    for (Node m : members) b.append(" %").append(m.id());
    return b.append(" }").toString();
  }

  /** A kernel being grown by the scheduler, from its root towards its inputs. */
  static final class Draft {
    private Kind kind;
    private final Node root;
    private final TreeSet<Node> members = new TreeSet<>(Comparator.comparingInt(Node::id));
    private int estimatedBytecode;
    private int vectorCalls;
    private Node matmul;

    Draft(Kind kind, Node root) {
      this.kind = kind;
      this.root = root;
      members.add(root);
      estimatedBytecode = FusionPolicy.estimatedBytecode(root);
      vectorCalls = FusionPolicy.vectorCalls(root);
    }

    Kind kind() {
      return kind;
    }

    Node root() {
      return root;
    }

    int size() {
      return members.size();
    }

    int estimatedBytecode() {
      return estimatedBytecode;
    }

    int vectorCalls() {
      return vectorCalls;
    }

    int operandCountWith(Node extra) {
      List<Node> l = new ArrayList<>(members);
      l.add(extra);
      l.sort(Comparator.comparingInt(Node::id));
      return operandsOf(Kind.ELEMENTWISE, l).size();
    }

    void add(Node n) {
      members.add(n);
      estimatedBytecode += FusionPolicy.estimatedBytecode(n);
      vectorCalls += FusionPolicy.vectorCalls(n);
    }

    void addMatmul(Node matmul) {
      kind = Kind.MATMUL;
      this.matmul = matmul;
    }

    Kernel build() {
      List<Node> ordered = new ArrayList<>();
      if (matmul != null) ordered.add(matmul);
      ordered.addAll(members);
      return new Kernel(kind, root, ordered);
    }
  }
}
