package dev.graft.dsl;

/**
 * The model DSL's operations, for {@code import static dev.graft.dsl.Ops.*}. Each names its
 * TensorFlow counterpart. Axes may be negative (counted from the end). Nothing here computes:
 * the annotation processor compiles calls to these methods, and calling one at run time throws
 * {@link UnsupportedOperationException}.
 */
public final class Ops {
  private Ops() {}

  static UnsupportedOperationException notCompiled() {
    return new UnsupportedOperationException(
        "Graft DSL operations only describe a graph: annotate the class with @Model, compile it"
            + " with the Graft annotation processor and run it through dev.graft.runtime.Session");
  }

  // Constants: tf.constant
  /** A scalar constant. */
  public static Tensor constant(float value) { throw notCompiled(); }
  /** A 1-d constant: {@code constant(1.5f, 2, 1, 4.2f)}. */
  public static Tensor constant(float... values) { throw notCompiled(); }
  /** A constant of the given shape, values row-major: {@code constant("2, 2", 1, 2, 3, 4)}. */
  public static Tensor constant(String shape, float... values) { throw notCompiled(); }

  // Elementwise binary, broadcasting: tf.add, tf.subtract, tf.multiply, tf.divide, ...
  public static Tensor add(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor add(Tensor a, float b) { throw notCompiled(); }
  public static Tensor add(float a, Tensor b) { throw notCompiled(); }
  public static Tensor sub(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor sub(Tensor a, float b) { throw notCompiled(); }
  public static Tensor sub(float a, Tensor b) { throw notCompiled(); }
  public static Tensor mul(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor mul(Tensor a, float b) { throw notCompiled(); }
  public static Tensor mul(float a, Tensor b) { throw notCompiled(); }
  public static Tensor div(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor div(Tensor a, float b) { throw notCompiled(); }
  public static Tensor div(float a, Tensor b) { throw notCompiled(); }
  /** {@code tf.minimum}. */
  public static Tensor minimum(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor minimum(Tensor a, float b) { throw notCompiled(); }
  public static Tensor minimum(float a, Tensor b) { throw notCompiled(); }
  /** {@code tf.maximum}. */
  public static Tensor maximum(Tensor a, Tensor b) { throw notCompiled(); }
  public static Tensor maximum(Tensor a, float b) { throw notCompiled(); }
  public static Tensor maximum(float a, Tensor b) { throw notCompiled(); }
  /** {@code tf.pow(x, exponent)} with a constant exponent. */
  public static Tensor pow(Tensor x, float exponent) { throw notCompiled(); }
  /** {@code tf.clip_by_value}. */
  public static Tensor clip(Tensor x, float min, float max) { throw notCompiled(); }

  // Elementwise unary: tf.negative, tf.square, tf.sqrt, tf.exp, tf.log, tf.tanh, tf.sigmoid, ...
  public static Tensor neg(Tensor x) { throw notCompiled(); }
  public static Tensor square(Tensor x) { throw notCompiled(); }
  public static Tensor sqrt(Tensor x) { throw notCompiled(); }
  public static Tensor exp(Tensor x) { throw notCompiled(); }
  public static Tensor log(Tensor x) { throw notCompiled(); }
  public static Tensor tanh(Tensor x) { throw notCompiled(); }
  public static Tensor sigmoid(Tensor x) { throw notCompiled(); }
  /** {@code tf.nn.relu}. */
  public static Tensor relu(Tensor x) { throw notCompiled(); }
  public static Tensor abs(Tensor x) { throw notCompiled(); }

  // Linear algebra and layout
  /** {@code tf.matmul}: [m, k] x [k, n], or batched [b, m, k] x [b, k, n] (or x [k, n]). */
  public static Tensor matmul(Tensor a, Tensor b) { throw notCompiled(); }
  /** {@code tf.transpose}: reverses the axes. */
  public static Tensor transpose(Tensor x) { throw notCompiled(); }
  /** {@code tf.transpose(x, perm)}. */
  public static Tensor transpose(Tensor x, int... permutation) { throw notCompiled(); }
  /** {@code tf.reshape}: the new shape as dimensions, comma separated ("batch, 12"). */
  public static Tensor reshape(Tensor x, String shape) { throw notCompiled(); }
  /** {@code tf.concat(values, axis)}. */
  public static Tensor concat(int axis, Tensor... values) { throw notCompiled(); }
  /** {@code tf.slice} along one axis: elements [start, start + length). */
  public static Tensor slice(Tensor x, int axis, int start, int length) { throw notCompiled(); }
  /** {@code tf.split(x, parts, axis)}: equal parts; index the result with constants. */
  public static Tensor[] split(Tensor x, int parts, int axis) { throw notCompiled(); }

  // Reductions: tf.reduce_sum(x, reduction_indices, keep_dims), tf.reduce_mean, tf.reduce_max
  public static Tensor reduceSum(Tensor x) { throw notCompiled(); }
  public static Tensor reduceSum(Tensor x, int axis) { throw notCompiled(); }
  public static Tensor reduceSum(Tensor x, int axis, boolean keepDims) { throw notCompiled(); }
  public static Tensor reduceSum(Tensor x, int[] axes, boolean keepDims) { throw notCompiled(); }
  public static Tensor reduceMean(Tensor x) { throw notCompiled(); }
  public static Tensor reduceMean(Tensor x, int axis) { throw notCompiled(); }
  public static Tensor reduceMean(Tensor x, int axis, boolean keepDims) { throw notCompiled(); }
  public static Tensor reduceMean(Tensor x, int[] axes, boolean keepDims) { throw notCompiled(); }
  public static Tensor reduceMax(Tensor x) { throw notCompiled(); }
  public static Tensor reduceMax(Tensor x, int axis) { throw notCompiled(); }
  public static Tensor reduceMax(Tensor x, int axis, boolean keepDims) { throw notCompiled(); }
  public static Tensor reduceMax(Tensor x, int[] axes, boolean keepDims) { throw notCompiled(); }

  // Neural-network ops: tf.nn.*
  /** {@code tf.nn.softmax} over the last axis. */
  public static Tensor softmax(Tensor logits) { throw notCompiled(); }
  /** {@code tf.nn.log_softmax} over the last axis, computed stably. */
  public static Tensor logSoftmax(Tensor logits) { throw notCompiled(); }
  /**
   * {@code tf.nn.softmax_cross_entropy_with_logits(labels, logits)}: per-row cross-entropy of
   * dense (float) labels over the last axis; the result drops that axis.
   */
  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) { throw notCompiled(); }
  /**
   * {@code tf.nn.sparse_softmax_cross_entropy_with_logits}: labels are int class indices with
   * the logits' shape minus its last axis.
   */
  public static Tensor sparseSoftmaxCrossEntropy(Tensor logits, Tensor labels) { throw notCompiled(); }
  /** {@code tf.gather(table, indices)} along axis 0 (embedding lookup); indices are int. */
  public static Tensor gather(Tensor table, Tensor indices) { throw notCompiled(); }
  /** {@code tf.one_hot(indices, depth)}: float, a new last axis of size {@code depth}. */
  public static Tensor oneHot(Tensor indices, int depth) { throw notCompiled(); }

  /** {@code tf.zeros(shape)}: a float tensor of zeros; the shape may use symbols ({@code "batch, hidden"}). */
  public static Tensor zeros(String shape) { throw notCompiled(); }

  // Recurrence: tf.scan / jax.lax.scan over the leading (time) axis
  /**
   * Runs {@code step} over the time-major {@code sequence} [time, ...]: at step t it gets
   * {@code sequence[t]} and the state, and returns the new state (shaped like
   * {@code initialState}). The result is {@code {outputs, finalState}}, where outputs stacks
   * the new state of every step along a new leading time axis. The step is a method of the
   * model ({@code scan(this::rnnCell, xs, zeros("batch, hidden"))[0]}); its gradient is
   * backpropagation through time.
   */
  public static Tensor[] scan(Step1 step, Tensor sequence, Tensor initialState) { throw notCompiled(); }

  /**
   * {@link #scan(Step1, Tensor, Tensor)} with two states (an LSTM's h and c): the result is
   * {@code {outputs, finalH, finalC}}, outputs stacking the first state of every step.
   */
  public static Tensor[] scan(Step2 step, Tensor sequence, Tensor h0, Tensor c0) { throw notCompiled(); }

  /**
   * {@link #scan(Step1, Tensor, Tensor)} with three states: the result is
   * {@code {outputs, final1, final2, final3}}, outputs stacking the first state of every step.
   */
  public static Tensor[] scan(Step3 step, Tensor sequence, Tensor s1, Tensor s2, Tensor s3) { throw notCompiled(); }

  // Recurrent layers: tf.nn.dynamic_rnn(time_major=True) over BasicRNNCell, BasicLSTMCell, GRUCell.
  // Each is expanded by the compiler into one matmul projecting xs for all steps at once (outside
  // the loop) and a scan whose step does one matmul h·u over all gates and the fused gate math.
  // Stack layers by feeding one layer's outputs to the next as xs. The recurrent weight u must be
  // a @Variable field (or a constant) of the model: the loop reads it at every step.

  /**
   * A basic RNN layer over the time-major {@code xs} [time, batch, in] from {@code h0} [batch,
   * hidden]: h' = tanh(x·w + h·u + b) with {@code w} [in, hidden], {@code u} [hidden, hidden] and
   * {@code b} [hidden]. The result is {@code {outputs, finalH}}, outputs [time, batch, hidden]
   * stacking h' of every step. Its gradient is backpropagation through time.
   */
  public static Tensor[] rnn(Tensor xs, Tensor h0, Tensor w, Tensor u, Tensor b) { throw notCompiled(); }

  /**
   * An LSTM layer (TensorFlow's {@code BasicLSTMCell} with {@code forget_bias = 1.0}, no peepholes)
   * over the time-major {@code xs} [time, batch, in] from {@code h0} and {@code c0} [batch,
   * hidden]. {@code w} [in, 4*hidden], {@code u} [hidden, 4*hidden] and {@code b} [4*hidden] hold
   * the four gates side by side in the order i, f, g, o (input, forget, candidate, output): with
   * z = x·w + h·u + b split into [i, f, g, o] along its last axis,
   * c' = σ(f + 1)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c'). The result is
   * {@code {outputs, finalH, finalC}}, outputs [time, batch, hidden] stacking h' of every step.
   */
  public static Tensor[] lstm(Tensor xs, Tensor h0, Tensor c0, Tensor w, Tensor u, Tensor b) { throw notCompiled(); }

  /**
   * {@link #lstm(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)} with the constant added to the
   * forget gate's pre-activation given: c' = σ(f + forgetBias)·c + σ(i)·tanh(g) (0 for none).
   */
  public static Tensor[] lstm(Tensor xs, Tensor h0, Tensor c0, Tensor w, Tensor u, Tensor b, float forgetBias) {
    throw notCompiled();
  }

  /**
   * A GRU layer over the time-major {@code xs} [time, batch, in] from {@code h0} [batch, hidden].
   * {@code w} [in, 3*hidden], {@code u} [hidden, 3*hidden] and {@code b} [3*hidden] hold the
   * gates side by side in the order r, z, n (reset, update, candidate). The reset gate applies
   * after the recurrent matmul (the cuDNN / Keras {@code reset_after} variant, which lets one
   * matmul h·u serve all three gates): r = σ(x·w_r + h·u_r + b_r), z = σ(x·w_z + h·u_z + b_z),
   * n = tanh(x·w_n + b_n + r·(h·u_n)), h' = (1 − z)·n + z·h. The result is
   * {@code {outputs, finalH}}, outputs [time, batch, hidden] stacking h' of every step.
   */
  public static Tensor[] gru(Tensor xs, Tensor h0, Tensor w, Tensor u, Tensor b) { throw notCompiled(); }
}
