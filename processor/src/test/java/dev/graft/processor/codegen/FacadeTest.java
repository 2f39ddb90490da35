package dev.graft.processor.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizer;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import java.lang.reflect.Method;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The generated typed facade drives a runtime session: predictions, loss, training steps, variables. */
class FacadeTest {
  @Test
  void softmaxRegressionTrainsThroughTheFacade() throws Exception {
    Harness.Compiled c = Harness.compile(Models.softmaxRegression(), FusionPolicy.DEFAULT);
    Class<?> model = c.model().getClass();
    Object facade = model.getMethod("open", Device.class, Dims.class).invoke(null, Device.cpu(1), Dims.of("batch", 8));
    Class<?> f = facade.getClass();
    try (AutoCloseable closing = (AutoCloseable) facade) {
      f.getMethod("initialize", long.class).invoke(facade, 7L);
      Random r = new Random(3);
      float[] xs = new float[8 * 4];
      float[] ys = new float[8 * 3];
      for (int i = 0; i < 8; i++) {
        int label = r.nextInt(3);
        for (int j = 0; j < 4; j++) xs[i * 4 + j] = (float) r.nextGaussian() + (j == label ? 2 : 0);
        ys[i * 3 + label] = 1;
      }
      NDArray x = NDArray.of(xs, 8, 4);
      NDArray y = NDArray.of(ys, 8, 3);
      NDArray p = (NDArray) f.getMethod("predictions", NDArray.class).invoke(facade, x);
      assertArrayEquals(new int[] {8, 3}, p.shape());
      float before = (float) f.getMethod("cost", NDArray.class, NDArray.class).invoke(facade, x, y);
      Object trainer = f.getMethod("costTrainer", Optimizer.class).invoke(facade, Optimizers.sgd(0.5f));
      Method step = trainer.getClass().getMethod("step", NDArray.class, NDArray.class);
      for (int i = 0; i < 50; i++) step.invoke(trainer, x, y);
      float after = (float) f.getMethod("cost", NDArray.class, NDArray.class).invoke(facade, x, y);
      assertTrue(after < before / 2, "loss went from " + before + " to " + after);
      NDArray w = (NDArray) f.getMethod("w").invoke(facade);
      assertArrayEquals(new int[] {4, 3}, w.shape());
      Session s = (Session) f.getMethod("session").invoke(facade);
      assertEquals("SoftmaxRegression", s.spec().name());
    }
  }
}
