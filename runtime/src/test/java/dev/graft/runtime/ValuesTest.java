package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Device, Dims, Feeds and Optimizers argument checks. */
class ValuesTest {
  @Test
  void device() {
    assertEquals("cpu(2 threads)", Device.cpu(2).toString());
    assertEquals(Runtime.getRuntime().availableProcessors(), Device.cpu().threads());
    var e = assertThrows(IllegalArgumentException.class, () -> Device.cpu(0));
    assertEquals("a device needs at least 1 thread, got 0", e.getMessage());
  }

  @Test
  void dims() {
    Dims dims = Dims.of("vocab", 10000, "hidden", 200);
    assertEquals(10000, dims.get("vocab"));
    assertEquals(List.of("vocab", "hidden"), List.copyOf(dims.names()));
    assertEquals("{vocab=10000, hidden=200}", dims.toString());
    assertEquals(Set.of(), Dims.none().names());
    assertThrows(IllegalArgumentException.class, () -> Dims.of("a", 1, "a", 2));
    assertThrows(IllegalArgumentException.class, () -> Dims.of("a", 0));
    assertThrows(IllegalArgumentException.class, () -> dims.get("batch"));
  }

  @Test
  void feeds() {
    NDArray x = NDArray.zeros(2, 4);
    NDArray y = NDArray.zeros(2);
    Feeds feeds = Feeds.of("x", x, "y", y);
    assertEquals(x, feeds.get("x"));
    assertEquals("{x=[2, 4], y=[2]}", feeds.toString());
    assertEquals(feeds.names(), Feeds.builder().put("x", x).put("y", y).build().names());
    var e = assertThrows(IllegalArgumentException.class, () -> Feeds.of("x", x, "x", y));
    assertEquals("input 'x' is fed twice", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> feeds.get("z"));
    assertThrows(NullPointerException.class, () -> Feeds.of("x", null));
  }

  @Test
  void optimizersCheckTheirHyperparameters() {
    assertThrows(IllegalArgumentException.class, () -> Optimizers.sgd(0));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.sgd(Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.adam(0.1f, 1f, 0.999f, 1e-8f));
    assertThrows(IllegalArgumentException.class, () -> Optimizers.adam(0.1f, 0.9f, 0.999f, 0));
    assertEquals("sgd(learningRate=0.1)", Optimizers.sgd(0.1f).toString());
  }
}
