package dev.graft.runtime.kernel;

/**
 * Index maps for Vector API gathers over rows narrower than a vector, which generated vector code
 * runs as one flat loop across rows: a vector of L consecutive elements starting at column c of
 * a row of w elements holds, in lane j, column {@code remainders(w)[c + j]} of row {@code row +
 * quotients(w)[c + j]}. With c < w and j < L, indices stay below w + {@link #MAX_LANES}.
 *
 * <p>Plain arrays, so this class is in the runtime and the generated code needs nothing else;
 * built once, for every width below the widest vector, and never written after.
 */
public final class NarrowRows {
  private NarrowRows() {}

  /** Floats in the widest vector the JDK supports (2048-bit ARM SVE). */
  public static final int MAX_LANES = 64;

  private static final int[][] REMAINDERS = new int[MAX_LANES][];
  private static final int[][] QUOTIENTS = new int[MAX_LANES][];

  static {
    for (int w = 1; w < MAX_LANES; w++) {
      REMAINDERS[w] = new int[w + MAX_LANES];
      QUOTIENTS[w] = new int[w + MAX_LANES];
      for (int t = 0; t < w + MAX_LANES; t++) {
        REMAINDERS[w][t] = t % w;
        QUOTIENTS[w][t] = t / w;
      }
    }
  }

  /** {@code t % width} for t in [0, width + MAX_LANES); width in [1, MAX_LANES). */
  public static int[] remainders(int width) {
    return REMAINDERS[width];
  }

  /** {@code t / width} for t in [0, width + MAX_LANES); width in [1, MAX_LANES). */
  public static int[] quotients(int width) {
    return QUOTIENTS[width];
  }
}
