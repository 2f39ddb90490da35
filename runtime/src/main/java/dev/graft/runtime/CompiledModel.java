package dev.graft.runtime;

/**
 * What the Graft annotation processor generates for a {@code @Model} class {@code Foo}: the
 * class {@code GraftFoo} in the same package implements this interface and has a public no-arg
 * constructor, so that {@link Session#open} finds it by that naming rule.
 *
 * <p>When the model was compiled with {@code jdk.incubator.vector} visible, {@code GraftFoo} also
 * holds the public nested class {@code GraftFoo.Vector}, a second implementation whose fused
 * elementwise kernels use the Vector API. A session runs it instead of {@code GraftFoo} only when
 * the kernel library in use is the Vector API one; it is loaded by name, never referenced.
 */
public interface CompiledModel {
  /** The model's symbols, variables and entry points, as declared. */
  ModelSpec spec();

  /**
   * A new executor with its own workspace. An executor is not thread-safe: one per session (as
   * with tfcompile's one instance per thread).
   */
  ModelExecutor newExecutor(dev.graft.runtime.kernel.Kernels kernels);
}
