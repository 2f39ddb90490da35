package dev.graft.processor.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Same graph, byte-identical source: generating twice, and from two separately built equal graphs. */
class DeterminismTest {
  @Test
  void generatingTwiceGivesTheSameSource() {
    var model = DifferentialTest.mlp();
    assertEquals(CodeGenerator.generate(model).source(), CodeGenerator.generate(model).source());
  }

  @Test
  void equalGraphsBuiltSeparatelyGiveTheSameSource() {
    assertEquals(CodeGenerator.generate(Models.softmaxRegression()).source(), CodeGenerator.generate(Models.softmaxRegression()).source());
    assertEquals(CodeGenerator.generate(DifferentialTest.reductions()).source(), CodeGenerator.generate(DifferentialTest.reductions()).source());
    for (int seed = 0; seed < 5; seed++) {
      assertEquals(CodeGenerator.generate(RandomModels.build(seed)).source(), CodeGenerator.generate(RandomModels.build(seed)).source());
    }
  }
}
