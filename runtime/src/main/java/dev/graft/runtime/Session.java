package dev.graft.runtime;

import dev.graft.dsl.DType;
import dev.graft.runtime.ModelSpec.EntrySpec;
import dev.graft.runtime.ModelSpec.Kind;
import dev.graft.runtime.ModelSpec.TensorSpec;
import dev.graft.runtime.ModelSpec.VariableSpec;
import dev.graft.runtime.io.SafeTensors;
import dev.graft.runtime.kernel.KernelProvider;
import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled model opened on a device: it holds the variable values, runs entry points with
 * feeds and creates {@link Trainer}s.
 *
 * <pre>{@code
 * try (Session session = Session.open(SoftmaxRegression.class, Device.cpu())) {
 *   session.initialize(42);
 *   NDArray probs = session.run("predictions", Feeds.of("x", xs));
 * }
 * }</pre>
 *
 * <p>Dimension symbols are bound in two ways: those that size variables when the session opens
 * (from {@link Dims}), the others from the shapes of each call's feeds. Every call validates its
 * feeds before anything runs, so a failed call changes nothing. Methods are synchronized: a
 * session may be shared between threads, which then take turns.
 *
 * <p><b>Calls without garbage.</b> Once warmed up, {@link #runInto(int, NDArray, NDArray...)},
 * {@link #runInto(String, NDArray, Feeds)}, both {@code eval}s and both {@link Trainer}
 * {@code step}s allocate nothing: the session reuses its own per-call buffers (under its lock),
 * clears its references to the caller's arrays when the call ends, and the result goes into an
 * array the caller owns (or is a {@code float}). Validation is as complete as in {@link #run};
 * only a failing call builds a message. Java builds a new array for each varargs call, so a loop
 * that must not allocate passes an {@code NDArray[]} it reuses, or a {@link Feeds} it reuses
 * (the generated typed facades reuse their argument arrays). {@link #run} allocates its result.
 * What the generated code and the kernels allocate is theirs: they grow their workspaces to
 * the largest call and then reuse them.
 */
public final class Session implements AutoCloseable {
  /** Checkpoint metadata key: the model's simple name (informational, not checked on restore). */
  public static final String METADATA_MODEL = "graft.model";
  /** Checkpoint metadata key: the Graft checkpoint format version. */
  public static final String METADATA_FORMAT = "graft.format_version";
  private static final String FORMAT_VERSION = "1";

  /** Marks a symbol not bound by the session in {@link #sessionDims}. */
  private static final int UNBOUND = -1;
  /** Products of symbols used as dimensions, after the symbols in the encoding (see {@link #encode}). */
  private final List<int[]> productTerms = new ArrayList<>();

  private final ModelSpec spec;
  private final Device device;
  private final Map<String, Integer> symbolIndex = new HashMap<>();
  private final Map<String, Integer> variableIndex = new HashMap<>();
  private final Map<String, Integer> entryIndex = new LinkedHashMap<>(); // declaration order, for messages
  /** Per symbol: its session value, or {@link #UNBOUND} when feeds bind it. */
  private final int[] sessionDims;
  private final int[][] variableShapes;
  /** Per entry and input: the shape, constants as is and symbol i as {@code -(i + 1)}. */
  private final int[][][] inputShapes;
  /** Per entry and result (the output, then the extra outputs of a {@code Tensor[]} entry): the shape, encoded as inputs are. */
  private final int[][][] resultShapes;
  private final float[][] variables;
  private final boolean[] initialized;
  private final ThreadPool pool;
  private final Kernels kernels;
  private final ModelExecutor executor;
  private boolean closed;

  // Reused by every call, under the lock, so that a call allocates nothing.
  /** The symbol values of the current call. */
  private final int[] callDims;
  /** The input that bound each per-call symbol in the current call, for messages. */
  private final String[] boundBy;
  /** Per entry: its input arrays in order, as the executor takes them; cleared after each call. */
  private final Object[][] callData;
  /**
   * Per entry with extra outputs ({@code Tensor[]} methods): the reused {@code Object[]} of
   * output arrays handed to the executor, and the session's own arrays for the extra outputs of
   * calls that do not return them (grown as needed); null for the others.
   */
  private final Object[][] outputArrays;
  private final Object[][] extraScratch;
  /** Per entry with extra outputs: the reused array of the caller's extra result arrays in runAllInto. */
  private final Object[][] extraInto;
  /** Per entry: its feeds in order, for calls by name; cleared after each call. */
  private final NDArray[][] callInputs;
  /** The result of {@link #eval}. */
  private final float[] scalarResult = new float[1];

  private Session(CompiledModel model, Device device, Dims dims) {
    this.spec = model.spec();
    this.device = device;
    List<String> symbols = spec.symbols();
    for (int i = 0; i < symbols.size(); i++) {
      symbolIndex.put(symbols.get(i), i);
    }
    sessionDims = bindSessionDims(dims);

    List<VariableSpec> variableSpecs = spec.variables();
    variableShapes = new int[variableSpecs.size()][];
    variables = new float[variableSpecs.size()][];
    initialized = new boolean[variableSpecs.size()];
    for (int v = 0; v < variableSpecs.size(); v++) {
      VariableSpec variable = variableSpecs.get(v);
      if (variableIndex.put(variable.name(), v) != null) {
        throw malformed("two variables are named '" + variable.name() + "'");
      }
      int[] shape = encode(variable.shape(), "variable '" + variable.name() + "'");
      for (int d = 0; d < shape.length; d++) {
        int unbound = unboundSymbol(shape[d], sessionDims);
        if (unbound >= 0) {
          throw new IllegalArgumentException("variable '" + variable.name() + "' has shape " + variable.shape()
              + ": bind '" + symbols.get(unbound) + "' in the Dims given to Session.open");
        }
        shape[d] = dimValue(shape[d], sessionDims);
      }
      variableShapes[v] = shape;
      variables[v] = new float[NDArray.sizeOf(shape)];
    }

    List<EntrySpec> entries = spec.entries();
    inputShapes = new int[entries.size()][][];
    resultShapes = new int[entries.size()][][];
    for (int e = 0; e < entries.size(); e++) {
      EntrySpec entry = entries.get(e);
      if (entryIndex.put(entry.name(), e) != null) {
        throw malformed("two entries are named '" + entry.name() + "'");
      }
      inputShapes[e] = new int[entry.inputs().size()][];
      for (int i = 0; i < inputShapes[e].length; i++) {
        TensorSpec input = entry.inputs().get(i);
        inputShapes[e][i] = encode(input.shape(), "input '" + input.name() + "' of '" + entry.name() + "'");
      }
      List<TensorSpec> results = entry.outputs();
      resultShapes[e] = new int[results.size()][];
      for (int j = 0; j < results.size(); j++) {
        resultShapes[e][j] = encode(results.get(j).shape(), "output '" + results.get(j).name() + "' of '" + entry.name() + "'");
      }
    }
    outputArrays = new Object[entries.size()][];
    extraScratch = new Object[entries.size()][];
    extraInto = new Object[entries.size()][];
    for (int e = 0; e < entries.size(); e++) {
      List<TensorSpec> extras = entries.get(e).extraOutputs();
      if (extras.isEmpty()) {
        continue;
      }
      outputArrays[e] = new Object[extras.size() + 1];
      extraScratch[e] = new Object[extras.size()];
      extraInto[e] = new Object[extras.size()];
    }
    callDims = new int[symbols.size()];
    boundBy = new String[symbols.size()];
    callData = new Object[entries.size()][];
    callInputs = new NDArray[entries.size()][];
    for (int e = 0; e < entries.size(); e++) {
      callData[e] = new Object[inputShapes[e].length];
      callInputs[e] = new NDArray[inputShapes[e].length];
    }

    pool = new ThreadPool(device.threads());
    try {
      kernels = KernelProvider.create(pool);
      executor = ModelVariants.select(model, kernels).newExecutor(kernels);
    } catch (RuntimeException | Error e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Opens the compiled form of {@code modelClass} with no session symbols.
   *
   * @see #open(Class, Device, Dims)
   */
  public static Session open(Class<?> modelClass, Device device) {
    return open(modelClass, device, Dims.none());
  }

  /**
   * Opens the compiled form of {@code modelClass}: the class {@code Graft<Name>} that the Graft
   * annotation processor generated next to it ({@code Outer.Inner} gives
   * {@code GraftOuter_Inner}). Variables are allocated but hold no value until
   * {@link #initialize} or {@link #assign}.
   *
   * @param dims the value of every symbol that a variable shape uses, and optionally of others
   * @throws IllegalStateException if the model was not compiled by the Graft processor
   * @throws IllegalArgumentException if {@code dims} leaves out a symbol that a variable needs or
   *     names a symbol the model does not have
   */
  public static Session open(Class<?> modelClass, Device device, Dims dims) {
    String name = compiledClassName(modelClass);
    Class<?> compiled;
    try {
      compiled = Class.forName(name, true, modelClass.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Model " + modelClass.getName() + " was not compiled by the Graft annotation "
          + "processor: " + name + " was not found. Put graft-processor on the annotation processor path "
          + "(Maven: maven-compiler-plugin <annotationProcessorPaths>; Gradle: the annotationProcessor "
          + "configuration) and make sure the class is annotated with @Model.", e);
    }
    if (!CompiledModel.class.isAssignableFrom(compiled)) {
      throw new IllegalStateException(name + " does not implement " + CompiledModel.class.getName()
          + "; was it generated by a different Graft version?");
    }
    CompiledModel model;
    try {
      model = (CompiledModel) compiled.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot instantiate " + name + " through its public no-arg constructor", e);
    }
    return open(model, device, dims);
  }

  /** Opens an already instantiated compiled model; see {@link #open(Class, Device, Dims)}. */
  public static Session open(CompiledModel model, Device device, Dims dims) {
    return new Session(model, device, dims);
  }

  /** {@code p.GraftFoo} for {@code p.Foo}, {@code p.GraftOuter_Inner} for {@code p.Outer.Inner}. */
  static String compiledClassName(Class<?> modelClass) {
    StringBuilder name = new StringBuilder(modelClass.getSimpleName());
    for (Class<?> c = modelClass.getEnclosingClass(); c != null; c = c.getEnclosingClass()) {
      name.insert(0, c.getSimpleName() + "_");
    }
    String binaryName = modelClass.getName(); // p.Outer$Inner: the package ends at the last dot
    return binaryName.substring(0, binaryName.lastIndexOf('.') + 1) + "Graft" + name;
  }

  private int[] bindSessionDims(Dims dims) {
    int[] values = new int[spec.symbols().size()];
    Arrays.fill(values, UNBOUND);
    for (String name : dims.names()) {
      Integer index = symbolIndex.get(name);
      if (index == null) {
        throw new IllegalArgumentException("Dims binds '" + name + "', which is not a symbol of model '"
            + spec.name() + "'; its symbols: " + spec.symbols());
      }
      values[index] = dims.get(name);
    }
    return values;
  }

  /**
   * Parses a spec shape: constants as is, dimension term k as {@code -(k + 1)}. Terms 0 to
   * symbols − 1 are the symbols themselves; a product such as {@code 4*hidden} or
   * {@code time*batch} becomes a term of its own (a coefficient and the symbols it multiplies),
   * which inputs never bind but are checked against.
   */
  private int[] encode(List<String> shape, String owner) {
    int[] encoded = new int[shape.size()];
    for (int d = 0; d < encoded.length; d++) {
      String dim = shape.get(d);
      if (!dim.isEmpty() && dim.chars().allMatch(Character::isDigit)) {
        encoded[d] = Integer.parseInt(dim);
        continue;
      }
      Integer index = symbolIndex.get(dim);
      if (index == null) {
        int coefficient = 1;
        List<Integer> factors = new ArrayList<>();
        for (String factor : dim.split("\\*", -1)) {
          String f = factor.strip();
          Integer symbol = symbolIndex.get(f);
          if (!f.isEmpty() && f.chars().allMatch(Character::isDigit)) coefficient = Math.multiplyExact(coefficient, Integer.parseInt(f));
          else if (symbol != null) factors.add(symbol);
          else throw malformed(owner + " uses '" + dim + "', which is neither a constant, one of the symbols "
              + spec.symbols() + " nor a product of them");
        }
        int[] term = new int[factors.size() + 1];
        term[0] = coefficient;
        for (int i = 0; i < factors.size(); i++) term[i + 1] = factors.get(i);
        index = spec.symbols().size() + productTerms.size();
        productTerms.add(term);
      }
      encoded[d] = -index - 1;
    }
    return encoded;
  }

  /**
   * The value of encoded dimension {@code d} (see {@link #encode}) under {@code dims}, or
   * {@link #UNBOUND} when a symbol it needs has no value.
   */
  private int dimValue(int d, int[] dims) {
    if (d >= 0) return d;
    int k = -d - 1;
    if (k < dims.length) return dims[k];
    int[] term = productTerms.get(k - dims.length);
    long value = term[0];
    for (int i = 1; i < term.length; i++) {
      if (dims[term[i]] == UNBOUND) return UNBOUND;
      value *= dims[term[i]];
    }
    return Math.toIntExact(value);
  }

  /** The first symbol {@code d} needs that {@code dims} leaves unbound, or -1. */
  private int unboundSymbol(int d, int[] dims) {
    if (d >= 0) return -1;
    int k = -d - 1;
    if (k < dims.length) return dims[k] == UNBOUND ? k : -1;
    int[] term = productTerms.get(k - dims.length);
    for (int i = 1; i < term.length; i++) if (dims[term[i]] == UNBOUND) return term[i];
    return -1;
  }

  private IllegalStateException malformed(String problem) {
    return new IllegalStateException("malformed spec of model '" + spec.name() + "': " + problem);
  }

  /**
   * Initializes every variable as its {@code @Variable(init = ...)} says, like
   * {@code global_variables_initializer}. The same seed gives the same values.
   */
  public synchronized void initialize(long seed) {
    ensureOpen();
    List<VariableSpec> specs = spec.variables();
    for (int v = 0; v < specs.size(); v++) {
      Initializers.fill(specs.get(v), variableShapes[v], seed, v, variables[v]);
      initialized[v] = true;
    }
  }

  /** Runs entry {@code entry} on the named feeds and returns its result. */
  public synchronized NDArray run(String entry, Feeds feeds) {
    ensureOpen();
    int e = entryIndex(entry);
    try {
      return run(e, inputsInOrder(e, feeds));
    } finally {
      clearInputsInOrder(e);
    }
  }

  /**
   * Runs entry number {@code entry} (its index in {@link ModelSpec#entries()}) with its inputs
   * in declaration order, and returns its result in a new array.
   *
   * @see #runInto
   */
  public synchronized NDArray run(int entry, NDArray... inputs) {
    ensureReady(entry);
    int[] dims = bind(entry, inputs);
    int[] shape = outputShape(entry, dims);
    NDArray output = spec.entries().get(entry).output().dtype() == DType.INT32
        ? NDArray.wrap(new int[NDArray.sizeOf(shape)], shape)
        : NDArray.wrap(new float[NDArray.sizeOf(shape)], shape);
    execute(entry, inputs, dims, output.data(), null);
    return output;
  }

  /**
   * Runs entry number {@code entry} as {@link #run(int, NDArray...)} does, but writes the result
   * into {@code into}, overwriting its elements, and returns {@code into}. After warm-up the call
   * allocates nothing when {@code inputs} is an array the caller reuses.
   *
   * <p>{@code into} is the one exception to the immutability of {@link NDArray}: create it once,
   * for instance with {@link NDArray#zeros}, and do not use it as a map key or share it with
   * code that expects it not to change.
   *
   * @throws IllegalArgumentException if the inputs do not match the entry, if {@code into} does
   *     not have the dtype and the shape of the result under the inputs' symbol values, or if
   *     {@code into} is also one of the inputs; {@code into} is then unchanged
   */
  public synchronized NDArray runInto(int entry, NDArray into, NDArray... inputs) {
    ensureReady(entry);
    int[] dims = bind(entry, inputs);
    checkInto(entry, dims, into, inputs);
    execute(entry, inputs, dims, into.data(), null);
    return into;
  }

  /**
   * Runs entry {@code entry} on the named feeds as {@link #run(String, Feeds)} does, but writes
   * the result into {@code into} and returns it; see {@link #runInto(int, NDArray, NDArray...)}.
   * The call allocates nothing of its own once warm (the {@code Feeds} is the caller's).
   */
  public synchronized NDArray runInto(String entry, NDArray into, Feeds feeds) {
    ensureOpen();
    int e = entryIndex(entry);
    try {
      return runInto(e, into, inputsInOrder(e, feeds));
    } finally {
      clearInputsInOrder(e);
    }
  }

  /**
   * Runs an entry whose method returns {@code Tensor[]} and returns all its results, in new
   * arrays (for an entry with one result, that one). {@link #run} returns the first alone.
   */
  public synchronized NDArray[] runAll(String entry, Feeds feeds) {
    ensureOpen();
    int e = entryIndex(entry);
    try {
      return runAll(e, inputsInOrder(e, feeds));
    } finally {
      clearInputsInOrder(e);
    }
  }

  /** {@link #runAll(String, Feeds)} by entry number, with the inputs in declaration order. */
  public synchronized NDArray[] runAll(int entry, NDArray... inputs) {
    ensureReady(entry);
    int[] dims = bind(entry, inputs);
    NDArray[] out = newOutputs(entry, dims);
    Object[] extras = new Object[out.length - 1];
    for (int j = 1; j < out.length; j++) {
      extras[j - 1] = out[j].data();
    }
    execute(entry, inputs, dims, out[0].data(), extras, null);
    return out;
  }

  /**
   * {@link #runAll(int, NDArray...)} into the caller's arrays, one per result, overwritten
   * (see {@link #runInto(int, NDArray, NDArray...)}); returns {@code into}. After warm-up the
   * call allocates nothing when {@code inputs} is an array the caller reuses.
   *
   * @throws IllegalArgumentException if the inputs do not match the entry, if {@code into} does
   *     not hold one array of the right dtype and shape per result, or if one of them is also
   *     an input; nothing is then written
   */
  public synchronized NDArray[] runAllInto(int entry, NDArray[] into, NDArray... inputs) {
    ensureReady(entry);
    int[] dims = bind(entry, inputs);
    EntrySpec e = spec.entries().get(entry);
    int results = resultShapes[entry].length;
    if (into.length != results) {
      throw new IllegalArgumentException("'" + e.name() + "' has " + results + " results, got " + into.length
          + " arrays to write them into");
    }
    for (int j = 0; j < into.length; j++) {
      checkInto(entry, j, dims, into[j], inputs);
    }
    Object[] extras = extraInto[entry];
    for (int j = 1; j < into.length; j++) {
      extras[j - 1] = into[j].data();
    }
    try {
      execute(entry, inputs, dims, into[0].data(), extras, null);
    } finally {
      if (extras != null) {
        Arrays.fill(extras, null);
      }
    }
    return into;
  }

  /**
   * Arrays for every result of entry {@code entry} under {@code dims}, the first result first;
   * a trainer reuses them for the extra results of its steps.
   */
  NDArray[] newOutputs(int entry, int[] dims) {
    List<TensorSpec> specs = spec.entries().get(entry).outputs();
    NDArray[] out = new NDArray[specs.size()];
    for (int j = 0; j < out.length; j++) {
      int[] shape = resultShape(entry, j, dims);
      out[j] = specs.get(j).dtype() == DType.INT32 ? NDArray.wrap(new int[NDArray.sizeOf(shape)], shape)
          : NDArray.wrap(new float[NDArray.sizeOf(shape)], shape);
    }
    return out;
  }

  /** Whether {@code arrays} (from {@link #newOutputs}) have the results' shapes under {@code dims}. */
  boolean fitsExtraOutputs(int entry, int[] dims, NDArray[] arrays) {
    for (int j = 1; j < arrays.length; j++) {
      if (!fits(entry, j, dims, arrays[j])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Runs an entry whose result is a single value, such as a loss, and returns that value.
   *
   * @throws IllegalArgumentException if the result is not FLOAT32 or has more than one element
   */
  public synchronized float eval(String entry, Feeds feeds) {
    ensureOpen();
    int e = entryIndex(entry);
    checkScalarDtype(e);
    try {
      return eval(e, inputsInOrder(e, feeds));
    } finally {
      clearInputsInOrder(e);
    }
  }

  /**
   * Runs entry number {@code entry}, whose result is a single value such as a loss, with its
   * inputs in declaration order, and returns that value. After warm-up the call allocates
   * nothing when {@code inputs} is an array the caller reuses.
   *
   * @throws IllegalArgumentException if the inputs do not match the entry, or the result is not
   *     FLOAT32 or has more than one element
   */
  public synchronized float eval(int entry, NDArray... inputs) {
    ensureReady(entry);
    checkScalarDtype(entry);
    int[] dims = bind(entry, inputs);
    if (resultSize(entry, 0, dims) != 1) {
      throw new IllegalArgumentException("eval needs a single value; '" + spec.entries().get(entry).name()
          + "' returns shape " + Arrays.toString(outputShape(entry, dims)) + ", use run");
    }
    execute(entry, inputs, dims, scalarResult, null);
    return scalarResult[0];
  }

  private void checkScalarDtype(int entry) {
    TensorSpec output = spec.entries().get(entry).output();
    if (output.dtype() != DType.FLOAT32) {
      throw new IllegalArgumentException("eval needs a FLOAT32 result; '" + spec.entries().get(entry).name()
          + "' returns " + output.dtype());
    }
  }

  /**
   * A trainer that minimizes the loss entry {@code lossEntry} with {@code optimizer}.
   *
   * @throws IllegalArgumentException if {@code lossEntry} is not a {@code @Loss} entry
   */
  public synchronized Trainer trainer(String lossEntry, Optimizer optimizer) {
    ensureOpen();
    return trainer(entryIndex(lossEntry), optimizer);
  }

  /** A trainer for entry number {@code entry}; see {@link #trainer(String, Optimizer)}. */
  public synchronized Trainer trainer(int entry, Optimizer optimizer) {
    ensureOpen();
    checkEntry(entry);
    EntrySpec spec = this.spec.entries().get(entry);
    if (spec.kind() != Kind.LOSS) {
      List<String> losses = new ArrayList<>();
      for (EntrySpec e : this.spec.entries()) {
        if (e.kind() == Kind.LOSS) {
          losses.add(e.name());
        }
      }
      throw new IllegalArgumentException("entry '" + spec.name() + "' is an " + spec.kind()
          + "; a trainer needs a @Loss entry: " + losses);
    }
    for (int d : resultShapes[entry][0]) {
      if (d != 1 || spec.output().dtype() != DType.FLOAT32) {
        throw malformed("loss '" + spec.name() + "' is " + spec.output().dtype() + " " + spec.output().shape()
            + ", not a FLOAT32 scalar");
      }
    }
    List<float[]> trainable = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<Integer> trainableIndex = new ArrayList<>();
    for (int v = 0; v < variables.length; v++) {
      if (this.spec.variables().get(v).trainable()) {
        trainable.add(variables[v]);
        names.add(this.spec.variables().get(v).name());
        trainableIndex.add(v);
      }
    }
    List<Integer> rowIds = spec.gradientRowIds();
    if (!rowIds.isEmpty() && rowIds.size() != trainable.size()) {
      throw malformed("loss '" + spec.name() + "' declares the row ids of " + rowIds.size() + " gradients, not "
          + trainable.size());
    }
    int[] rowIdsInput = new int[trainable.size()];
    int[] tableRows = new int[trainable.size()];
    for (int i = 0; i < rowIdsInput.length; i++) {
      rowIdsInput[i] = rowIds.isEmpty() ? -1 : rowIds.get(i);
      if (rowIdsInput[i] < 0) {
        continue;
      }
      int[] shape = variableShapes[trainableIndex.get(i)];
      if (rowIdsInput[i] >= spec.inputs().size() || spec.inputs().get(rowIdsInput[i]).dtype() != DType.INT32
          || shape.length == 0) {
        throw malformed("loss '" + spec.name() + "' takes the row ids of variable '" + names.get(i) + "' from input "
            + rowIdsInput[i] + ", which is not an INT32 input, or the variable is a scalar");
      }
      if (shape[0] == 0) {
        rowIdsInput[i] = -1; // a table without rows: no id can name one, nothing to list
      }
      tableRows[i] = shape[0];
    }
    return new Trainer(this, entry, optimizer, trainable.toArray(new float[0][]), names, rowIdsInput, tableRows);
  }

  /**
   * A copy of the value of variable {@code name}.
   *
   * @throws IllegalArgumentException if there is no such variable
   * @throws IllegalStateException if it has no value yet
   */
  public synchronized NDArray variable(String name) {
    ensureOpen();
    int v = variableIndex(name);
    if (!initialized[v]) {
      throw new IllegalStateException("variable '" + name + "' has no value yet: call initialize(seed) first");
    }
    return NDArray.of(variables[v], variableShapes[v]);
  }

  /**
   * Sets variable {@code name} to a copy of {@code value}.
   *
   * @throws IllegalArgumentException if there is no such variable, or {@code value} is not
   *     FLOAT32 with the variable's shape; the variable is then unchanged
   */
  public synchronized void assign(String name, NDArray value) {
    ensureOpen();
    int v = variableIndex(name);
    if (value.dtype() != DType.FLOAT32 || !Arrays.equals(value.shape(), variableShapes[v])) {
      throw new IllegalArgumentException("variable '" + name + "': expected FLOAT32 "
          + spec.variables().get(v).shape() + " = " + Arrays.toString(variableShapes[v]) + ", got " + value.dtype()
          + " " + Arrays.toString(value.shape()));
    }
    System.arraycopy(value.floatData(), 0, variables[v], 0, variables[v].length);
    initialized[v] = true;
  }

  /**
   * Saves every variable to a checkpoint in the safetensors format (see {@link SafeTensors}):
   * one F32 tensor per variable, named after it, in declaration order, with metadata
   * {@value #METADATA_MODEL} (the model name) and {@value #METADATA_FORMAT} ("1"). The file is
   * replaced atomically. Optimizer state (such as Adam's moments) is not saved.
   *
   * @throws IllegalStateException if a variable has no value yet
   */
  public synchronized void save(Path file) throws IOException {
    ensureOpen();
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (int v = 0; v < variables.length; v++) {
      String name = spec.variables().get(v).name();
      if (!initialized[v]) {
        throw new IllegalStateException("variable '" + name + "' has no value to save: call initialize(seed) first");
      }
      tensors.put(name, NDArray.wrap(variables[v], variableShapes[v])); // not copied: we hold the lock
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put(METADATA_MODEL, spec.name());
    metadata.put(METADATA_FORMAT, FORMAT_VERSION);
    SafeTensors.write(file, tensors, metadata);
  }

  /**
   * Restores every variable from a safetensors checkpoint, such as one {@link #save} wrote or
   * one exported from PyTorch or JAX with the same tensor names. The whole file is read and
   * checked first; only then are the variables assigned, so on failure nothing changes. The
   * checkpoint must hold exactly the model's variables: tensors it does not know are an error
   * (not silently ignored), as are missing ones.
   *
   * @throws IOException if the file cannot be read, is not a well-formed safetensors file, or
   *     was written in a newer Graft checkpoint format
   * @throws IllegalArgumentException if the checkpoint lacks a variable, holds an unknown tensor,
   *     or holds a tensor that is not F32 with the variable's shape; the message lists every
   *     such problem
   */
  public synchronized void restore(Path file) throws IOException {
    ensureOpen();
    SafeTensors.Contents checkpoint = SafeTensors.read(file);
    String format = checkpoint.metadata().get(METADATA_FORMAT);
    if (format != null && !format.equals(FORMAT_VERSION)) {
      throw new IOException(file + ": written in Graft checkpoint format " + format + "; this runtime reads format "
          + FORMAT_VERSION);
    }
    Map<String, NDArray> tensors = checkpoint.tensors();
    List<String> problems = new ArrayList<>();
    for (int v = 0; v < variables.length; v++) {
      VariableSpec variable = spec.variables().get(v);
      NDArray tensor = tensors.get(variable.name());
      String expected = "FLOAT32 " + variable.shape() + " = " + Arrays.toString(variableShapes[v]);
      if (tensor == null) {
        problems.add("variable '" + variable.name() + "' (" + expected + ") is missing");
      } else if (tensor.dtype() != DType.FLOAT32 || !Arrays.equals(tensor.shape(), variableShapes[v])) {
        problems.add("tensor '" + variable.name() + "' is " + tensor.dtype() + " " + Arrays.toString(tensor.shape())
            + ", expected " + expected);
      }
    }
    for (Map.Entry<String, NDArray> tensor : tensors.entrySet()) {
      if (!variableIndex.containsKey(tensor.getKey())) {
        problems.add("tensor '" + tensor.getKey() + "' (" + tensor.getValue().dtype() + " "
            + Arrays.toString(tensor.getValue().shape()) + ") is not a variable of the model");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("checkpoint " + file + " does not fit model '" + spec.name() + "': "
          + String.join("; ", problems) + ". No variable was restored.");
    }
    for (int v = 0; v < variables.length; v++) {
      float[] values = tensors.get(spec.variables().get(v).name()).floatData();
      System.arraycopy(values, 0, variables[v], 0, values.length);
      initialized[v] = true;
    }
  }

  /** The variable names, in declaration order. */
  public List<String> variableNames() {
    List<String> names = new ArrayList<>();
    for (VariableSpec variable : spec.variables()) {
      names.add(variable.name());
    }
    return Collections.unmodifiableList(names);
  }

  /** The model's declarations. */
  public ModelSpec spec() {
    return spec;
  }

  /** The device the session runs on. */
  public Device device() {
    return device;
  }

  /** The kernel library in use (scalar or SIMD). */
  public Kernels kernels() {
    return kernels;
  }

  /** Stops the worker threads. Later calls other than {@code close} throw. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      pool.close();
    }
  }

  @Override
  public String toString() {
    return "Session(" + spec.name() + " on " + device + ", " + kernels.description() + (closed ? ", closed)" : ")");
  }

  // ---- shared with Trainer ----

  int entryIndex(String name) {
    Integer e = entryIndex.get(name);
    if (e == null) {
      throw new IllegalArgumentException("model '" + spec.name() + "' has no entry '" + name + "'; entries: "
          + entryIndex.keySet());
    }
    return e;
  }

  /** Checks that the session is open, {@code entry} exists and every variable has a value. */
  void ensureReady(int entry) {
    ensureOpen();
    checkEntry(entry);
    for (int v = 0; v < initialized.length; v++) {
      if (!initialized[v]) {
        throw new IllegalStateException("variable '" + spec.variables().get(v).name()
            + "' has no value: call initialize(seed) first");
      }
    }
  }

  /**
   * The feeds of entry {@code entry} in declaration order, after checking their names, in the
   * entry's reused array: the caller clears it when the call is done.
   */
  NDArray[] inputsInOrder(int entry, Feeds feeds) {
    EntrySpec spec = this.spec.entries().get(entry);
    List<TensorSpec> inputs = spec.inputs();
    NDArray[] ordered = callInputs[entry];
    for (int i = 0; i < ordered.length; i++) {
      String name = inputs.get(i).name();
      if (!feeds.contains(name)) {
        Arrays.fill(ordered, null);
        throw new IllegalArgumentException("entry '" + spec.name() + "' needs input '" + name + "', which is not fed; "
            + "inputs: " + describeInputs(entry));
      }
      ordered[i] = feeds.get(name);
    }
    if (feeds.size() != ordered.length) { // every input is fed and names are unique: a feed is extra
      Arrays.fill(ordered, null);
      for (String name : feeds.names()) {
        if (inputs.stream().noneMatch(input -> input.name().equals(name))) {
          throw new IllegalArgumentException("entry '" + spec.name() + "' has no input '" + name + "'; inputs: "
              + describeInputs(entry));
        }
      }
    }
    return ordered;
  }

  /** Drops the references {@link #inputsInOrder} kept for the call. */
  void clearInputsInOrder(int entry) {
    Arrays.fill(callInputs[entry], null);
  }

  /**
   * Validates {@code inputs} against entry {@code entry} and binds the per-call symbols.
   *
   * @return the value of every symbol, in {@link ModelSpec#symbols()} order; {@link #UNBOUND}
   *     for symbols that neither the session nor this entry's inputs bind. The array is reused by
   *     the next call.
   */
  int[] bind(int entry, NDArray[] inputs) {
    EntrySpec spec = this.spec.entries().get(entry);
    if (inputs.length != inputShapes[entry].length) {
      throw new IllegalArgumentException("entry '" + spec.name() + "' takes " + inputShapes[entry].length
          + " inputs, got " + inputs.length + "; inputs: " + describeInputs(entry));
    }
    int[] dims = callDims;
    System.arraycopy(sessionDims, 0, dims, 0, dims.length);
    Arrays.fill(boundBy, null);
    for (int i = 0; i < inputs.length; i++) {
      TensorSpec input = spec.inputs().get(i);
      NDArray array = inputs[i];
      if (array == null) {
        throw new NullPointerException("input '" + input.name() + "' of '" + spec.name() + "' is null");
      }
      int[] expected = inputShapes[entry][i];
      boolean matches = array.dtype() == input.dtype() && array.rank() == expected.length;
      if (matches) {
        for (int d = 0; d < expected.length; d++) { // first occurrences of plain symbols bind them
          int s = -expected[d] - 1;
          if (expected[d] < 0 && s < dims.length && dims[s] == UNBOUND) {
            dims[s] = array.dim(d);
            boundBy[s] = input.name();
          }
        }
        for (int d = 0; d < expected.length; d++) {
          matches &= array.dim(d) == dimValue(expected[d], dims);
        }
      }
      if (!matches) {
        boolean showDtype = array.dtype() != input.dtype();
        throw new IllegalArgumentException("input '" + input.name() + "' of '" + spec.name() + "': expected "
            + (showDtype ? input.dtype() + " " : "") + input.shape() + bindings(expected, dims, boundBy) + ", got "
            + (showDtype ? array.dtype() + " " : "") + Arrays.toString(array.shape()));
      }
    }
    return dims;
  }

  /** The symbols of {@code shape} that have a value, as {@code " (batch = 150 from 'x')"}. */
  private String bindings(int[] shape, int[] dims, String[] boundBy) {
    Set<Integer> seen = new LinkedHashSet<>();
    List<String> parts = new ArrayList<>();
    for (int d : shape) {
      int s = -d - 1;
      if (d < 0 && s < dims.length && dims[s] != UNBOUND && seen.add(s)) {
        parts.add(spec.symbols().get(s) + " = " + dims[s] + " from "
            + (boundBy[s] == null ? "the session Dims" : "'" + boundBy[s] + "'"));
      }
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  /** The concrete output shape of entry {@code entry} under {@code dims}. */
  private int[] outputShape(int entry, int[] dims) {
    return resultShape(entry, 0, dims);
  }

  /** The concrete shape of result {@code j} (0: the output) of entry {@code entry} under {@code dims}. */
  private int[] resultShape(int entry, int j, int[] dims) {
    int[] shape = new int[resultShapes[entry][j].length];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = resultDim(entry, j, d, dims);
    }
    return shape;
  }

  /** The number of elements of result {@code j} of entry {@code entry} under {@code dims}. */
  private long resultSize(int entry, int j, int[] dims) {
    long size = 1;
    for (int d = 0; d < resultShapes[entry][j].length; d++) {
      size *= resultDim(entry, j, d, dims);
    }
    return size;
  }

  /** Dimension {@code d} of result {@code j} of entry {@code entry} under {@code dims}. */
  private int resultDim(int entry, int j, int d, int[] dims) {
    int dim = resultShapes[entry][j][d];
    int s = unboundSymbol(dim, dims);
    if (s >= 0) {
      TensorSpec result = result(entry, j);
      throw new IllegalStateException("the result '" + result.name() + "' of '" + spec.entries().get(entry).name()
          + "' has shape " + result.shape() + ", but neither the session Dims nor its inputs bind '"
          + spec.symbols().get(s) + "'");
    }
    return dimValue(dim, dims);
  }

  /** Result {@code j} (0: the output, then the extra outputs) of entry {@code entry}. */
  private TensorSpec result(int entry, int j) {
    EntrySpec e = spec.entries().get(entry);
    return j == 0 ? e.output() : e.extraOutputs().get(j - 1);
  }

  /** Whether {@code array} has the dtype and shape of result {@code j} of {@code entry} under {@code dims}. */
  private boolean fits(int entry, int j, int[] dims, NDArray array) {
    int[] encoded = resultShapes[entry][j];
    boolean fits = array.dtype() == result(entry, j).dtype() && array.rank() == encoded.length;
    for (int d = 0; fits && d < encoded.length; d++) {
      fits = array.dim(d) == resultDim(entry, j, d, dims);
    }
    return fits;
  }

  /** Checks that {@code into} can take the result of entry {@code entry} under {@code dims}. */
  private void checkInto(int entry, int[] dims, NDArray into, NDArray[] inputs) {
    checkInto(entry, 0, dims, into, inputs);
  }

  /** Checks that {@code into} can take result {@code j} of entry {@code entry} under {@code dims}. */
  private void checkInto(int entry, int j, int[] dims, NDArray into, NDArray[] inputs) {
    if (into == null) {
      throw new NullPointerException("the array to write " + describeResult(entry, j) + " into is null");
    }
    if (!fits(entry, j, dims, into)) {
      TensorSpec result = result(entry, j);
      throw new IllegalArgumentException(describeResult(entry, j) + " is " + result.dtype() + " " + result.shape() + " = "
          + Arrays.toString(resultShape(entry, j, dims)) + ", cannot write it into " + into.dtype() + " "
          + Arrays.toString(into.shape()));
    }
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i].data() == into.data()) {
        throw new IllegalArgumentException("the array to write " + describeResult(entry, j) + " into is also its input '"
            + spec.entries().get(entry).inputs().get(i).name() + "'");
      }
    }
  }

  /** "the result of 'entry'" or "result 'entry[j]'", for messages. */
  private String describeResult(int entry, int j) {
    return j == 0 ? "the result of '" + spec.entries().get(entry).name() + "'" : "result '" + result(entry, j).name() + "'";
  }

  /**
   * Runs the executor on inputs that {@link #bind} accepted, with the entry's reused array of
   * input data, which is cleared afterwards so that the session keeps no caller array alive.
   */
  void execute(int entry, NDArray[] inputs, int[] dims, Object output, float[][] gradients) {
    execute(entry, inputs, dims, output, null, gradients);
  }

  /**
   * {@link #execute(int, NDArray[], int[], Object, float[][])} for an entry that may have extra
   * results: their arrays are {@code extras} when the caller wants them, else the session's
   * scratch arrays.
   */
  void execute(int entry, NDArray[] inputs, int[] dims, Object output, Object[] extras, float[][] gradients) {
    Object[] data = callData[entry];
    for (int i = 0; i < inputs.length; i++) {
      data[i] = inputs[i].data();
    }
    Object[] outputs = outputArrays[entry];
    try {
      if (outputs == null) {
        executor.run(entry, dims, data, variables, output, gradients);
        return;
      }
      outputs[0] = output;
      for (int j = 1; j < outputs.length; j++) {
        outputs[j] = extras != null ? extras[j - 1] : scratch(entry, j - 1, dims);
      }
      executor.run(entry, dims, data, variables, outputs, gradients);
    } finally {
      Arrays.fill(data, null);
      if (outputs != null) {
        Arrays.fill(outputs, null);
      }
    }
  }

  /** The session's array for extra result {@code j} of {@code entry}, large enough under {@code dims}. */
  private Object scratch(int entry, int j, int[] dims) {
    long size = resultSize(entry, j + 1, dims);
    boolean ints = result(entry, j + 1).dtype() == DType.INT32;
    Object a = extraScratch[entry][j];
    int length = a == null ? -1 : ints ? ((int[]) a).length : ((float[]) a).length;
    if (length < size) {
      a = ints ? new int[Math.toIntExact(size)] : new float[Math.toIntExact(size)];
      extraScratch[entry][j] = a;
    }
    return a;
  }

  private String describeInputs(int entry) {
    List<String> parts = new ArrayList<>();
    for (TensorSpec input : spec.entries().get(entry).inputs()) {
      parts.add(input.name() + " " + input.dtype() + " " + input.shape());
    }
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  private int variableIndex(String name) {
    Integer v = variableIndex.get(name);
    if (v == null) {
      throw new IllegalArgumentException("model '" + spec.name() + "' has no variable '" + name + "'; variables: "
          + variableNames());
    }
    return v;
  }

  private void checkEntry(int entry) {
    if (entry < 0 || entry >= spec.entries().size()) {
      throw new IllegalArgumentException("model '" + spec.name() + "' has entries 0 to " + (spec.entries().size() - 1)
          + ", not " + entry);
    }
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("session of model '" + spec.name() + "' is closed");
    }
  }
}
