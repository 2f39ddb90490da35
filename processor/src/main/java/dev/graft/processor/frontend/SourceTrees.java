package dev.graft.processor.frontend;

import com.sun.source.util.Trees;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Optional;
import javax.annotation.processing.ProcessingEnvironment;

/**
 * Finds javac's {@link Trees} behind a processing environment. Build tools hand processors a
 * wrapper rather than javac's own environment, and {@link Trees#instance} rejects wrappers:
 * Gradle's incremental processing wraps it in a class that keeps it in a field named
 * {@code delegate}; IntelliJ's build wraps it in a {@link Proxy} and offers
 * {@code org.jetbrains.jps.javac.APIWrappers.unwrap}. Both are undone here reflectively, as
 * Lombok and others do, because neither tool publishes an API for it.
 */
public final class SourceTrees {
  private static final int MAX_WRAPPERS = 8;

  private SourceTrees() {}

  /** javac's trees for {@code env}, or empty when no layer of wrapping leads to javac. */
  public static Optional<Trees> obtain(ProcessingEnvironment env) {
    ProcessingEnvironment current = env;
    for (int i = 0; i < MAX_WRAPPERS && current != null; i++) {
      try {
        return Optional.of(Trees.instance(current));
      } catch (RuntimeException notJavac) {
        current = unwrap(current);
      }
    }
    return Optional.empty();
  }

  /** The environment one wrapper down, or null when {@code env} is not a wrapper we know. */
  static ProcessingEnvironment unwrap(ProcessingEnvironment env) {
    ProcessingEnvironment inner = viaIntelliJ(env);
    if (inner == null && Proxy.isProxyClass(env.getClass())) {
      InvocationHandler handler = Proxy.getInvocationHandler(env);
      inner = fieldHolding(handler, null);
    }
    if (inner == null) inner = fieldHolding(env, "delegate");
    return inner == env ? null : inner;
  }

  private static ProcessingEnvironment viaIntelliJ(ProcessingEnvironment env) {
    try {
      Class<?> wrappers = Class.forName("org.jetbrains.jps.javac.APIWrappers", false, env.getClass().getClassLoader());
      Method unwrap = wrappers.getMethod("unwrap", Class.class, Object.class);
      Object inner = unwrap.invoke(null, ProcessingEnvironment.class, env);
      return inner instanceof ProcessingEnvironment p ? p : null;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException absent) {
      return null;
    }
  }

  /**
   * The first field in {@code holder}'s class hierarchy whose value is a processing environment
   * (named {@code name} when it is not null).
   */
  private static ProcessingEnvironment fieldHolding(Object holder, String name) {
    for (Class<?> c = holder.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (name != null && !f.getName().equals(name)) continue;
        if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
        try {
          f.setAccessible(true);
          if (f.get(holder) instanceof ProcessingEnvironment p) return p;
        } catch (ReflectiveOperationException | RuntimeException inaccessible) {
          // a field of a module we cannot open: try the next one
        }
      }
    }
    return null;
  }
}
