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

  /** An entry point: its inputs in parameter order and its result (named after the method). */
  /**
   * An entry point. An entry whose method returns {@code Tensor[]} has {@code extraOutputs} (its
   * elements after the first, named {@code entry[1]}, {@code entry[2]}, ...): its executor then
   * takes an {@code Object[]} of output arrays, the first output's array first.
   */
  public record EntrySpec(String name, Kind kind, List<TensorSpec> inputs, TensorSpec output, List<TensorSpec> extraOutputs) {
    public EntrySpec {
      inputs = List.copyOf(inputs);
      extraOutputs = List.copyOf(extraOutputs);
    }

    /** An entry with one output. */
    public EntrySpec(String name, Kind kind, List<TensorSpec> inputs, TensorSpec output) {
      this(name, kind, inputs, output, List.of());
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
