package dev.graft.processor.diagnostics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.sun.source.util.Trees;
import dev.graft.processor.frontend.SourceTrees;
import dev.graft.processor.testing.InMemoryCompiler;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Finding javac's trees behind the wrappers of Gradle and IntelliJ. */
class SourceTreesTest {
  private static ProcessingEnvironment javac;

  @BeforeAll
  static void captureJavacEnvironment() {
    var capture = new AbstractProcessor() {
      @Override
      public Set<String> getSupportedAnnotationTypes() {
        return Set.of("*");
      }

      @Override
      public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
      }

      @Override
      public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        javac = env;
      }

      @Override
      public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        return false;
      }
    };
    InMemoryCompiler.create().withProcessors(capture).compile("demo.A", "package demo; class A {}");
    assertNotNull(javac);
  }

  /** Like IntelliJ's wrapper: a proxy whose invocation handler holds the environment. */
  private record Handler(ProcessingEnvironment env) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      return method.invoke(env, args);
    }
  }

  @Test
  void javacsOwnEnvironment() {
    assertSame(Trees.instance(javac), SourceTrees.obtain(javac).orElseThrow());
  }

  @Test
  void behindGradlesDelegateField() {
    assertSame(Trees.instance(javac), SourceTrees.obtain(new Environments.GradleLike(javac)).orElseThrow());
  }

  @Test
  void behindAProxyAndThenADelegate() {
    ProcessingEnvironment proxy = (ProcessingEnvironment) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {ProcessingEnvironment.class}, new Handler(new Environments.GradleLike(javac)));
    assertSame(Trees.instance(javac), SourceTrees.obtain(proxy).orElseThrow());
  }

  @Test
  void noTreesBehindAnUnknownWrapper() {
    assertFalse(SourceTrees.obtain(new Environments.Opaque(javac)).isPresent());
  }
}
