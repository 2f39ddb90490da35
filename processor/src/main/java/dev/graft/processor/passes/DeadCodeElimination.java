package dev.graft.processor.passes;

import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import java.util.List;

/**
 * Dead-code elimination. The graph is append-only and shared, so dead nodes are not deleted from
 * it: a node is dead exactly when no entry reaches it, and every later phase schedules only
 * {@link Reachability#of(ModelGraph.Entry)}. Nodes orphaned by the other passes (a softmax
 * replaced by a fused cross-entropy, a folded subexpression) thereby vanish from the output.
 *
 * <p>As a pass it therefore returns the model unchanged; it exists so that the pipeline names the
 * step and so that {@link #liveNodes} is the one definition of "live".
 */
public final class DeadCodeElimination implements Pass {
  @Override
  public String name() {
    return "dead-code-elimination";
  }

  @Override
  public ModelGraph apply(ModelGraph model) {
    return model;
  }

  /** The nodes some entry of the model computes, in id order. */
  public static List<Node> liveNodes(ModelGraph model) {
    return Reachability.of(model);
  }
}
