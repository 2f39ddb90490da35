package dev.graft.dsl;

/**
 * A symbolic value in a model graph. It never holds numbers: the annotation processor reads the
 * expressions that build tensors and compiles them. Calling any method at run time throws.
 *
 * <p>Every fluent method here has a static twin in {@link Ops} ({@code x.matmul(w)} is {@code
 * matmul(x, w)}); binary ops broadcast as in NumPy.
 */
public final class Tensor {
  private Tensor() {}

  public Tensor add(Tensor other) { throw Ops.notCompiled(); }
  public Tensor add(float other) { throw Ops.notCompiled(); }
  public Tensor sub(Tensor other) { throw Ops.notCompiled(); }
  public Tensor sub(float other) { throw Ops.notCompiled(); }
  public Tensor mul(Tensor other) { throw Ops.notCompiled(); }
  public Tensor mul(float other) { throw Ops.notCompiled(); }
  public Tensor div(Tensor other) { throw Ops.notCompiled(); }
  public Tensor div(float other) { throw Ops.notCompiled(); }
  public Tensor minimum(Tensor other) { throw Ops.notCompiled(); }
  public Tensor minimum(float other) { throw Ops.notCompiled(); }
  public Tensor maximum(Tensor other) { throw Ops.notCompiled(); }
  public Tensor maximum(float other) { throw Ops.notCompiled(); }
  public Tensor pow(float exponent) { throw Ops.notCompiled(); }
  public Tensor clip(float min, float max) { throw Ops.notCompiled(); }

  public Tensor neg() { throw Ops.notCompiled(); }
  public Tensor square() { throw Ops.notCompiled(); }
  public Tensor sqrt() { throw Ops.notCompiled(); }
  public Tensor exp() { throw Ops.notCompiled(); }
  public Tensor log() { throw Ops.notCompiled(); }
  public Tensor tanh() { throw Ops.notCompiled(); }
  public Tensor sigmoid() { throw Ops.notCompiled(); }
  public Tensor relu() { throw Ops.notCompiled(); }
  public Tensor abs() { throw Ops.notCompiled(); }

  public Tensor matmul(Tensor other) { throw Ops.notCompiled(); }
  public Tensor transpose() { throw Ops.notCompiled(); }
  public Tensor transpose(int... permutation) { throw Ops.notCompiled(); }
  public Tensor reshape(String shape) { throw Ops.notCompiled(); }
  public Tensor slice(int axis, int start, int length) { throw Ops.notCompiled(); }
  public Tensor[] split(int parts, int axis) { throw Ops.notCompiled(); }

  public Tensor reduceSum() { throw Ops.notCompiled(); }
  public Tensor reduceSum(int axis) { throw Ops.notCompiled(); }
  public Tensor reduceSum(int axis, boolean keepDims) { throw Ops.notCompiled(); }
  public Tensor reduceSum(int[] axes, boolean keepDims) { throw Ops.notCompiled(); }
  public Tensor reduceMean() { throw Ops.notCompiled(); }
  public Tensor reduceMean(int axis) { throw Ops.notCompiled(); }
  public Tensor reduceMean(int axis, boolean keepDims) { throw Ops.notCompiled(); }
  public Tensor reduceMean(int[] axes, boolean keepDims) { throw Ops.notCompiled(); }
  public Tensor reduceMax() { throw Ops.notCompiled(); }
  public Tensor reduceMax(int axis) { throw Ops.notCompiled(); }
  public Tensor reduceMax(int axis, boolean keepDims) { throw Ops.notCompiled(); }
  public Tensor reduceMax(int[] axes, boolean keepDims) { throw Ops.notCompiled(); }

  public Tensor softmax() { throw Ops.notCompiled(); }
  public Tensor logSoftmax() { throw Ops.notCompiled(); }
  public Tensor gather(Tensor indices) { throw Ops.notCompiled(); }
}
