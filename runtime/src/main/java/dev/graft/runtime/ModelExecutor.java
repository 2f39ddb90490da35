package dev.graft.runtime;

/**
 * Runs the generated kernels of one model. The session validates every argument against the
 * {@link ModelSpec} before it calls {@link #run}, so generated code checks nothing itself.
 */
public interface ModelExecutor {
  /**
   * Runs entry point {@code entry} (its index in {@link ModelSpec#entries()}).
   *
   * @param dims the value of every dimension symbol, in {@link ModelSpec#symbols()} order; a
   *     symbol that neither the session nor this entry's inputs bind is -1 (the entry does not
   *     use it)
   * @param inputs one array per input of the entry, in declaration order: {@code float[]} for
   *     FLOAT32 and {@code int[]} for INT32, row-major, exactly as long as the input's shape
   * @param variables one array per variable, in {@link ModelSpec#variables()} order (read only)
   * @param output receives the result: a {@code float[]} (or {@code int[]}) as long as the
   *     output shape
   * @param gradients {@code null} to run forward only; for a LOSS entry, one array per
   *     <em>trainable</em> variable (in spec order, as long as the variable), overwritten with
   *     the gradient of the loss with respect to that variable; except that a gradient that
   *     {@link ModelSpec.EntrySpec#gradientRowIds()} declares row-sparse arrives all zero and
   *     the executor adds into the rows its ids name, leaving the others as they are
   */
  void run(int entry, int[] dims, Object[] inputs, float[][] variables, Object output, float[][] gradients);
}
