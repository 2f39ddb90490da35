package dev.graft.processor;

import com.google.auto.service.AutoService;
import com.sun.source.util.Trees;
import dev.graft.dsl.Model;
import dev.graft.processor.codegen.GeneratedSource;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.frontend.ModelReader;
import dev.graft.processor.frontend.SourceTrees;
import dev.graft.processor.frontend.TreeOrigin;
import dev.graft.processor.ir.ModelGraph;
import java.io.IOException;
import java.io.Writer;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;

/**
 * The annotation processor: a shell that hands each {@code @Model} class to the front end and
 * then to the {@link Compiler}, writes the generated class with the model as its only
 * originating element (Gradle isolating incremental processing), and turns every problem into
 * a tagged error at the model expression that caused it.
 *
 * <p>When the compilation can see {@code jdk.incubator.vector} (the build passes {@code
 * --add-modules jdk.incubator.vector} to javac), the generated class also holds its Vector API
 * variant; otherwise only the scalar class is generated, silently. {@code -A}{@value
 * #SIMD_OPTION}{@code =false} turns the variant off.
 */
@AutoService(Processor.class)
public final class GraftProcessor extends AbstractProcessor {
  /** The processor option that, set to {@code false}, keeps the Vector API variant out. */
  public static final String SIMD_OPTION = "graft.simd";
  private static final String VECTOR_TYPE = "jdk.incubator.vector.FloatVector";

  private final BiFunction<ModelGraph, Boolean, GeneratedSource> compiler;
  private Optional<Trees> trees = Optional.empty();
  private boolean vectorVariant;

  public GraftProcessor() {
    this.compiler = Compiler::compile;
  }

  /** A processor with another back end than {@link Compiler#compile}: for tests and tools. */
  public GraftProcessor(Function<ModelGraph, GeneratedSource> compiler) {
    this.compiler = (model, vector) -> compiler.apply(model);
  }

  @Override
  public Set<String> getSupportedOptions() {
    return Set.of(SIMD_OPTION);
  }

  @Override
  public Set<String> getSupportedAnnotationTypes() {
    return Set.of(Model.class.getCanonicalName());
  }

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  @Override
  public synchronized void init(ProcessingEnvironment env) {
    super.init(env);
    trees = SourceTrees.obtain(env);
    vectorVariant = !"false".equalsIgnoreCase(String.valueOf(env.getOptions().get(SIMD_OPTION)).trim())
        && vectorApiVisible(env);
  }

  /** Whether the code being compiled could use the Vector API: its module is in javac's module graph. */
  private static boolean vectorApiVisible(ProcessingEnvironment env) {
    try {
      return env.getElementUtils().getTypeElement(VECTOR_TYPE) != null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    for (Element element : round.getElementsAnnotatedWith(Model.class)) {
      if (element instanceof TypeElement model) process(model);
    }
    return false;
  }

  private void process(TypeElement model) {
    if (trees.isEmpty()) {
      processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, Message.NO_SOURCE_TREES.format(
          "Graft reads @Model method bodies from javac's source trees, but this build runs the processor in an"
              + " environment that does not expose them (" + processingEnv.getClass().getName() + "); compile with"
              + " javac, Maven or Gradle"), model);
      return;
    }
    try {
      ModelReader.Result read = ModelReader.read(trees.get(), model);
      if (!read.isClean()) {
        read.problems().forEach(p -> report(p, model));
        return;
      }
      write(compiler.apply(read.model(), vectorVariant), model);
    } catch (GraftException e) {
      report(e, model);
    } catch (RuntimeException | LinkageError e) {
      processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, Message.INTERNAL_ERROR.format(
          "compiling " + model.getQualifiedName() + " failed with " + e.getClass().getName() + ": " + e.getMessage()
              + "; this is a bug in Graft, please report it with the model source"), model);
    }
  }

  private void write(GeneratedSource source, TypeElement model) {
    try {
      JavaFileObject file = processingEnv.getFiler().createSourceFile(source.qualifiedName(), model);
      try (Writer w = file.openWriter()) {
        w.write(source.source());
      }
    } catch (IOException e) {
      processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, Message.INTERNAL_ERROR.format(
          "could not write " + source.qualifiedName() + ": " + e.getMessage()), model);
    }
  }

  /** At the expression the problem names, else on the model class. */
  private void report(GraftException e, TypeElement model) {
    String text = e.kind().format(e.detail());
    if (e.position().origin() instanceof TreeOrigin o && trees.isPresent()) {
      trees.get().printMessage(Diagnostic.Kind.ERROR, text, o.tree(), o.unit());
    } else {
      processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, text, model);
    }
  }
}
