package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.Device;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.ModelSpec;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Models that extend a base class from another file: the base's variables, entries and helpers
 * become each model's, its entry dispatches to each model's own {@code forward}, a model's
 * helper overrides the base's (and calls it through {@code super}), and the base's variables
 * come first in the spec.
 */
class InheritanceEndToEndTest {
  private static final String BASE = """
      package e2e.inherit;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      /** Not a model itself: its members become part of each model that extends it. */
      abstract class Base {
        static final float SHIFT = 1.5f;

        @Variable(shape = "2", init = Init.CONSTANT, value = SHIFT) Tensor bias;
        @Variable(shape = "2", init = Init.CONSTANT, value = 2f) Tensor scale;

        @Output Tensor out(@Input(shape = "batch, 2") Tensor x) {
          Tensor[] f = forward(scaled(x));
          return f[0].add(f[1]).add(bias);
        }

        @Loss Tensor loss(@Input(shape = "batch, 2") Tensor x) {
          return reduceSum(this.out(x));
        }

        abstract Tensor[] forward(Tensor x);

        Tensor scaled(Tensor x) {
          return x.mul(scale);
        }
      }
      """;

  private static final String AFFINE = """
      package e2e.inherit;

      import static dev.graft.dsl.Ops.*;

      import dev.graft.dsl.*;

      @Model
      abstract class Affine extends Base {
        @Variable(shape = "2, 2", init = Init.CONSTANT, value = 0.5f) Tensor kernel;

        @Override
        Tensor[] forward(Tensor x) {
          return new Tensor[] {matmul(x, kernel), x};
        }
      }
      """;

  /** Through a base of its own in the same file; overrides the concrete helper scaled. */
  private static final String SQUARES = """
      package e2e.inherit;

      import dev.graft.dsl.*;

      abstract class Middle extends Base {
        @Variable(shape = "2", init = Init.CONSTANT, value = 3f) Tensor offset;
      }

      @Model
      abstract class Squares extends Middle {
        @Override
        Tensor[] forward(Tensor x) {
          return new Tensor[] {x.mul(x), offset};
        }

        @Override
        Tensor scaled(Tensor x) {
          return super.scaled(x).sub(Base.SHIFT - 0.5f);
        }
      }
      """;

  private static ModelCompilation compiled;

  @BeforeAll
  static void compile() {
    compiled = ModelCompilation.compile(Map.of("e2e.inherit.Base", BASE, "e2e.inherit.Affine", AFFINE,
        "e2e.inherit.Squares", SQUARES)).requireSuccess();
  }

  private static Session open(String model) throws ClassNotFoundException {
    return Session.open(compiled.result.classLoader().loadClass("e2e.inherit." + model), Device.cpu(1));
  }

  private static final NDArray X = NDArray.of(new float[] {1, 2, -1, 0.5f}, 2, 2);

  @Test
  void generatedPerModelOnly() {
    var generated = compiled.result.generatedSources().keySet();
    assertTrue(generated.contains("e2e.inherit.GraftAffine") && generated.contains("e2e.inherit.GraftSquares"),
        generated::toString);
    assertTrue(generated.stream().noneMatch(g -> g.endsWith("GraftBase") || g.endsWith("GraftMiddle")), generated::toString);
  }

  @Test
  void theBaseEntryDispatchesToEachModelsForward() throws Exception {
    try (Session s = open("Affine")) {
      s.initialize(1);
      // s = 2x = [[2, 4], [-2, 1]]; s·kernel (0.5 everywhere) = [[3, 3], [-0.5, -0.5]]; + s + 1.5
      assertArrayEquals(new float[] {6.5f, 8.5f, -1f, 2f}, s.run("out", Feeds.of("x", X)).toFloatArray(), 1e-6f);
      s.trainer("loss", Optimizers.sgd(1)).step(Feeds.of("x", X));
      // d loss / d kernel[k][j] = column k of s summed over rows: {0, 5}; d loss / d bias = batch = 2
      assertArrayEquals(new float[] {0.5f, 0.5f, -4.5f, -4.5f}, s.variable("kernel").toFloatArray(), 1e-6f);
      assertArrayEquals(new float[] {-0.5f, -0.5f}, s.variable("bias").toFloatArray(), 1e-6f);
    }
    try (Session s = open("Squares")) {
      s.initialize(1);
      // s = 2x - 1 = [[1, 3], [-3, 0]]; s² + offset 3 + bias 1.5
      assertArrayEquals(new float[] {5.5f, 13.5f, 13.5f, 4.5f}, s.run("out", Feeds.of("x", X)).toFloatArray(), 1e-6f);
    }
  }

  @Test
  void theSpecListsBaseVariablesFirst() throws Exception {
    try (Session s = open("Affine")) {
      assertEquals(List.of("bias", "scale", "kernel"), s.spec().variables().stream().map(ModelSpec.VariableSpec::name).toList());
      assertEquals(List.of("out", "loss"), s.spec().entries().stream().map(ModelSpec.EntrySpec::name).toList());
    }
    try (Session s = open("Squares")) {
      assertEquals(List.of("bias", "scale", "offset"), s.spec().variables().stream().map(ModelSpec.VariableSpec::name).toList());
    }
    String source = compiled.generatedSource("e2e.inherit.GraftAffine");
    int bias = source.indexOf("\"bias\"");
    int scale = source.indexOf("\"scale\"");
    int kernel = source.indexOf("\"kernel\"");
    assertTrue(bias >= 0 && bias < scale && scale < kernel, "variables in the generated spec: base first");
  }
}
