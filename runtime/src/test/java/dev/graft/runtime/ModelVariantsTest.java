package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import org.junit.jupiter.api.Test;

class ModelVariantsTest {
  /** Shaped like a generated class with its nested Vector API variant. */
  public static final class WithVariant implements CompiledModel {
    @Override
    public ModelSpec spec() {
      return new GraftLinearModel().spec();
    }

    @Override
    public ModelExecutor newExecutor(Kernels kernels) {
      throw new UnsupportedOperationException();
    }

    public static final class Vector implements CompiledModel {
      @Override
      public ModelSpec spec() {
        return new GraftLinearModel().spec();
      }

      @Override
      public ModelExecutor newExecutor(Kernels kernels) {
        throw new UnsupportedOperationException();
      }
    }
  }

  @Test
  void theVectorVariantRunsOnlyWithVectorKernels() {
    CompiledModel model = new WithVariant();
    assertTrue(ModelVariants.select(model, true) instanceof WithVariant.Vector);
    assertSame(model, ModelVariants.select(model, false));
  }

  @Test
  void withoutAVariantTheScalarClassRuns() {
    CompiledModel model = new GraftLinearModel();
    assertSame(model, ModelVariants.select(model, true));
    try (ThreadPool pool = new ThreadPool(1)) {
      assertSame(model, ModelVariants.select(model, new ScalarKernels(pool)));
    }
  }
}
