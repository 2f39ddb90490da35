package dev.graft.runtime.kernel;

/**
 * The right operand of a matrix product prepared once for several products with it: a weight
 * read at every step of a generated loop. {@link Kernels#prepareB} fills it from B's current
 * values and {@link Kernels#gemm(boolean, int, float[], int, PreparedMatrix, float[], int, boolean)}
 * multiplies by it; what "prepared" means belongs to the kernel library that prepared it (the
 * Vector API library keeps B packed into its micro-kernel's panels; the scalar one keeps a
 * reference). It must be prepared again after B changes. Generated code keeps one per
 * loop-invariant operand and passes it back as {@code reuse}, so that preparing allocates
 * nothing once warm.
 */
public final class PreparedMatrix {
  private boolean transposed;
  private int n;
  private int k;
  private float[] source;
  private int sourceOffset;
  /** The preparing library's storage, grown as needed and reused. */
  public float[] data;
  /** The preparing library's row stride in {@link #data}. */
  public int stride;

  /** Records which B this is (stored as {@link Kernels#gemm} stores it) before it is prepared. */
  public PreparedMatrix of(boolean transposed, int n, int k, float[] source, int sourceOffset) {
    this.transposed = transposed;
    this.n = n;
    this.k = k;
    this.source = source;
    this.sourceOffset = sourceOffset;
    return this;
  }

  /** Whether B is stored [n, k] rather than [k, n]. */
  public boolean transposed() {
    return transposed;
  }

  /** Columns of op(B). */
  public int n() {
    return n;
  }

  /** Rows of op(B). */
  public int k() {
    return k;
  }

  /** The array B was prepared from (read again by paths that do not use the prepared form). */
  public float[] source() {
    return source;
  }

  public int sourceOffset() {
    return sourceOffset;
  }
}
