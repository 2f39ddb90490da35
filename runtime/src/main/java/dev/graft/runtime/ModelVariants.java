package dev.graft.runtime;

import dev.graft.runtime.kernel.KernelProvider;
import dev.graft.runtime.kernel.Kernels;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Picks which generated variant of a compiled model a session runs. The processor may generate,
 * nested in {@code GraftFoo}, the class {@code GraftFoo.Vector} (binary name {@code
 * GraftFoo$Vector}) whose fused elementwise kernels use the Vector API. It is loaded here by
 * name, and only when {@link KernelProvider} chose the Vector API kernel library (so the module
 * is readable, C2 is on and {@code -Dgraft.simd=false} is not set); otherwise, and when there is
 * no such class (the model was compiled without {@code --add-modules jdk.incubator.vector}), the
 * scalar class runs. Nothing else refers to the nested class, so the scalar path never loads a
 * Vector API class. One log line per generated class says which variant is in use.
 */
final class ModelVariants {
  /** What the processor appends to the binary name of the scalar class. */
  static final String VECTOR_SUFFIX = "$Vector";

  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  private ModelVariants() {}

  /** The variant of {@code model} to run on {@code kernels}. */
  static CompiledModel select(CompiledModel model, Kernels kernels) {
    return select(model, KernelProvider.SIMD_CLASS.equals(kernels.getClass().getName()));
  }

  static CompiledModel select(CompiledModel model, boolean vectorKernels) {
    String name = model.getClass().getName();
    if (!vectorKernels) {
      log(name, "Graft model " + name + ": generated scalar variant (the Vector API kernel library is not in use)");
      return model;
    }
    String variantName = name + VECTOR_SUFFIX;
    try {
      Class<?> variant = Class.forName(variantName, true, model.getClass().getClassLoader());
      CompiledModel vector = (CompiledModel) variant.getConstructor().newInstance();
      log(name, "Graft model " + name + ": generated Vector API variant (" + variantName + ")");
      return vector;
    } catch (ClassNotFoundException e) {
      log(name, "Graft model " + name + ": generated scalar variant (no Vector API variant was generated; compile with"
          + " --add-modules jdk.incubator.vector in the compiler arguments to get one)");
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      log(name, "Graft model " + name + ": generated scalar variant (could not load " + variantName + ": " + e + ")");
    }
    return model;
  }

  private static void log(String modelClass, String message) {
    if (!LOGGED.add(modelClass)) {
      return;
    }
    try {
      System.getLogger(ModelVariants.class.getName()).log(System.Logger.Level.INFO, message);
    } catch (Throwable t) {
      // No System.Logger (Android): stay quiet rather than fail.
    }
  }
}
