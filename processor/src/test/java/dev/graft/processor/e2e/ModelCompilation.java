package dev.graft.processor.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.util.TaskEvent;
import com.sun.source.util.TaskListener;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import dev.graft.dsl.Ops;
import dev.graft.dsl.Tensor;
import dev.graft.processor.GraftProcessor;
import dev.graft.processor.testing.InMemoryCompiler;
import dev.graft.runtime.CompiledModel;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;

/**
 * Model sources compiled in memory by javac with the real {@link GraftProcessor}, as a user's
 * build would, and the DSL methods they call as javac resolved them (for the coverage check).
 */
final class ModelCompilation {
  final InMemoryCompiler.Result result;
  /** Every {@code Ops} and {@code Tensor} method called in the sources, as {@link #signature}. */
  final Set<String> calledDslMethods;

  private ModelCompilation(InMemoryCompiler.Result result, Set<String> calledDslMethods) {
    this.result = result;
    this.calledDslMethods = calledDslMethods;
  }

  /** Compiles sources given as (qualified name → text). */
  static ModelCompilation compile(Map<String, String> sources) {
    return compile(InMemoryCompiler.create().withProcessors(new GraftProcessor()), sources);
  }

  /** Plain javac: the DSL calls are attributed even where Graft would report an error. */
  static ModelCompilation compileWithoutProcessor(Map<String, String> sources) {
    return compile(InMemoryCompiler.create(), sources);
  }

  private static ModelCompilation compile(InMemoryCompiler compiler, Map<String, String> sources) {
    Set<String> called = ConcurrentHashMap.newKeySet();
    InMemoryCompiler.Result r = compiler
        .withTask(task -> task.addTaskListener(new DslCalls(Trees.instance(task), called))).compile(sources);
    return new ModelCompilation(r, called);
  }

  /** Fails with javac's diagnostics unless everything compiled. */
  ModelCompilation requireSuccess() {
    if (!result.success()) fail("the models do not compile:\n" + result.describe());
    return this;
  }

  /** The errors reported in the source of {@code qualifiedName}. */
  String errorsIn(String qualifiedName) {
    String file = "/" + qualifiedName.replace('.', '/') + ".java";
    return result.errors().stream().filter(d -> d.getSource() != null && d.getSource().getName().endsWith(file))
        .map(d -> "line " + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT)).collect(Collectors.joining("\n"));
  }

  /** An instance of the class generated for model {@code p.Name}: {@code p.GraftName}. */
  CompiledModel instantiate(String modelQualifiedName) {
    int dot = modelQualifiedName.lastIndexOf('.');
    String generated = modelQualifiedName.substring(0, dot + 1) + "Graft" + modelQualifiedName.substring(dot + 1);
    try {
      return (CompiledModel) result.classLoader().loadClass(generated).getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot load " + generated + "; diagnostics:\n" + result.describe(), e);
    }
  }

  String generatedSource(String generatedQualifiedName) {
    String s = result.generatedSources().get(generatedQualifiedName);
    if (s == null) fail("no generated source " + generatedQualifiedName + "; generated: " + result.generatedSources().keySet());
    return s;
  }

  /** {@code Ops.add(Tensor,float)}: declaring class, name and erased simple parameter types. */
  static String signature(Method m) {
    return m.getDeclaringClass().getSimpleName() + "." + m.getName() + "("
        + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(",")) + ")";
  }

  /** The public DSL methods: the static ones of {@code Ops} and the fluent ones of {@code Tensor}. */
  static Set<String> publicDslMethods() {
    Set<String> all = new TreeSet<>();
    for (Class<?> c : List.of(Ops.class, Tensor.class)) {
      for (Method m : c.getDeclaredMethods()) {
        if (java.lang.reflect.Modifier.isPublic(m.getModifiers())) all.add(signature(m));
      }
    }
    return all;
  }

  /** Collects, after attribution, the DSL methods each method invocation resolved to. */
  private static final class DslCalls implements TaskListener {
    private final Trees trees;
    private final Set<String> called;

    DslCalls(Trees trees, Set<String> called) {
      this.trees = trees;
      this.called = called;
    }

    @Override
    public void finished(TaskEvent e) {
      if (e.getKind() != TaskEvent.Kind.ANALYZE) return;
      CompilationUnitTree unit = e.getCompilationUnit();
      new TreePathScanner<Void, Void>() {
        @Override
        public Void visitMethodInvocation(MethodInvocationTree tree, Void unused) {
          Element m = trees.getElement(getCurrentPath());
          if (m instanceof ExecutableElement method && method.getEnclosingElement() instanceof TypeElement owner) {
            String ownerName = owner.getQualifiedName().toString();
            if (ownerName.equals(Ops.class.getName()) || ownerName.equals(Tensor.class.getName())) {
              called.add(owner.getSimpleName() + "." + method.getSimpleName() + "(" + method.getParameters().stream()
                  .map(p -> simpleTypeName(p.asType().toString())).collect(Collectors.joining(",")) + ")");
            }
          }
          return super.visitMethodInvocation(tree, unused);
        }
      }.scan(unit, null);
    }

    /** {@code dev.graft.dsl.Tensor} → {@code Tensor}; {@code float...} → {@code float[]}. */
    private static String simpleTypeName(String type) {
      String t = type.replace("...", "[]");
      return t.substring(t.lastIndexOf('.') + 1);
    }
  }
}
