package dev.graft.processor.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.processor.ir.ModelGraph;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated source of small models, compared exactly with files under
 * {@code src/test/resources/golden}. After an intended change, regenerate them with
 * {@code -Dgraft.updateGolden=true} and review the diff.
 */
class GoldenTest {
  static Stream<Arguments> models() {
    return Stream.of(Arguments.of(Models.softmaxRegression()), Arguments.of(Models.elementwise()),
        Arguments.of(DifferentialTest.mlp()));
  }

  @ParameterizedTest
  @MethodSource("models")
  void generatedSourceMatchesGolden(ModelGraph model) throws IOException {
    GeneratedSource src = CodeGenerator.generate(model);
    String file = src.simpleName() + ".java.txt";
    if (Boolean.getBoolean("graft.updateGolden")) {
      Path dir = Path.of("src/test/resources/golden");
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(file), src.source(), StandardCharsets.UTF_8);
      return;
    }
    try (InputStream in = GoldenTest.class.getResourceAsStream("/golden/" + file)) {
      assertTrue(in != null, "no golden file " + file + "; run with -Dgraft.updateGolden=true");
      String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(expected, src.source(), "generated source of " + model.modelName() + " differs from golden/" + file);
    }
  }
}
