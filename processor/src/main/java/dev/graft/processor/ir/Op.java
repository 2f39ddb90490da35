package dev.graft.processor.ir;

/**
 * Every operation of the IR. The javadoc of each says its inputs and the {@link Attrs} it uses;
 * {@link Graph} holds the shape and dtype rules. Elementwise ops broadcast NumPy-style.
 */
public enum Op {
  // ---- leaves
  /** A fed placeholder. attrs: name, ints = {parameter index}. */
  INPUT(Kind.LEAF),
  /** A model variable. attrs: name, ints = {variable index}. */
  VARIABLE(Kind.LEAF),
  /** A float32 constant of the node's (fixed) shape. attrs: reals = values, row-major. */
  CONSTANT(Kind.LEAF),
  /**
   * A float32 scalar: the number of elements of attrs.target, whose symbols are bound at run
   * time (the divisor of a mean over a symbolic axis).
   */
  COUNT(Kind.LEAF),

  // ---- elementwise, one float input
  NEG(Kind.UNARY),
  SQUARE(Kind.UNARY),
  SQRT(Kind.UNARY),
  EXP(Kind.UNARY),
  LOG(Kind.UNARY),
  TANH(Kind.UNARY),
  SIGMOID(Kind.UNARY),
  RELU(Kind.UNARY),
  ABS(Kind.UNARY),
  /** -1, 0 or 1 (gradient of abs). */
  SIGN(Kind.UNARY),
  /** x raised to a constant. attrs: reals = {exponent}. */
  POW(Kind.UNARY),
  /** Clamp to [lo, hi]. attrs: reals = {lo, hi}. */
  CLIP(Kind.UNARY),
  /** 1 where lo &lt; x &lt; hi, else 0 (gradient mask of clip). attrs: reals = {lo, hi}. */
  INSIDE(Kind.UNARY),

  // ---- elementwise, two float inputs, broadcasting
  ADD(Kind.BINARY),
  SUB(Kind.BINARY),
  MUL(Kind.BINARY),
  DIV(Kind.BINARY),
  MINIMUM(Kind.BINARY),
  MAXIMUM(Kind.BINARY),
  /** 1 where a &gt; b, else 0. */
  GREATER(Kind.BINARY),
  /** 1 where a == b, else 0. */
  EQUAL(Kind.BINARY),

  // ---- layout
  /** Broadcast to the node's shape (attrs: target). */
  BROADCAST_TO(Kind.LAYOUT),
  /** Same elements in a new shape (attrs: target). */
  RESHAPE(Kind.LAYOUT),
  /** Permute axes. attrs: ints = permutation (output axis i is input axis perm[i]). */
  TRANSPOSE(Kind.LAYOUT),
  /** Join inputs along an axis. attrs: ints = {axis}. */
  CONCAT(Kind.LAYOUT),
  /** Part of one axis: [offset, offset + node dim). attrs: ints = {axis}, dim = offset, target = the result shape. */
  SLICE(Kind.LAYOUT),
  /** Gradient of SLICE: the input placed at offset along axis in zeros of the target shape. attrs: ints = {axis}, dim = offset, target. */
  PAD(Kind.LAYOUT),

  // ---- linear algebra
  /**
   * Matrix product of the last two axes: a [..., m, k] (or [..., k, m] when transposed) times b
   * [..., k, n] (or [..., n, k]); leading batch axes equal, or b rank 2 and shared. attrs: ints
   * = {transposeA ? 1 : 0, transposeB ? 1 : 0}.
   */
  MATMUL(Kind.MATMUL),

  // ---- reductions. attrs: ints = sorted distinct axes, flag = keepDims
  REDUCE_SUM(Kind.REDUCTION),
  REDUCE_MEAN(Kind.REDUCTION),
  REDUCE_MAX(Kind.REDUCTION),

  // ---- neural-network ops, over the last axis
  SOFTMAX(Kind.ROWWISE),
  LOG_SOFTMAX(Kind.ROWWISE),
  /** Inputs logits [..., c], dense labels [..., c]; result [...]. */
  SOFTMAX_CROSS_ENTROPY(Kind.ROWWISE),
  /**
   * The gradient of SOFTMAX_CROSS_ENTROPY with respect to its logits, in one kernel: inputs logits
   * [..., c], dense labels [..., c] and the loss's cotangent [...]; result [..., c]. Only
   * autodiff builds it.
   */
  SOFTMAX_CROSS_ENTROPY_GRAD(Kind.ROWWISE),
  /** Inputs logits [..., c], int labels [...]; result [...]. */
  SPARSE_SOFTMAX_CROSS_ENTROPY(Kind.ROWWISE),
  /**
   * The gradient of SPARSE_SOFTMAX_CROSS_ENTROPY with respect to its logits, in one kernel: inputs
   * logits [..., c], int labels [...], the loss's cotangent [...] and the loss itself [...], whose
   * sum with the label's logit is the row's log-sum-exp, so that the kernel reads the logits once;
   * result [..., c]. Only autodiff builds it.
   */
  SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD(Kind.ROWWISE),

  // ---- indexing
  /** Rows of table (input 0, float [n, ...]) at int indices (input 1, any shape): indices.shape + table.shape[1:]. */
  GATHER(Kind.INDEXING),
  /** Gradient of GATHER: zeros of the target shape, plus updates (input 1) added at the rows named by indices (input 0). attrs: target. */
  SCATTER_ADD(Kind.INDEXING),
  /** Float one-hot of int indices: indices.shape + [depth]. attrs: dim = depth. */
  ONE_HOT(Kind.INDEXING),

  // ---- recurrence
  /**
   * A loop over the leading (time) axis, like JAX's {@code lax.scan}: inputs are the sequences
   * [time, ...] (at least one; equal leading dims), then the initial carries. attrs: body = the
   * step ({@link ScanBody}: parameters x_t..., carry..., results new carries, step outputs,
   * summed outputs), ints = {output index}, flag = reverse (t runs from last to first; a step
   * output computed at t is still stored at t). A SCAN is multi-valued, so each value it offers
   * is its own node with the same inputs and body and another output index (see
   * {@link ScanBody#outputKind}); they are computed by one loop.
   */
  SCAN(Kind.LOOP);

  /** Broad classes of ops that later phases treat alike. */
  public enum Kind { LEAF, UNARY, BINARY, LAYOUT, MATMUL, REDUCTION, ROWWISE, INDEXING, LOOP }

  private final Kind kind;

  Op(Kind kind) {
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Unary and binary ops: computed element by element, so they can fuse into one loop. */
  public boolean isElementwise() {
    return kind == Kind.UNARY || kind == Kind.BINARY;
  }
}
