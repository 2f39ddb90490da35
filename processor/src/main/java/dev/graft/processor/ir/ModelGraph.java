package dev.graft.processor.ir;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole model in IR: its declarations and one root node per entry point, all built in one
 * {@link Graph}. Phases map a ModelGraph to a new one; nothing in it is mutable.
 *
 * @param packageName the model's package ("" for the unnamed package)
 * @param modelName the model class's name, nested names joined with '_' ({@code Outer_Inner})
 * @param graph the graph owning every node below
 * @param variables the {@code @Variable} fields in declaration order (node index = list index)
 * @param entries the {@code @Output} and {@code @Loss} methods in declaration order
 */
public record ModelGraph(String packageName, String modelName, Graph graph, List<VariableDecl> variables, List<Entry> entries) {
  public ModelGraph {
    variables = List.copyOf(variables);
    entries = List.copyOf(entries);
  }

  /** The generated class's simple name: {@code Graft} + the model name. */
  public String generatedName() {
    return "Graft" + modelName;
  }

  /** Every dimension symbol, in order of first appearance in variables, then entry inputs. */
  public List<String> symbols() {
    List<String> out = new ArrayList<>();
    for (VariableDecl v : variables) addSymbols(v.shape(), out);
    for (Entry e : entries) {
      for (InputDecl in : e.inputs()) addSymbols(in.shape(), out);
      for (Node r : e.results()) addSymbols(r.shape(), out);
    }
    return out;
  }

  private static void addSymbols(Shape s, List<String> out) {
    for (Dim d : s.dims()) {
      for (String sym : d.symbols()) if (!out.contains(sym)) out.add(sym);
    }
  }

  /** The trainable variables, in declaration order: the order of a loss entry's gradients. */
  public List<VariableDecl> trainableVariables() {
    return variables.stream().filter(VariableDecl::trainable).toList();
  }

  /** A copy with other entries (a phase's result). */
  public ModelGraph withEntries(List<Entry> newEntries) {
    return new ModelGraph(packageName, modelName, graph, variables, newEntries);
  }

  /** A {@code @Variable} field; its parameters mirror the annotation's. */
  public record VariableDecl(String name, Shape shape, Init init, float min, float max, float value, float mean,
      float stddev, boolean trainable, SourcePos position) {}

  /** An {@code @Input} parameter of an entry method. */
  public record InputDecl(String name, Shape shape, DType dtype, SourcePos position) {}

  /** Whether an entry is an {@code @Output} or a {@code @Loss}. */
  public enum EntryKind { OUTPUT, LOSS }

  /**
   * An entry point.
   *
   * @param result the value the method returns (the first element when it returns {@code Tensor[]})
   * @param extraResults the other elements of a returned {@code Tensor[]}: values computed in
   *     the same pass (a recurrent network's final state next to its loss), never differentiated
   * @param gradients for a LOSS after autodiff: d(result)/d(variable) for each trainable
   *     variable in declaration order (same shape as the variable); empty before autodiff and
   *     for OUTPUT entries
   */
  public record Entry(String name, EntryKind kind, List<InputDecl> inputs, Node result, List<Node> extraResults,
      List<Node> gradients, SourcePos position) {
    public Entry {
      inputs = List.copyOf(inputs);
      extraResults = List.copyOf(extraResults);
      gradients = List.copyOf(gradients);
    }

    /** An entry with one result. */
    public Entry(String name, EntryKind kind, List<InputDecl> inputs, Node result, List<Node> gradients, SourcePos position) {
      this(name, kind, inputs, result, List.of(), gradients, position);
    }

    /** The same entry with other gradients (and its results as they are). */
    public Entry withResult(Node newResult, List<Node> newGradients) {
      return withResults(newResult, extraResults, newGradients);
    }

    public Entry withResults(Node newResult, List<Node> newExtraResults, List<Node> newGradients) {
      return new Entry(name, kind, inputs, newResult, newExtraResults, newGradients, position);
    }

    /** The result, then the extra results: what the caller receives. */
    public List<Node> results() {
      List<Node> r = new ArrayList<>();
      r.add(result);
      r.addAll(extraResults);
      return r;
    }

    /** The results, then the gradients: every node this entry must compute. */
    public List<Node> roots() {
      List<Node> r = results();
      r.addAll(gradients);
      return r;
    }

    /**
     * For each gradient, the index of the INT32 input whose values name the only rows where it
     * can be nonzero, or -1; empty when there is no such gradient. Such a gradient is a
     * scatter-add at ids that are an input (possibly reshaped): the gradient of an embedding
     * lookup, {@code gather(variable, ids)}, when the variable is used nowhere else. The runtime
     * reads it as {@code ModelSpec.EntrySpec#gradientRowIds}.
     */
    public List<Integer> gradientRowIds() {
      List<Integer> ids = new ArrayList<>();
      boolean any = false;
      for (Node g : gradients) {
        int input = -1;
        if (g.op() == Op.SCATTER_ADD) {
          Node i = g.input(0);
          while (i.op() == Op.RESHAPE) i = i.input(0);
          if (i.op() == Op.INPUT && i.dtype() == DType.INT32) input = i.attrs().intAt(0);
        }
        any |= input >= 0;
        ids.add(input);
      }
      return any ? ids : List.of();
    }
  }
}
