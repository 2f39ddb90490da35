package dev.graft.processor.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.processor.eval.DoubleArray;
import dev.graft.processor.eval.Interpreter;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.processor.testing.InMemoryCompiler;
import dev.graft.runtime.CompiledModel;
import dev.graft.runtime.ModelExecutor;
import dev.graft.runtime.kernel.Kernels;
import dev.graft.runtime.kernel.ScalarKernels;
import dev.graft.runtime.kernel.ThreadPool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;

/** Compiles generated models in memory and runs them against the reference interpreter. */
final class Harness {
  private Harness() {}

  static final ThreadPool POOL = new ThreadPool(1);

  /**
   * The scalar library, except that row work (a product's epilogue, a loop through {@code
   * forRows}) runs in ranges of 1, 2, 3, … rows, the last range first: what a pool does to a
   * generated row loop, made deterministic, so that every generated {@code run(row0, row1)} is
   * checked on ranges that start past row 0 and end before the last.
   */
  static Kernels splittingKernels() {
    Kernels scalar = new ScalarKernels(POOL);
    return (Kernels) java.lang.reflect.Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
        (proxy, method, args) -> {
          int last = args == null ? -1 : args.length - 1;
          if (method.getName().equals("forRows")) {
            runInRanges((Kernels.RowWork) args[2], (int) args[0]);
            return null;
          }
          if (method.getName().equals("gemm") && args[last] instanceof Kernels.RowWork work) {
            Object[] plain = args.clone();
            plain[last] = null;
            method.invoke(scalar, plain);
            runInRanges(work, (int) args[args.length == 13 ? 2 : 1]); // m
            return null;
          }
          try {
            return method.invoke(scalar, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static void runInRanges(Kernels.RowWork work, int rows) {
    List<int[]> ranges = new ArrayList<>();
    for (int r0 = 0, len = 1; r0 < rows; r0 += len, len++) ranges.add(new int[] {r0, Math.min(rows, r0 + len)});
    for (int i = ranges.size() - 1; i >= 0; i--) work.run(ranges.get(i)[0], ranges.get(i)[1]);
  }

  /** javac's warning that a compilation uses an incubator module, which no flag turns off. */
  static final String INCUBATING_WARNING = "compiler.warn.incubating.modules";

  /**
   * A compiled generated class, and its nested Vector API variant when it was generated.
   *
   * @param vector the {@code $Vector} class, or null
   */
  record Compiled(GeneratedSource source, CompiledModel model, CompiledModel vector, Map<String, byte[]> classFiles) {}

  static Compiled compile(ModelGraph model, FusionPolicy policy) {
    return compile(model, policy, false);
  }

  /**
   * Generates and compiles {@code model}; with {@code vector}, also its Vector API variant, compiled
   * with {@code --add-modules jdk.incubator.vector} and no warning but javac's incubator notice.
   */
  static Compiled compile(ModelGraph model, FusionPolicy policy, boolean vector) {
    GeneratedSource src = CodeGenerator.generate(model, policy, vector);
    InMemoryCompiler compiler = vector
        ? InMemoryCompiler.create().withOptions("--add-modules", "jdk.incubator.vector", "-Xlint:all")
        : InMemoryCompiler.create().withOptions("-Xlint:all", "-Werror");
    InMemoryCompiler.Result r = compiler.compile(src.qualifiedName(), src.source());
    if (!r.success()) fail("generated source does not compile:\n" + r.describe() + "\n" + numbered(src.source()));
    for (Diagnostic<? extends JavaFileObject> d : r.diagnostics()) {
      if (d.getKind() != Diagnostic.Kind.NOTE && !INCUBATING_WARNING.equals(d.getCode())) {
        fail("generated source compiles with a warning:\n" + r.describe() + "\n" + numbered(src.source()));
      }
    }
    try {
      ClassLoader loader = r.classLoader();
      CompiledModel scalar = (CompiledModel) loader.loadClass(src.qualifiedName()).getConstructor().newInstance();
      CompiledModel vectorVariant = null;
      if (vector) {
        String name = src.qualifiedName() + "$" + CodeGenerator.VECTOR_CLASS;
        vectorVariant = (CompiledModel) loader.loadClass(name).getConstructor().newInstance();
      }
      return new Compiled(src, scalar, vectorVariant, r.classFiles());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  static String numbered(String s) {
    StringBuilder b = new StringBuilder();
    String[] lines = s.split("\n", -1);
    for (int i = 0; i < lines.length; i++) b.append(String.format("%4d  %s%n", i + 1, lines[i]));
    return b.toString();
  }

  static ModelGraph.VariableDecl variable(String name, Shape shape) {
    return new ModelGraph.VariableDecl(name, shape, Init.NORMAL, 0, 0, 0, 0, 0.1f, true, SourcePos.UNKNOWN);
  }

  static ModelGraph.InputDecl input(String name, Shape shape, DType dtype) {
    return new ModelGraph.InputDecl(name, shape, dtype, SourcePos.UNKNOWN);
  }

  /** Random values for every input and variable of a model, with int inputs below {@code intBound}. */
  static final class Feeds {
    final Map<String, Integer> dims;
    final Map<String, DoubleArray> inputs = new LinkedHashMap<>();
    final Map<String, DoubleArray> variables = new LinkedHashMap<>();

    Feeds(ModelGraph model, Map<String, Integer> dims, long seed, int intBound) {
      this.dims = dims;
      Random r = new Random(seed);
      for (ModelGraph.VariableDecl v : model.variables()) variables.put(v.name(), random(v.shape(), DType.FLOAT32, r, intBound));
      for (ModelGraph.Entry e : model.entries()) {
        for (ModelGraph.InputDecl in : e.inputs()) inputs.putIfAbsent(in.name(), random(in.shape(), in.dtype(), r, intBound));
      }
    }

    private DoubleArray random(Shape s, DType dtype, Random r, int intBound) {
      int[] shape = Interpreter.concreteShape(s, dims);
      int n = 1;
      for (int d : shape) n *= d;
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        // floats are exactly representable so the reference sees what the kernels see
        v[i] = dtype == DType.INT32 ? r.nextInt(intBound) : (float) (r.nextDouble() * 2 - 1);
      }
      return DoubleArray.of(v, shape);
    }
  }

  /** Runs entry {@code entry} and returns the result then (with gradients) the gradients, as floats. */
  static List<float[]> run(Compiled c, ModelGraph model, int entry, Feeds feeds, boolean withGradients) {
    ModelExecutor ex = c.model().newExecutor(new ScalarKernels(POOL));
    return run(ex, model, entry, feeds, withGradients);
  }

  static List<float[]> run(ModelExecutor ex, ModelGraph model, int entry, Feeds feeds, boolean withGradients) {
    ModelGraph.Entry e = model.entries().get(entry);
    List<String> symbols = model.symbols();
    int[] dims = new int[symbols.size()];
    for (int i = 0; i < dims.length; i++) dims[i] = feeds.dims.get(symbols.get(i));
    Object[] inputs = new Object[e.inputs().size()];
    for (int i = 0; i < inputs.length; i++) {
      ModelGraph.InputDecl d = e.inputs().get(i);
      double[] v = feeds.inputs.get(d.name()).data();
      if (d.dtype() == DType.INT32) {
        int[] a = new int[v.length];
        for (int j = 0; j < v.length; j++) a[j] = (int) v[j];
        inputs[i] = a;
      } else {
        inputs[i] = toFloats(v);
      }
    }
    float[][] variables = new float[model.variables().size()][];
    for (int i = 0; i < variables.length; i++) variables[i] = toFloats(feeds.variables.get(model.variables().get(i).name()).data());
    int outSize = Interpreter.concreteDim(e.result().shape().size(), feeds.dims);
    float[] output = new float[outSize];
    java.util.Arrays.fill(output, Float.NaN); // every element must be written
    float[][] gradients = null;
    if (withGradients) {
      List<ModelGraph.VariableDecl> t = model.trainableVariables();
      gradients = new float[t.size()][];
      List<Integer> rowIds = e.gradientRowIds();
      for (int i = 0; i < t.size(); i++) {
        gradients[i] = new float[Interpreter.concreteDim(t.get(i).shape().size(), feeds.dims)];
        // every element must be written, but a row-sparse gradient arrives zero (ModelExecutor's contract)
        if (rowIds.isEmpty() || rowIds.get(i) < 0) java.util.Arrays.fill(gradients[i], Float.NaN);
      }
    }
    ex.run(entry, dims, inputs, variables, output, gradients);
    List<float[]> out = new ArrayList<>();
    out.add(output);
    if (gradients != null) out.addAll(List.of(gradients));
    return out;
  }

  static List<DoubleArray> reference(ModelGraph model, int entry, Feeds feeds, boolean withGradients) {
    Interpreter in = new Interpreter(feeds.dims, feeds.inputs, feeds.variables);
    ModelGraph.Entry e = model.entries().get(entry);
    List<DoubleArray> out = new ArrayList<>();
    out.add(in.evaluate(e.result()));
    if (withGradients) for (Node g : e.gradients()) out.add(in.evaluate(g));
    return out;
  }

  static float[] toFloats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }

  /** Asserts {@code actual} matches {@code expected} within a relative-and-absolute float tolerance. */
  static void assertClose(String what, DoubleArray expected, float[] actual, double tolerance) {
    double[] e = expected.data();
    assertTrue(e.length == actual.length, what + ": " + actual.length + " values, expected " + e.length);
    for (int i = 0; i < e.length; i++) {
      double diff = Math.abs(e[i] - actual[i]);
      if (!(diff <= tolerance * (1 + Math.abs(e[i])))) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + e[i] + " (tolerance " + tolerance + ")");
      }
    }
  }

  static Map<String, Integer> dims(Object... kv) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
    return m;
  }
}
