package dev.graft.dsl;

/** Element types of tensors and arrays. */
public enum DType {
  /** 32-bit float: activations, parameters, dense labels. */
  FLOAT32,
  /** 32-bit int: indices and class labels. */
  INT32
}
