package dev.graft.processor.schedule;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import java.util.List;
import java.util.Map;

/**
 * The kernels of one entry point in one mode, in execution order.
 *
 * @param entry the entry point, or null for the step of a scan body (whose roots are its results)
 * @param withGradients whether the gradients are computed too (forward and backward in one pass)
 * @param roots the values the caller receives: the result, then (with gradients) one gradient
 *     per trainable variable
 * @param kernels the kernels in an order where each runs after the kernels of its operands
 * @param unfused for each elementwise or matmul node that got its own kernel although it had a
 *     consumer, why it was not fused into that consumer's kernel
 */
public record EntrySchedule(ModelGraph.Entry entry, boolean withGradients, List<Node> roots, List<Kernel> kernels,
    Map<Node, FusionDecision> unfused) {
  public EntrySchedule {
    roots = List.copyOf(roots);
    kernels = List.copyOf(kernels);
    unfused = Map.copyOf(unfused);
  }

  /** The kernel that stores {@code n}, or null for leaves and aliases. */
  public Kernel kernelOf(Node n) {
    for (Kernel k : kernels) if (k.outputs().contains(n)) return k;
    return null;
  }
}
