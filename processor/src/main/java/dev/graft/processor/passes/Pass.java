package dev.graft.processor.passes;

import dev.graft.processor.ir.ModelGraph;

/**
 * One optimization pass: a function from a model graph to a new one that computes the same
 * values. A pass builds any new nodes in {@code model.graph()} and returns the model with new
 * entry roots; it mutates nothing and its result depends only on its input.
 */
public interface Pass {
  /** A short name for logs and failure messages ({@code "constant-folding"}). */
  String name();

  ModelGraph apply(ModelGraph model);
}
