package dev.graft.processor.passes;

import dev.graft.processor.ir.ModelGraph;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The optimization pipeline: the passes in a fixed order, repeated until a round changes no
 * entry (one pass's rewrite often enables another's: a fold exposes {@code x * 1}, a simplified
 * {@code log(softmax)} exposes a fused cross-entropy) or until {@link #MAX_ROUNDS}.
 *
 * <p>Since nodes are hash-consed, "no change" is simply: every entry root is the same node.
 */
public final class Passes {
  /** Enough for every chain of enabling rewrites seen in practice; each round is linear. */
  public static final int MAX_ROUNDS = 10;

  private Passes() {}

  /** The passes of one round, in order. */
  public static List<Pass> pipeline() {
    return List.of(new ConstantFolding(), new AlgebraicSimplification(), new CommonSubexpressionElimination(),
        new DeadCodeElimination());
  }

  public static ModelGraph optimize(ModelGraph model) {
    return optimize(model, (pass, result) -> {});
  }

  /** As {@link #optimize(ModelGraph)}, calling {@code afterEachPass} with every intermediate model (tests verify them). */
  public static ModelGraph optimize(ModelGraph model, BiConsumer<Pass, ModelGraph> afterEachPass) {
    ModelGraph current = model;
    for (int round = 0; round < MAX_ROUNDS; round++) {
      ModelGraph start = current;
      for (Pass pass : pipeline()) {
        current = pass.apply(current);
        afterEachPass.accept(pass, current);
      }
      if (sameRoots(start, current)) break;
    }
    return current;
  }

  private static boolean sameRoots(ModelGraph a, ModelGraph b) {
    if (a == b) return true;
    for (int i = 0; i < a.entries().size(); i++) {
      if (!a.entries().get(i).roots().equals(b.entries().get(i).roots())) return false;
    }
    return true;
  }
}
