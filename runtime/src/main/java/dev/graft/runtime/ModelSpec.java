package dev.graft.runtime;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import java.util.List;

/**
 * A compiled model's declarations. Shapes are lists of dimensions, each an integer literal
 * ({@code "4"}) or a symbol name ({@code "batch"}) listed in {@link #symbols()}.
 *
 * @param name the model class's simple name
 * @param symbols every dimension symbol, in the order of the {@code dims} array of
 *     {@link ModelExecutor#run}
 * @param variables every {@code @Variable}, in declaration order
 * @param entries every {@code @Output} and {@code @Loss} method, in declaration order
 */
public record ModelSpec(String name, List<String> symbols, List<VariableSpec> variables, List<EntrySpec> entries) {
  public ModelSpec {
    symbols = List.copyOf(symbols);
    variables = List.copyOf(variables);
    entries = List.copyOf(entries);
  }

  /** A {@code @Variable} field: always FLOAT32. */
  public record VariableSpec(String name, List<String> shape, Init init, float min, float max, float value,
      float mean, float stddev, boolean trainable) {
    public VariableSpec {
      shape = List.copyOf(shape);
    }
  }

  /** An {@code @Input} parameter or an entry's result. */
  public record TensorSpec(String name, DType dtype, List<String> shape) {
    public TensorSpec {
      shape = List.copyOf(shape);
    }
  }

  /** What an entry method is. */
  public enum Kind { OUTPUT, LOSS }

  /**
   * An entry point: its inputs in parameter order and its result (named after the method). An
   * entry whose method returns {@code Tensor[]} has {@code extraOutputs} (its elements after the
   * first, named {@code entry[1]}, {@code entry[2]}, ...): its executor then takes an
   * {@code Object[]} of output arrays, the first output's array first.
   *
   * <p>{@code gradientRowIds} is empty, or for a LOSS entry has one element per trainable
   * variable (the order of its gradients): the index of the INT32 input whose values name the
   * only rows of the variable where its gradient can be nonzero, or -1. That is the gradient of
   * an embedding lookup, {@code gather(table, ids)} with {@code ids} an input (TensorFlow's
   * {@code IndexedSlices}). The executor receives such a gradient's array all zero and adds into
   * those rows only, and a trainer then reads and updates just those rows.
   */
  public record EntrySpec(String name, Kind kind, List<TensorSpec> inputs, TensorSpec output, List<TensorSpec> extraOutputs,
      List<Integer> gradientRowIds) {
    public EntrySpec {
      inputs = List.copyOf(inputs);
      extraOutputs = List.copyOf(extraOutputs);
      gradientRowIds = List.copyOf(gradientRowIds);
    }

    /** An entry whose gradients, if any, are all dense. */
    public EntrySpec(String name, Kind kind, List<TensorSpec> inputs, TensorSpec output, List<TensorSpec> extraOutputs) {
      this(name, kind, inputs, output, extraOutputs, List.of());
    }

    /** An entry with one output whose gradients, if any, are all dense. */
    public EntrySpec(String name, Kind kind, List<TensorSpec> inputs, TensorSpec output) {
      this(name, kind, inputs, output, List.of(), List.of());
    }

    /** The output, then the extra outputs. */
    public List<TensorSpec> outputs() {
      List<TensorSpec> all = new java.util.ArrayList<>();
      all.add(output);
      all.addAll(extraOutputs);
      return all;
    }
  }
}
