package dev.graft.processor.frontend;

import com.sun.source.util.Trees;
import dev.graft.dsl.Model;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;

/** Runs only the front end on every @Model and keeps what it read, by qualified name. */
final class ReadingProcessor extends AbstractProcessor {
  final Map<String, ModelReader.Result> results = new LinkedHashMap<>();
  private Trees trees;

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
    trees = SourceTrees.obtain(env).orElseThrow();
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    for (Element e : round.getElementsAnnotatedWith(Model.class)) {
      results.put(((TypeElement) e).getQualifiedName().toString(), ModelReader.read(trees, (TypeElement) e));
    }
    return false;
  }
}
