package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.Device;
import dev.graft.runtime.Dims;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Session;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Generated row work on a real pool: a product's epilogue ({@code tanh(x w + b)}, run by the
 * library on each block of finished rows) and elementwise kernels of two loop levels (a bias
 * broadcast over rows) and of one (a flat loop), at a batch large enough that the pool of two
 * splits them (128 × 1024 elements, above the 2¹⁶ threshold) and at one small enough that it
 * does not, against plain double-precision references.
 */
class RowWorkEndToEndTest {
  private static final String MODEL = """
      package e2e;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      @Model
      abstract class Wide {
        @Variable(shape = "64, 1024", init = Init.UNIFORM, min = -1, max = 1) Tensor w;
        @Variable(shape = "1024", init = Init.UNIFORM, min = -1, max = 1) Tensor b;

        @Output Tensor dense(@Input(shape = "batch, 64") Tensor x) {
          return tanh(matmul(x, w).add(b));
        }

        @Output Tensor gate(@Input(shape = "batch, 1024") Tensor u, @Input(shape = "batch, 1024") Tensor v) {
          return sigmoid(u).mul(tanh(v)).add(b);
        }

        @Output Tensor flat(@Input(shape = "batch, 1024") Tensor u, @Input(shape = "batch, 1024") Tensor v) {
          return u.mul(v).add(u);
        }
      }
      """;

  private static ModelCompilation compiled;

  @BeforeAll
  static void compile() {
    compiled = ModelCompilation.compile(Map.of("e2e.Wide", MODEL)).requireSuccess();
  }

  private static void assertClose(String what, Nd expected, NDArray actual) {
    assertArrayEquals(expected.shape, actual.shape(), what + ": shape");
    float[] a = actual.toFloatArray();
    for (int i = 0; i < a.length; i++) {
      double e = expected.data[i];
      assertTrue(Math.abs(e - a[i]) <= 1e-4 * Math.max(1, Math.abs(e)), what + " at " + i + ": expected " + e + " but was " + a[i]);
    }
  }

  @ParameterizedTest(name = "batch={0}")
  @ValueSource(ints = {128, 3})
  void rowWorkOnTwoThreadsMatchesTheReference(int batch) {
    Random r = new Random(batch);
    try (Session s = Session.open(compiled.instantiate("e2e.Wide"), Device.cpu(2), Dims.none())) {
      s.initialize(7);
      NDArray x = Nd.uniform(r, 2, batch, 64);
      NDArray u = Nd.uniform(r, 2, batch, 1024);
      NDArray v = Nd.uniform(r, 2, batch, 1024);
      Nd b = Nd.of(s.variable("b"));
      for (int round = 0; round < 3; round++) { // the executor's row work objects are reused
        assertClose("dense", Nd.of(x).matmul(Nd.of(s.variable("w"))).add(b).map(Math::tanh), s.run("dense", Feeds.of("x", x)));
        assertClose("gate", Nd.of(u).map(z -> 1 / (1 + Math.exp(-z))).mul(Nd.of(v).map(Math::tanh)).add(b),
            s.run("gate", Feeds.of("u", u, "v", v)));
        assertClose("flat", Nd.of(u).mul(Nd.of(v)).add(Nd.of(u)), s.run("flat", Feeds.of("u", u, "v", v)));
      }
    }
  }
}
