package dev.graft.processor.passes;

import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;

/**
 * Local algebraic rewrites that keep every value equal:
 *
 * <ul>
 *   <li>identities: {@code x + 0}, {@code 0 + x}, {@code x - 0}, {@code x * 1}, {@code 1 * x},
 *       {@code x / 1} become {@code x} (broadcast to the result's shape when the constant made it
 *       larger); {@code 0 - x} and {@code x * -1} become {@code -x}; {@code --x} becomes {@code x};
 *   <li>layout: reshape of a reshape, broadcast of a broadcast and transpose of a transpose
 *       collapse into one (an identity permutation disappears);
 *   <li>stability: {@code log(softmax(z))} becomes {@code logSoftmax(z)}; with {@code s =
 *       softmax(z)}, {@code s * (a / s)} becomes {@code a} and {@code s * (a / s - c)} becomes
 *       {@code a - s * c} (the vector-Jacobian product of log through softmax, as reverse mode
 *       builds it for the lecture's cost: the division by a probability that may underflow goes);
 *   <li>fused losses: {@code -reduceSum(labels * logSoftmax(z), lastAxis)} (also with the
 *       negation inside the sum, either operand order, or {@code log(softmax(z))}) becomes
 *       {@code softmaxCrossEntropy(z, labels)}, and with {@code oneHot(l)} labels
 *       {@code sparseSoftmaxCrossEntropy(z, l)}.
 * </ul>
 *
 * A replaced intermediate (the softmax of a loss) may still be used elsewhere, for example by an
 * output entry or a gradient; hash-consing keeps that one node shared, and the rewrite only
 * changes how this use is computed.
 */
public final class AlgebraicSimplification implements Pass {
  @Override
  public String name() {
    return "algebraic-simplification";
  }

  @Override
  public ModelGraph apply(ModelGraph model) {
    return Rewriter.rewrite(model, name(), AlgebraicSimplification::simplify);
  }

  static Node simplify(Graph g, Node n) {
    return switch (n.op()) {
      case ADD -> {
        if (isConstant(n.input(1), 0)) yield keep(g, n.input(0), n);
        if (isConstant(n.input(0), 0)) yield keep(g, n.input(1), n);
        yield n;
      }
      case SUB -> {
        if (isConstant(n.input(1), 0)) yield keep(g, n.input(0), n);
        if (isConstant(n.input(0), 0)) yield keep(g, g.neg(n.input(1)), n);
        yield n;
      }
      case MUL -> {
        if (isConstant(n.input(1), 1)) yield keep(g, n.input(0), n);
        if (isConstant(n.input(0), 1)) yield keep(g, n.input(1), n);
        if (isConstant(n.input(1), -1)) yield keep(g, g.neg(n.input(0)), n);
        if (isConstant(n.input(0), -1)) yield keep(g, g.neg(n.input(1)), n);
        Node cancelled = cancelSoftmaxDivision(g, n);
        yield cancelled != null ? cancelled : n;
      }
      case DIV -> isConstant(n.input(1), 1) ? keep(g, n.input(0), n) : n;
      case NEG -> {
        Node x = n.input(0);
        if (x.op() == Op.NEG) yield x.input(0);
        Node fused = crossEntropy(g, x, true);
        yield fused != null ? fused : n;
      }
      case REDUCE_SUM -> {
        Node fused = crossEntropy(g, n, false);
        yield fused != null ? fused : n;
      }
      case RESHAPE -> n.input(0).op() == Op.RESHAPE ? g.reshape(n.input(0).input(0), n.shape()) : n;
      case BROADCAST_TO -> n.input(0).op() == Op.BROADCAST_TO ? g.broadcastTo(n.input(0).input(0), n.shape()) : n;
      case TRANSPOSE -> transpose(g, n);
      case LOG -> n.input(0).op() == Op.SOFTMAX ? g.logSoftmax(n.input(0).input(0)) : n;
      default -> n;
    };
  }

  /** {@code x} standing in for {@code n}: broadcast when the identity's constant widened the shape. */
  private static Node keep(Graph g, Node x, Node n) {
    return g.broadcastTo(x, n.shape());
  }

  /** True for a CONSTANT whose every element is {@code value}. */
  static boolean isConstant(Node n, double value) {
    if (n.op() != Op.CONSTANT) return false;
    for (int i = 0; i < n.attrs().realCount(); i++) if (n.attrs().realAt(i) != value) return false;
    return true;
  }

  private static Node transpose(Graph g, Node n) {
    int rank = n.shape().rank();
    int[] outer = normalized(n.attrs().ints(), rank);
    Node x = n.input(0);
    int[] perm = outer;
    if (x.op() == Op.TRANSPOSE) {
      // Output axis i of the outer transpose is axis outer[i] of the inner, which is axis inner[outer[i]] of x.
      int[] inner = normalized(x.attrs().ints(), rank);
      perm = new int[rank];
      for (int i = 0; i < rank; i++) perm[i] = inner[outer[i]];
      x = x.input(0);
    }
    if (isIdentity(perm)) return x;
    return x == n.input(0) ? n : g.transpose(x, perm);
  }

  private static int[] normalized(int[] perm, int rank) {
    int[] p = new int[perm.length];
    for (int i = 0; i < perm.length; i++) p[i] = perm[i] < 0 ? perm[i] + rank : perm[i];
    return p;
  }

  private static boolean isIdentity(int[] perm) {
    for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
    return true;
  }

  /**
   * {@code s * (a / s)} to {@code a}, and {@code s * (a / s - c)} to {@code a - s * c}, for
   * {@code s} a softmax (positive, so the cancellation is exact in real arithmetic); else null.
   */
  private static Node cancelSoftmaxDivision(Graph g, Node product) {
    for (int i = 0; i < 2; i++) {
      Node s = product.input(i);
      Node other = product.input(1 - i);
      if (s.op() != Op.SOFTMAX) continue;
      if (other.op() == Op.DIV && other.input(1) == s) return keep(g, other.input(0), product);
      if (other.op() == Op.SUB && other.input(0).op() == Op.DIV && other.input(0).input(1) == s) {
        return keep(g, g.sub(other.input(0).input(0), g.mul(s, other.input(1))), product);
      }
    }
    return null;
  }

  // ---- cross-entropy

  /**
   * The fused loss for {@code sum = reduceSum(body, lastAxis)} where body is {@code labels *
   * logSoftmax(z)} (when {@code negated}: the caller saw a NEG around the sum) or {@code
   * -(labels * logSoftmax(z))} (when not), else null.
   */
  private static Node crossEntropy(Graph g, Node sum, boolean negated) {
    if (sum.op() != Op.REDUCE_SUM) return null;
    Node body = sum.input(0);
    int rank = body.shape().rank();
    if (rank == 0 || sum.attrs().intCount() != 1 || sum.attrs().intAt(0) != rank - 1) return null;
    if (!negated) {
      if (body.op() != Op.NEG) return null;
      body = body.input(0);
    }
    if (body.op() != Op.MUL) return null;
    Node fused = fuse(g, body.input(0), body.input(1), body.shape());
    if (fused == null) fused = fuse(g, body.input(1), body.input(0), body.shape());
    if (fused == null) return null;
    return sum.attrs().flag() ? g.reshape(fused, sum.shape()) : fused;
  }

  /**
   * The per-row loss of {@code labels * logProbabilities}, or null when it is not a cross-entropy.
   * The labels may broadcast up to the logits' shape ({@code productShape} equals it), never
   * the other way round.
   */
  private static Node fuse(Graph g, Node labels, Node logProbabilities, Shape productShape) {
    Node z;
    if (logProbabilities.op() == Op.LOG_SOFTMAX) {
      z = logProbabilities.input(0);
    } else if (logProbabilities.op() == Op.LOG && logProbabilities.input(0).op() == Op.SOFTMAX) {
      z = logProbabilities.input(0).input(0);
    } else {
      return null;
    }
    if (!productShape.equals(z.shape())) return null;
    if (labels.op() == Op.ONE_HOT && labels.shape().equals(z.shape())) {
      return g.sparseSoftmaxCrossEntropy(z, labels.input(0));
    }
    return g.softmaxCrossEntropy(z, g.broadcastTo(labels, z.shape()));
  }
}
