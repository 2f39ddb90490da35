package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.processor.GraftProcessor;
import dev.graft.processor.codegen.CodeGenerator;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.testing.InMemoryCompiler;
import java.util.Locale;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import org.junit.jupiter.api.Test;

/** What the processor does around the front end: back-end failures, writing, missing trees. */
class ProcessorShellTest {
  private static final String VALID = """
      @Model abstract class Net { // <-
        @Variable(shape = "4, 3") Tensor w;
        @Output Tensor out(@Input(shape = "batch, 4") Tensor x) {
          return softmax(
              x.matmul(w)); // <-
        }
      }
      """;

  @Test
  void anUnexpectedExceptionIsAnInternalErrorOnTheModel() {
    var d = Diagnosed.compile(new GraftProcessor(m -> {
      throw new IllegalStateException("boom");
    }), VALID);
    var error = d.expectOne("GraftInternalError");
    String message = error.getMessage(Locale.ROOT);
    assertTrue(message.contains("IllegalStateException") && message.contains("boom"), message);
  }

  @Test
  void aGraftExceptionFromALaterPhaseIsReportedAtItsExpression() {
    var d = Diagnosed.compile(new GraftProcessor(m -> {
      throw new GraftException(Message.SHAPE_MISMATCH, m.entries().get(0).result().inputs().get(0).position(), "late");
    }), VALID);
    var errors = d.graftErrors();
    assertEquals(1, errors.size(), d.result.describe());
    d.expectAt(errors.get(0), "GraftShapeMismatch", d.markedLine(2));
  }

  @Test
  void writesTheGeneratedSourceOfACleanModel() {
    var d = Diagnosed.compile(new GraftProcessor(m -> new GeneratedSource(m.packageName(), m.generatedName(),
        "package demo;\n\nfinal class " + m.generatedName() + " {}\n")), VALID);
    assertTrue(d.result.success(), d.result.describe());
    assertTrue(d.result.generatedSources().containsKey("demo.GraftNet"), d.result.generatedSources().keySet()::toString);
    assertTrue(d.result.classFiles().containsKey("demo.GraftNet"));
  }

  @Test
  void theVectorVariantIsGeneratedOnlyWhenJavacSeesTheVectorModule() {
    assertEquals(false, hasVectorVariant());
    assertEquals(true, hasVectorVariant("--add-modules", "jdk.incubator.vector"));
    assertEquals(false, hasVectorVariant("--add-modules", "jdk.incubator.vector", "-A" + GraftProcessor.SIMD_OPTION + "=false"));
  }

  /** Compiles the valid model with the real processor and {@code options}; fails unless it compiles cleanly. */
  private static boolean hasVectorVariant(String... options) {
    var r = InMemoryCompiler.create().withProcessors(new GraftProcessor()).withOptions(options)
        .compile("demo.Net", Diagnosed.HEADER + VALID);
    assertTrue(r.success() && r.errors().isEmpty(), r.describe());
    assertTrue(r.classFiles().containsKey("demo.GraftNet"), r.classFiles().keySet()::toString);
    return r.classFiles().containsKey("demo.GraftNet$" + CodeGenerator.VECTOR_CLASS);
  }

  @Test
  void withoutSourceTreesEachModelGetsOneError() {
    GraftProcessor graft = new GraftProcessor();
    // Hands the processor an environment that is neither javac's nor a wrapper it can undo.
    var hiding = new AbstractProcessor() {
      @Override
      public Set<String> getSupportedAnnotationTypes() {
        return graft.getSupportedAnnotationTypes();
      }

      @Override
      public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
      }

      @Override
      public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        graft.init(new Environments.Opaque(env));
      }

      @Override
      public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        return graft.process(annotations, round);
      }
    };
    var d = Diagnosed.compile(hiding, VALID + """
        @Model abstract class Other { // <-
          @Output Tensor out(@Input(shape = "4") Tensor x) {
            return x;
          }
        }
        """);
    var errors = d.graftErrors();
    assertEquals(2, errors.size(), d.result.describe());
    d.expectAt(errors.get(0), "GraftNoSourceTrees", d.markedLine(1));
    d.expectAt(errors.get(1), "GraftNoSourceTrees", d.markedLine(3));
  }
}
