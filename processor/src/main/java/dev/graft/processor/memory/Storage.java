package dev.graft.processor.memory;

import dev.graft.processor.ir.Node;

/** Where a value lives while an entry runs. */
public sealed interface Storage {
  /** An input array of the entry, by parameter index. */
  record Input(int index) implements Storage {}

  /** A variable's array, by index in the model's variables. */
  record Variable(int index) implements Storage {}

  /** A constant held in a static field of the generated class. */
  record Constant(Node node) implements Storage {}

  /** The caller's array for result {@code index} (0: the entry's result, then its extra results). */
  record Output(int index) implements Storage {}

  /** The caller's gradient array for the {@code index}-th trainable variable. */
  record Gradient(int index) implements Storage {}

  /** A reusable workspace array; float and int slots are numbered separately. */
  record Slot(int index, boolean ints) implements Storage {}
}
