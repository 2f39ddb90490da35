package dev.graft.processor.schedule;

import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import java.util.List;
import java.util.Locale;

/**
 * The fusion rules as pure predicates with explicit budgets. A producer joins the kernel of its
 * consumers only if it is elementwise (or a matmul, which becomes the head of an elementwise
 * epilogue), it has the kernel's shape (so nothing is recomputed per element), all its consumers
 * are elementwise members of that one kernel, and the kernel stays within its budgets, which
 * keep every generated method far below HotSpot's 8000-byte compilation limit, and every loop
 * of the Vector API variant small enough for C2 to compile whole.
 *
 * <p>{@code maxVectorCalls}: each {@code FloatVector} call in a vector loop is a chain of about
 * 400 bytecodes that C2 must inline (C2 defers what lies beyond 8000 inlined bytecodes). On JDK
 * 17, the language model's LSTM cell loop (two sigmoids, a tanh and four more ops: 44 calls,
 * then 40) compiled in many JVMs into code whose final vector store fell back to Java and
 * allocated every vector; split at this budget, it did in none (jmh-benchmarks/README.md,
 * fourteenth session).
 *
 * @param maxNodes the most IR nodes one fused kernel may compute
 * @param maxOperands the most distinct arrays one fused kernel may read
 * @param maxEstimatedBytecode the largest estimated bytecode size of one kernel's loop body
 * @param maxVectorCalls the most {@code FloatVector} calls the members of one kernel's vector
 *     loop may make ({@link #vectorCalls})
 */
public record FusionPolicy(int maxNodes, int maxOperands, int maxEstimatedBytecode, int maxVectorCalls) {
  public static final FusionPolicy DEFAULT = new FusionPolicy(48, 24, 3000, 28);

  /** No fusion at all: every node is its own kernel (for differential tests). */
  public static final FusionPolicy NONE = new FusionPolicy(1, 24, 3000, 28);

  /** True for ops computed element by element in a fused loop. */
  public static boolean isElementwise(Op op) {
    return op.isElementwise() || op == Op.BROADCAST_TO;
  }

  /** Whether elementwise {@code producer} can be computed inside {@code kernel}, its consumers' kernel. */
  public FusionDecision canFuseElementwise(Node producer, boolean isRoot, List<Node> consumers, List<Kernel.Draft> consumerKernels) {
    if (isRoot) return FusionDecision.no("it is a result or gradient of the entry, so it is stored");
    if (!isElementwise(producer.op())) return FusionDecision.no(name(producer.op()) + " is not elementwise");
    FusionDecision common = sameKernel(consumers, consumerKernels);
    if (!common.fused()) return common;
    Kernel.Draft k = consumerKernels.get(0);
    if (k.kind() != Kernel.Kind.ELEMENTWISE && k.kind() != Kernel.Kind.MATMUL) {
      return FusionDecision.no("its consumer is a " + k.kind().name().toLowerCase(Locale.ROOT) + " kernel (" + name(k.root().op()) + ")");
    }
    FusionDecision members = consumedByElementwiseMembers(consumers, k);
    if (!members.fused()) return members;
    if (!producer.shape().equals(k.root().shape())) {
      return FusionDecision.no("its shape " + producer.shape() + " differs from the kernel's " + k.root().shape()
          + " (it would be recomputed per element)");
    }
    if (k.size() + 1 > maxNodes) return FusionDecision.no("the kernel has reached its budget of " + maxNodes + " nodes");
    if (k.estimatedBytecode() + estimatedBytecode(producer) > maxEstimatedBytecode) {
      return FusionDecision.no("the kernel would exceed its estimated bytecode budget of " + maxEstimatedBytecode + " bytes");
    }
    if (k.vectorCalls() + vectorCalls(producer) > maxVectorCalls) {
      return FusionDecision.no("the kernel's vector loop would exceed its budget of " + maxVectorCalls + " Vector API calls");
    }
    if (k.operandCountWith(producer) > maxOperands) {
      return FusionDecision.no("the kernel would read more than " + maxOperands + " arrays");
    }
    return FusionDecision.yes();
  }

  /** Whether {@code matmul} can head the kernel of its consumers, which becomes its epilogue. */
  public FusionDecision canTakeEpilogue(Node matmul, boolean isRoot, List<Node> consumers, List<Kernel.Draft> consumerKernels) {
    if (isRoot) return FusionDecision.no("the matmul is a result or gradient of the entry, so it is stored");
    if (maxNodes <= 1) return FusionDecision.no("fusion is disabled");
    FusionDecision common = sameKernel(consumers, consumerKernels);
    if (!common.fused()) return common;
    Kernel.Draft k = consumerKernels.get(0);
    if (k.kind() != Kernel.Kind.ELEMENTWISE) {
      return FusionDecision.no("its consumer is a " + k.kind().name().toLowerCase(Locale.ROOT) + " kernel, not an elementwise epilogue");
    }
    FusionDecision members = consumedByElementwiseMembers(consumers, k);
    if (!members.fused()) return members;
    if (!matmul.shape().equals(k.root().shape())) {
      return FusionDecision.no("the epilogue's shape " + k.root().shape() + " differs from the matmul's " + matmul.shape());
    }
    return FusionDecision.yes();
  }

  private static FusionDecision sameKernel(List<Node> consumers, List<Kernel.Draft> kernels) {
    Kernel.Draft first = kernels.get(0);
    for (Kernel.Draft k : kernels) {
      if (k != first) {
        return FusionDecision.no("the producer has " + consumers.size() + " consumers in different kernels");
      }
    }
    return FusionDecision.yes();
  }

  private static FusionDecision consumedByElementwiseMembers(List<Node> consumers, Kernel.Draft k) {
    for (Node c : consumers) {
      if (!isElementwise(c.op())) {
        return FusionDecision.no("it is read by " + name(c.op()) + " %" + c.id() + ", which needs it in a buffer");
      }
    }
    return FusionDecision.yes();
  }

  /** A rough bytecode size of computing one node inside a loop body, for the budget. */
  static int estimatedBytecode(Node n) {
    int operands = 10 * n.inputs().size(); // an array load with its index arithmetic, or a local
    return switch (n.op()) {
      case EXP, LOG, TANH, SQRT, POW -> 12 + operands;
      case SIGMOID, CLIP, INSIDE, GREATER, EQUAL -> 20 + operands;
      default -> 6 + operands;
    };
  }

  /**
   * The {@code FloatVector} calls computing {@code n} takes in the vector variant's loop, as
   * {@code KernelEmitter} writes it: tanh is an exponential, a polynomial and a blend; sigmoid a
   * broadcast, a negation, an exponential, an add and a division; constants and broadcasts are
   * operands, not calls.
   */
  static int vectorCalls(Node n) {
    return switch (n.op()) {
      case TANH -> 20;
      case SIGMOID, SIGN, INSIDE -> 5;
      case GREATER, EQUAL -> 3;
      case CLIP -> 2;
      case CONSTANT, COUNT, BROADCAST_TO -> 0;
      default -> 1;
    };
  }

  static String name(Op op) {
    return op.name().toLowerCase(Locale.ROOT);
  }
}
