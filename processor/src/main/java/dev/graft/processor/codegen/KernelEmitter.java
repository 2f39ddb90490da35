package dev.graft.processor.codegen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.processor.schedule.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes the body of one kernel method, in one of two variants.
 *
 * <p>Scalar (always): plain Java over {@code float}; the class that holds it never refers to the
 * Vector API, so it runs everywhere, Android included.
 *
 * <p>Vector (when the compilation can see {@code jdk.incubator.vector}): fused elementwise loops
 * and matmul epilogues get a {@code FloatVector} main loop over the innermost (contiguous) loop
 * with {@code SPECIES_PREFERRED}, followed by a scalar tail that is the scalar variant's loop
 * body (see {@link #vectorElementwise}). Every other kernel is emitted exactly as in the scalar
 * variant, so {@link CodeGenerator} finds it already written and the vector class calls the
 * scalar method. Only Vector API parts stable from JDK 17 to 25 are used: {@code float[]} loads
 * and stores, lanewise arithmetic and math ({@code EXP}, {@code LOG}, {@code SQRT}, {@code
 * POW}; tanh and sigmoid are written around {@code EXP}), {@code compare} and {@code blend}.
 */
final class KernelEmitter {
  static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
  static final ClassName VECTOR_OPERATORS = ClassName.get("jdk.incubator.vector", "VectorOperators");
  static final ClassName FLOAT_MATH = ClassName.get(CodeGenerator.RUNTIME + ".kernel", "FloatMath");
  static final ClassName VECTOR_SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");
  static final ClassName NARROW_ROWS = ClassName.get(CodeGenerator.RUNTIME + ".kernel", "NarrowRows");

  /**
   * A fixed innermost extent below this stays scalar in the vector variant when the loop has one
   * level or more than two: the vector loop would not run once with 128-bit vectors (4 floats),
   * the narrowest the JDK offers on x86 and ARM. Two levels take {@link #narrowRows} instead.
   */
  static final int MIN_VECTOR_EXTENT = 4;

  /**
   * An elementwise kernel of a fixed size below this keeps its loop inline; larger ones, and ones
   * whose size depends on a symbol, go through {@code Kernels.forRows}, which decides at run time
   * (with the libraries' threshold of 2¹⁶ elements) whether to split them across the pool.
   */
  static final long ROW_LOOP_MIN_ELEMENTS = 1L << 16;

  /**
   * A two-level loop of at most this many members gets the {@link #narrowRows} branch, which
   * writes the members twice more; a longer fused chain would approach HotSpot's 8000-byte limit
   * on a compiled method (BytecodeBudgetTest), and does enough work per element that the loop
   * over a row costs little beside it.
   */
  static final int NARROW_MAX_MEMBERS = 32;

  private final List<String> symbolOrder;
  private final Function<Node, String> constantField;
  private final boolean vector;
  /** Whether the kernel being emitted adds into its output (see {@link #emit(Kernel, boolean, boolean)}). */
  private boolean accumulate;
  /** Whether the kernel being emitted takes its matmul's B prepared. */
  private boolean preparedB;
  /** The row work class of the kernel being emitted, once its body is written; else null. */
  private KernelMethod.RowWorkClass rowWorkClass;

  /**
   * @param symbolOrder the model's symbols, which orders symbol parameters
   * @param constantField the static field holding a constant (registers the field)
   * @param vector whether to write the Vector API variant of elementwise code
   */
  KernelEmitter(List<String> symbolOrder, Function<Node, String> constantField, boolean vector) {
    this.symbolOrder = symbolOrder;
    this.constantField = constantField;
    this.vector = vector;
  }

  KernelMethod emit(Kernel k) {
    return emit(k, false, false);
  }

  /**
   * Whether {@code k}'s right matrix operand can come prepared ({@link #emit(Kernel, boolean,
   * boolean)}): a 2-d product whose B is read by nothing else in the kernel.
   */
  static boolean canTakePreparedB(Kernel k) {
    if (k.kind() != Kernel.Kind.MATMUL) return false;
    Node mm = k.matmul();
    Node b = mm.input(1);
    if (mm.input(0).shape().rank() != 2 || b.shape().rank() != 2 || mm.input(0) == b) return false;
    for (Node m : k.epilogue()) if (m.inputs().contains(b)) return false;
    return true;
  }

  /**
   * Whether {@code k} can add its value into its output array instead of overwriting it (see
   * {@link #emit(Kernel, boolean)}): a plain 2-d matrix product or a scatter-add.
   */
  static boolean canAccumulate(Kernel k) {
    if (k.kind() == Kernel.Kind.MATMUL) return k.members().size() == 1 && k.matmul().input(0).shape().rank() == 2;
    return k.kind() == Kernel.Kind.LIBRARY && k.root().op() == Op.SCATTER_ADD;
  }

  /**
   * @param accumulate add the kernel's value into {@code out} rather than store it (only where
   *     {@link #canAccumulate}): how a loop sums a variable's gradient over time without a pass
   *     of its own
   * @param preparedB take the matrix product's right operand as a {@code PreparedMatrix} (only
   *     where {@link #canTakePreparedB}): how a loop packs a weight once rather than every step
   */
  KernelMethod emit(Kernel k, boolean accumulate, boolean preparedB) {
    if (accumulate && !canAccumulate(k)) throw new IllegalArgumentException("cannot accumulate " + k);
    if (preparedB && !canTakePreparedB(k)) throw new IllegalArgumentException("cannot take a prepared B: " + k);
    this.accumulate = accumulate;
    this.preparedB = preparedB;
    this.rowWorkClass = null;
    List<KernelMethod.Param> params = new ArrayList<>();
    Map<Node, String> arrays = new HashMap<>();
    List<Node> operands = k.operands();
    for (int i = 0; i < operands.size(); i++) arrays.put(operands.get(i), "in" + i);
    boolean rowLoop = parallelLoop(k, arrays);
    boolean library = k.kind() == Kernel.Kind.MATMUL || k.kind() == Kernel.Kind.LIBRARY || rowLoop;
    if (library) params.add(new KernelMethod.KernelsParam());
    if (hooksEpilogue(k) || rowLoop) params.add(new KernelMethod.RowWorkParam());
    for (int i = 0; i < operands.size(); i++) {
      Node o = operands.get(i);
      if (preparedB && o == k.matmul().input(1)) params.add(new KernelMethod.PreparedParam("in" + i, o));
      else params.add(new KernelMethod.ArrayParam("in" + i, o, o.dtype() == DType.INT32));
    }
    params.add(new KernelMethod.ArrayParam("out", k.root(), k.root().dtype() == DType.INT32));
    Set<String> symbols = new LinkedHashSet<>();
    for (Node m : k.members()) collectSymbols(m, symbols);
    for (Node o : operands) collectSymbols(o, symbols);
    for (String s : symbolOrder) {
      if (symbols.contains(s)) params.add(new KernelMethod.SymbolParam(Names.symbol(s), s));
    }
    CodeBlock.Builder body = CodeBlock.builder();
    boolean vectorBody = vector && vectorizes(k, arrays);
    switch (k.kind()) {
      case ELEMENTWISE -> {
        if (rowLoop) {
          rowLoop(body, k, arrays, vectorBody, params);
        } else if (vectorBody) {
          vectorElementwise(body, k, arrays, null, null);
        } else {
          elementwise(body, k, arrays, null, null);
        }
      }
      case MATMUL -> matmul(body, k, arrays, vectorBody, params);
      case LIBRARY -> library(body, k.root(), arrays);
      case LAYOUT -> layout(body, k.root(), arrays);
      case LOOP -> throw new IllegalArgumentException("a loop is written by EntryWriter, not as a kernel method: " + k);
    }
    String doc = javadoc(k, vectorBody, rowLoop) + (accumulate ? "<p>Adds its value into {@code out}.\n" : "")
        + (preparedB ? "<p>Its right matrix operand comes prepared once for the loop.\n" : "");
    return new KernelMethod(k, params, doc, body.build(), vectorBody, rowWorkClass);
  }

  private static void collectSymbols(Node n, Set<String> out) {
    List<Shape> shapes = new ArrayList<>();
    shapes.add(n.shape());
    for (Node in : n.inputs()) shapes.add(in.shape());
    if (n.attrs().target() != null) shapes.add(n.attrs().target());
    for (Shape s : shapes) for (Dim d : s.dims()) out.addAll(d.symbols());
    if (n.attrs().dim() != null) out.addAll(n.attrs().dim().symbols());
  }

  private static String javadoc(Kernel k, boolean vectorBody, boolean rowLoop) {
    StringBuilder b = new StringBuilder();
    b.append(switch (k.kind()) {
      case ELEMENTWISE -> (k.members().size() > 1 ? "Fused elementwise loop" : "Elementwise loop")
          + (rowLoop ? " over row ranges (on the pool when large)" : "");
      case MATMUL -> !hooksEpilogue(k) ? (k.members().size() > 1 ? "Matrix product with an elementwise epilogue applied in place"
          : "Matrix product") : "Matrix product with an elementwise epilogue fused into its store";
      case LIBRARY -> "Kernel library call";
      case LAYOUT -> "Generated copy";
      case LOOP -> "Loop";
    });
    if (vectorBody) b.append(" (Vector API main loop, scalar tail)");
    b.append(" computing ").append(k.root().shape()).append(":\n<ul>\n");
    for (Node m : k.members()) {
      b.append("<li>%").append(m.id()).append(" = ").append(m.op().name().toLowerCase(Locale.ROOT)).append('(');
      for (int i = 0; i < m.inputs().size(); i++) b.append(i == 0 ? "%" : ", %").append(m.input(i).id());
      b.append(") ").append(m.shape());
      String pos = m.position().toString();
      if (!pos.equals("?")) b.append(" at ").append(pos);
      b.append('\n');
    }
    return b.append("</ul>\n").toString();
  }

  // ---- dims

  private static String dim(Dim d) {
    return d.toJava(Names::symbol);
  }

  private static Dim product(Shape s, int from, int to) {
    Dim p = Dim.of(1);
    for (int i = from; i < to; i++) p = p.times(s.dim(i));
    return p;
  }

  private static String size(Shape s) {
    return dim(s.size());
  }

  // ---- elementwise

  /** An operand that elementwise code reads, loaded at loop depth {@code depth} (0: before the loops). */
  private record Load(Node node, String array, int depth, String index, boolean full) {}

  /**
   * The loops of an elementwise kernel. Axes of extent 1 are dropped and neighbouring axes along
   * which every operand either varies or is broadcast are merged, so the common cases are one or
   * two loops; each operand is loaded in the outermost loop where it changes.
   */
  private record LoopNest(List<Dim> extents, List<Load> loads, Set<Node> counts) {
    int levels() {
      return extents.size();
    }

    /** Operands that change along the innermost loop: vectors in a Vector API body. */
    Set<Node> innermost() {
      Set<Node> out = new HashSet<>();
      for (Load l : loads) if (l.depth() == levels() && levels() > 0) out.add(l.node());
      return out;
    }
  }

  private LoopNest loopNest(Kernel k, Map<Node, String> arrays) {
    Shape shape = k.root().shape();
    List<Node> reads = new ArrayList<>();
    for (Node o : k.operands()) if (arrays.containsKey(o) && isReadElementwise(o, k)) reads.add(o);

    // Coalesced loop levels.
    List<Dim> extents = new ArrayList<>();
    List<boolean[]> varies = new ArrayList<>(); // per level, per read operand
    for (int axis = 0; axis < shape.rank(); axis++) {
      Dim extent = shape.dim(axis);
      if (extent.isOne()) continue;
      boolean[] v = new boolean[reads.size()];
      for (int j = 0; j < reads.size(); j++) {
        Shape t = reads.get(j).shape();
        int aligned = axis - (shape.rank() - t.rank());
        v[j] = aligned >= 0 && !t.dim(aligned).isOne();
      }
      if (!extents.isEmpty() && java.util.Arrays.equals(varies.get(varies.size() - 1), v)) {
        extents.set(extents.size() - 1, extents.get(extents.size() - 1).times(extent));
      } else {
        extents.add(extent);
        varies.add(v);
      }
    }
    int levels = extents.size();
    // Operands' indices and the level at which each is loaded.
    List<Load> loads = new ArrayList<>();
    for (int j = 0; j < reads.size(); j++) {
      int innermost = -1;
      List<String> terms = new ArrayList<>();
      boolean full = true;
      for (int l = 0; l < levels; l++) {
        if (!varies.get(l)[j]) {
          full = false;
          continue;
        }
        innermost = l;
        List<String> stride = new ArrayList<>();
        for (int m = l + 1; m < levels; m++) if (varies.get(m)[j]) stride.add("n" + m);
        terms.add(stride.isEmpty() ? "i" + l : "i" + l + " * " + String.join(" * ", stride));
      }
      Node o = reads.get(j);
      loads.add(new Load(o, arrays.get(o), innermost + 1, innermost < 0 ? "0" : String.join(" + ", terms), full && levels > 1));
    }
    // Inline scalars computed once.
    Set<Node> counts = new java.util.TreeSet<>(java.util.Comparator.comparingInt(Node::id));
    for (Node m : k.members()) {
      if (m.op() == Op.COUNT) counts.add(m);
      for (Node in : m.inputs()) {
        while (in.op() == Op.RESHAPE) in = in.input(0);
        if (in.op() == Op.COUNT) counts.add(in);
      }
    }
    return new LoopNest(extents, loads, counts);
  }

  /**
   * Sizes, inline scalars and the loads before any loop, shared by both variants. With {@code
   * rowWidth} (see {@link #elementwise}) the outermost loop ends at row {@code row1}.
   */
  private static void prologue(CodeBlock.Builder body, LoopNest nest, String rowWidth) {
    for (int l = 0; l < nest.levels(); l++) {
      String extent = rowWidth == null || l > 0 ? dim(nest.extents().get(l)) : rowBound(nest, "row1", rowWidth);
      body.addStatement("int n$L = $L", l, extent);
    }
    invariants(body, nest);
    if (nest.levels() > 1) body.addStatement("int o = $L", rowWidth == null ? "0" : "row0 * n1");
  }

  /**
   * Where the outermost loop of a row-range loop stands at {@code row}: the row itself when the
   * loops are rows then columns, else the flat index of the row's first element.
   */
  private static String rowBound(LoopNest nest, String row, String rowWidth) {
    return nest.levels() > 1 || rowWidth.equals("1") ? row : row + " * " + rowWidth;
  }

  /** The counts and the operands loaded once, before any loop. */
  private static void invariants(CodeBlock.Builder body, LoopNest nest) {
    for (Node c : nest.counts()) body.addStatement("float c$L = (float) ($L)", c.id(), countExpression(c));
    loadScalars(body, nest, 0, null);
  }

  /**
   * Whether the kernel's value is the same at every index: every operand is loaded before the
   * loops, and no member is a constant array (which is read at the output index).
   */
  private static boolean indexIndependent(Kernel k, LoopNest nest) {
    return nest.loads().stream().allMatch(l -> l.depth() == 0)
        && k.members().stream().noneMatch(m -> m.op() == Op.CONSTANT && !Kernel.isInlineScalar(m));
  }

  /** {@code float x = in[index]} for the operands loaded at {@code depth}. */
  private static void loadScalars(CodeBlock.Builder body, LoopNest nest, int depth, String fullIndex) {
    for (Load l : nest.loads()) {
      if (l.depth() != depth) continue;
      String index = l.full() ? fullIndex : l.index();
      body.addStatement("$L", "float x" + l.node().id() + " = " + l.array() + "[" + index + "]");
    }
  }

  /**
   * A loop over the root's shape (see {@link LoopNest}).
   *
   * @param inPlace for a matmul epilogue: the product, already in {@code out}
   * @param rowWidth for a loop the kernel library runs on rows {@code [row0, row1)} (see {@code
   *     Kernels.RowWork}): how many elements of the outermost loop make one row when there is one
   *     loop level (a product's column count for its epilogue, 1 when rows are elements); null for
   *     a loop over everything. With two levels, rows are the outer loop's iterations.
   */
  private void elementwise(CodeBlock.Builder body, Kernel k, Map<Node, String> arrays, Node inPlace,
      String rowWidth) {
    Node root = k.root();
    Node uniform = uniformValue(root);
    if (uniform != null && inPlace == null) {
      body.addStatement("$T.fill(out, 0, $L, $L)", java.util.Arrays.class, size(root.shape()), Names.floatLiteral(uniform.attrs().realAt(0)));
      return;
    }
    LoopNest nest = loopNest(k, arrays);
    int levels = nest.levels();
    if (inPlace == null && levels > 0 && indexIndependent(k, nest)) {
      // Nothing changes along any axis (a loss's 1/count cotangent): compute the value once.
      invariants(body, nest);
      for (Node m : k.members()) body.addStatement("float v$L = $L", m.id(), expression(m, k, "0"));
      body.addStatement("$T.fill(out, 0, $L, v$L)", java.util.Arrays.class, size(root.shape()), root.id());
      return;
    }
    prologue(body, nest, rowWidth);
    String outIndex = levels == 0 ? "0" : levels == 1 ? "i0" : "o";
    for (int l = 0; l < levels; l++) {
      String start = l > 0 || rowWidth == null ? "0" : rowBound(nest, "row0", rowWidth);
      body.beginControlFlow("for (int i$L = $L; i$L < n$L; i$L++)", l, start, l, l, l);
      loadScalars(body, nest, l + 1, "o");
    }
    scalarMembers(body, k, inPlace, outIndex);
    if (levels > 1) body.addStatement("o++");
    for (int l = 0; l < levels; l++) body.endControlFlow();
  }

  private void scalarMembers(CodeBlock.Builder body, Kernel k, Node inPlace, String outIndex) {
    for (Node m : k.members()) {
      CodeBlock value = m == inPlace ? CodeBlock.of("out[$L]", outIndex) : expression(m, k, outIndex);
      body.addStatement("float v$L = $L", m.id(), value);
    }
    body.addStatement("out[$L] = v$L", outIndex, k.root().id());
  }

  // ---- elementwise on the Vector API

  /**
   * Whether the vector variant gives {@code k} a Vector API body; other kernels (library calls,
   * layout copies, plain products, fills, loops with no axis or a short fixed innermost axis)
   * keep the scalar method, which the vector class calls.
   */
  private boolean vectorizes(Kernel k, Map<Node, String> arrays) {
    if (k.kind() == Kernel.Kind.ELEMENTWISE) {
      if (uniformValue(k.root()) != null) return false;
    } else if (k.kind() != Kernel.Kind.MATMUL || k.members().size() == 1) {
      return false;
    }
    LoopNest nest = loopNest(k, arrays);
    if (nest.levels() == 0 || (k.kind() == Kernel.Kind.ELEMENTWISE && indexIndependent(k, nest))) return false;
    Dim inner = nest.extents().get(nest.levels() - 1);
    return !inner.isFixed() || inner.value() >= MIN_VECTOR_EXTENT || narrowBranch(k, nest);
  }

  /** Whether the vector loop of {@code k} gets the {@link #narrowRows} branch. */
  private static boolean narrowBranch(Kernel k, LoopNest nest) {
    return nest.levels() == 2 && k.members().size() <= NARROW_MAX_MEMBERS;
  }

  /**
   * The loops of {@link #elementwise} with the innermost one split into a Vector API main loop
   * ({@code SPECIES.length()} elements a step) and a scalar tail that computes exactly what the
   * scalar variant does. Inside the main loop, operands that change along the innermost axis are
   * {@code FloatVector} loads; operands loaded in outer loops, counts and literals stay
   * {@code float} and enter vector operations through the scalar overloads ({@code v.add(x)}) or
   * {@code FloatVector.broadcast}; members computed only from those stay scalar. Vectors live
   * only in locals of one iteration. Two levels whose rows are narrower than a vector run as
   * {@link #narrowRows} (see {@link #narrowBranch}).
   */
  private void vectorElementwise(CodeBlock.Builder body, Kernel k, Map<Node, String> arrays, Node inPlace,
      String rowWidth) {
    LoopNest nest = loopNest(k, arrays);
    int levels = nest.levels();
    int last = levels - 1;
    prologue(body, nest, rowWidth);
    String start = rowWidth == null ? "0" : rowBound(nest, "row0", rowWidth);
    boolean narrow = narrowBranch(k, nest);
    if (narrow) {
      body.beginControlFlow("if (n1 > 0 && n1 < SPECIES.length())");
      narrowRows(body, k, nest, inPlace, start);
      body.nextControlFlow("else");
    }
    for (int l = 0; l < last; l++) {
      body.beginControlFlow("for (int i$L = $L; i$L < n$L; i$L++)", l, l == 0 ? start : "0", l, l, l);
      loadScalars(body, nest, l + 1, null);
    }
    String lane = levels == 1 ? "i0" : "o + i" + last;
    Set<Node> vectors = nest.innermost();
    if (last == 0 && !start.equals("0")) {
      body.addStatement("int i0 = $L", start);
      body.addStatement("int u0 = i0 + SPECIES.loopBound(n0 - i0)");
    } else {
      body.addStatement("int i$L = 0", last);
      body.addStatement("int u$L = SPECIES.loopBound(n$L)", last, last);
    }
    body.beginControlFlow("for (; i$L < u$L; i$L += SPECIES.length())", last, last, last);
    for (Load l : nest.loads()) {
      if (l.depth() != levels) continue;
      body.addStatement("$T x$L = $T.fromArray(SPECIES, $L, $L)", FLOAT_VECTOR, l.node().id(), FLOAT_VECTOR, l.array(),
          l.full() ? lane : l.index());
    }
    vectorMembers(body, k, inPlace, lane, vectors);
    body.endControlFlow();
    body.beginControlFlow("for (; i$L < n$L; i$L++)", last, last, last);
    loadScalars(body, nest, levels, lane);
    scalarMembers(body, k, inPlace, lane);
    body.endControlFlow();
    if (levels > 1) body.addStatement("o += n$L", last);
    for (int l = 0; l < last; l++) body.endControlFlow();
    if (narrow) body.endControlFlow();
  }

  /**
   * Two loop levels whose rows (n1 elements) are narrower than a vector, from {@code o} (the
   * start of row {@code startRow}) to the end of row n0 as one flat loop: a row-at-a-time loop
   * would run only its scalar tail, a few iterations a row (a classifier's bias add over 3
   * classes ran at 2 ns an element). The flat index's row and column are kept in i0 and i1
   * without a division. Operands that vary along both levels are plain loads at the flat
   * index; one that varies along the rows only (a per-row value) or along the columns only (a
   * bias) is gathered with {@code NarrowRows}' index maps. The last partial vector is the scalar
   * loop body.
   */
  private void narrowRows(CodeBlock.Builder body, Kernel k, LoopNest nest, Node inPlace, String startRow) {
    body.add("// rows narrower than a vector: one loop across them, repeated operands gathered\n");
    boolean perColumn = nest.loads().stream().anyMatch(l -> l.depth() == 2 && !l.full());
    boolean perRow = nest.loads().stream().anyMatch(l -> l.depth() == 1);
    if (perColumn) body.addStatement("int[] columns = $T.remainders(n1)", NARROW_ROWS);
    if (perRow) body.addStatement("int[] rows = $T.quotients(n1)", NARROW_ROWS);
    body.addStatement("int flat = o");
    body.addStatement("int flatEnd = n0 * n1");
    body.addStatement("int i0 = $L", startRow);
    body.addStatement("int i1 = 0");
    body.addStatement("int rowStep = SPECIES.length() / n1");
    body.addStatement("int columnStep = SPECIES.length() - rowStep * n1");
    body.beginControlFlow("for (int flatLast = flatEnd - SPECIES.length(); flat <= flatLast; flat += SPECIES.length())");
    Set<Node> vectors = new HashSet<>();
    for (Load l : nest.loads()) {
      if (l.depth() == 0) continue;
      String load = l.full() ? "$T.fromArray(SPECIES, $L, flat)"
          : l.depth() == 2 ? "$T.fromArray(SPECIES, $L, 0, columns, i1)" : "$T.fromArray(SPECIES, $L, i0, rows, i1)";
      body.addStatement("$T x$L = " + load, FLOAT_VECTOR, l.node().id(), FLOAT_VECTOR, l.array());
      vectors.add(l.node());
    }
    vectorMembers(body, k, inPlace, "flat", vectors);
    body.addStatement("i0 += rowStep");
    body.addStatement("i1 += columnStep");
    body.beginControlFlow("if (i1 >= n1)");
    body.addStatement("i1 -= n1");
    body.addStatement("i0++");
    body.endControlFlow();
    body.endControlFlow();
    body.beginControlFlow("for (; flat < flatEnd; flat++)");
    loadScalars(body, nest, 1, "flat");
    loadScalars(body, nest, 2, "flat");
    scalarMembers(body, k, inPlace, "flat");
    body.beginControlFlow("if (++i1 == n1)");
    body.addStatement("i1 = 0");
    body.addStatement("i0++");
    body.endControlFlow();
    body.endControlFlow();
  }

  /**
   * The members of one vector iteration at {@code lane} and the store of the root there; {@code
   * vectors} holds the operands loaded as vectors, and gains the members computed as vectors.
   */
  private void vectorMembers(CodeBlock.Builder body, Kernel k, Node inPlace, String lane, Set<Node> vectors) {
    for (Node m : k.members()) {
      CodeBlock value;
      if (m == inPlace) {
        value = CodeBlock.of("$T.fromArray(SPECIES, out, $L)", FLOAT_VECTOR, lane);
        vectors.add(m);
      } else {
        if (m.op() == Op.TANH && vectors.contains(m.input(0))) {
          // tanh's polynomial reads the square of its operand five times: computed once, the loop
          // inlines four fewer Vector API calls, which kept JDK 17's C2 from compiling an LSTM cell
          // into code that allocates every stored vector (jmh-benchmarks/README.md, 14th session)
          body.addStatement("$T $L = $L.mul($L)", FLOAT_VECTOR, tanhSquare(m), operand(m.input(0), k), operand(m.input(0), k));
        }
        value = vectorExpression(m, k, lane, vectors);
      }
      if (vectors.contains(m)) body.addStatement("$T v$L = $L", FLOAT_VECTOR, m.id(), value);
      else body.addStatement("float v$L = $L", m.id(), value);
    }
    Node root = k.root();
    if (vectors.contains(root)) body.addStatement("v$L.intoArray(out, $L)", root.id(), lane);
    else body.addStatement("$T.broadcast(SPECIES, v$L).intoArray(out, $L)", FLOAT_VECTOR, root.id(), lane);
  }

  /**
   * An elementwise member inside the vector main loop: a {@code FloatVector} expression when an
   * input is a vector (and then {@code m} is added to {@code vectors}), else the scalar one.
   */
  private CodeBlock vectorExpression(Node m, Kernel k, String lane, Set<Node> vectors) {
    if (m.op() == Op.CONSTANT && !Kernel.isInlineScalar(m)) {
      vectors.add(m);
      return CodeBlock.of("$T.fromArray(SPECIES, $L, $L)", FLOAT_VECTOR, constantField.apply(m), lane);
    }
    if (m.op() == Op.CONSTANT || m.op() == Op.COUNT) return CodeBlock.of("$L", expression(m, k, lane));
    String a = operand(m.input(0), k);
    boolean av = vectors.contains(m.input(0));
    boolean unary = m.op().kind() == Op.Kind.UNARY || m.op() == Op.BROADCAST_TO;
    String b = unary ? null : operand(m.input(1), k);
    boolean bv = !unary && vectors.contains(m.input(1));
    if (!av && !bv) return CodeBlock.of("$L", expression(m, k, lane));
    vectors.add(m);
    if (unary) {
      return switch (m.op()) {
        case BROADCAST_TO -> CodeBlock.of("$L", a);
        case NEG -> CodeBlock.of("$L.neg()", a);
        case SQUARE -> CodeBlock.of("$L.mul($L)", a, a);
        case SQRT -> CodeBlock.of("$L.sqrt()", a);
        case EXP, LOG -> CodeBlock.of("$L.lanewise($T.$L)", a, VECTOR_OPERATORS, m.op().name());
        case TANH -> vectorTanh(a, tanhSquare(m));
        case SIGMOID -> CodeBlock.of("$T.broadcast(SPECIES, 1f).div($L.neg().lanewise($T.EXP).add(1f))", FLOAT_VECTOR, a,
            VECTOR_OPERATORS);
        case RELU -> CodeBlock.of("$L.max(0f)", a);
        case ABS -> CodeBlock.of("$L.abs()", a);
        case SIGN -> CodeBlock.of("$L.blend(1f, $L.compare($T.GT, 0f)).blend(-1f, $L.compare($T.LT, 0f))", a, a, VECTOR_OPERATORS, a,
            VECTOR_OPERATORS);
        case POW -> vectorPow(a, m.attrs().realAt(0));
        case CLIP -> CodeBlock.of("$L.max($L).min($L)", a, Names.floatLiteral(m.attrs().realAt(0)), Names.floatLiteral(m.attrs().realAt(1)));
        case INSIDE -> CodeBlock.of("$T.zero(SPECIES).blend(1f, $L.compare($T.GT, $L).and($L.compare($T.LT, $L)))", FLOAT_VECTOR, a,
            VECTOR_OPERATORS, Names.floatLiteral(m.attrs().realAt(0)), a, VECTOR_OPERATORS, Names.floatLiteral(m.attrs().realAt(1)));
        default -> throw new IllegalStateException("not elementwise: " + m);
      };
    }
    // A scalar first operand: commutative ops swap, the others broadcast it.
    String first = av ? a : b;
    String second = av ? b : a;
    CodeBlock left = av ? CodeBlock.of("$L", a) : CodeBlock.of("$T.broadcast(SPECIES, $L)", FLOAT_VECTOR, a);
    return switch (m.op()) {
      case ADD -> CodeBlock.of("$L.add($L)", first, second);
      case MUL -> CodeBlock.of("$L.mul($L)", first, second);
      case MINIMUM -> CodeBlock.of("$L.min($L)", first, second);
      case MAXIMUM -> CodeBlock.of("$L.max($L)", first, second);
      case SUB -> CodeBlock.of("$L.sub($L)", left, b);
      case DIV -> CodeBlock.of("$L.div($L)", left, b);
      case GREATER -> CodeBlock.of("$T.zero(SPECIES).blend(1f, $L.compare($T.$L, $L))", FLOAT_VECTOR, first, VECTOR_OPERATORS,
          av ? "GT" : "LT", second);
      case EQUAL -> CodeBlock.of("$T.zero(SPECIES).blend(1f, $L.compare($T.EQ, $L))", FLOAT_VECTOR, first, VECTOR_OPERATORS, second);
      default -> throw new IllegalStateException("not elementwise: " + m);
    };
  }

  /**
   * tanh around one lanewise {@code EXP}, which both JDK 17 and 25 run about three times faster
   * than lanewise {@code TANH} (jmh-benchmarks/README.md, "Seventh session"): {@code 1 - 2 /
   * (e^(2a) + 1)}, and below |a| = 0.625, where that subtraction cancels bits, the odd
   * polynomial {@code a + a·z·P(z)} with z = a² and Cephes' {@code tanhf} coefficients (a
   * published minimax fit). Infinities give ±1 through the exponential; NaN stays NaN. {@code z}
   * names a local that holds a².
   */
  private static CodeBlock vectorTanh(String a, String z) {
    CodeBlock large = CodeBlock.of("$T.broadcast(SPECIES, 1f).sub($T.broadcast(SPECIES, 2f).div($L.add($L).lanewise($T.EXP).add(1f)))",
        FLOAT_VECTOR, FLOAT_VECTOR, a, a, VECTOR_OPERATORS);
    CodeBlock small = CodeBlock.of("$L.mul(-5.70498872745e-3f).add(2.06390887954e-2f).mul($L).add(-5.37397155531e-2f).mul($L)"
        + ".add(1.33314422036e-1f).mul($L).add(-3.33332819422e-1f).mul($L).fma($L, $L)", z, z, z, z, z, a, a);
    return CodeBlock.of("$L.blend($L, $L.abs().compare($T.LT, 0.625f))", large, small, a, VECTOR_OPERATORS);
  }

  /** The local holding the square of tanh member {@code m}'s operand in a vector loop. */
  private static String tanhSquare(Node m) {
    return "v" + m.id() + "sq";
  }

  private static CodeBlock vectorPow(String a, double exponent) {
    if (exponent == 2) return CodeBlock.of("$L.mul($L)", a, a);
    if (exponent == 1) return CodeBlock.of("$L", a);
    if (exponent == 0.5) return CodeBlock.of("$L.sqrt()", a);
    return CodeBlock.of("$L.pow($L)", a, Names.floatLiteral(exponent));
  }

  private static boolean isReadElementwise(Node operand, Kernel k) {
    for (Node m : k.members()) {
      if (FusionPolicy.isElementwise(m.op()) && m.inputs().contains(operand)) return true;
    }
    return false;
  }

  /** The constant whose value fills a root that is a uniform constant or a broadcast of one. */
  private static Node uniformValue(Node root) {
    Node n = root.op() == Op.BROADCAST_TO ? root.input(0) : root;
    while (n.op() == Op.RESHAPE) n = n.input(0);
    return n.op() == Op.CONSTANT && Kernel.isInlineScalar(n) ? n : null;
  }

  private static String countExpression(Node count) {
    Dim d = count.attrs().target().size();
    return d.isFixed() ? d.value() + "L" : d.coefficient() + "L * " + String.join(" * ",
        d.symbols().stream().map(Names::symbol).toList());
  }

  /**
   * The Java float expression of an elementwise member over already computed values. {@code exp}
   * and {@code log} (and {@code sigmoid}'s exp) call the runtime's {@code FloatMath}: float
   * versions, within 2 ulp, that C2 inlines, 2–3× cheaper than {@code Math}'s stubs.
   */
  private CodeBlock expression(Node m, Kernel k, String outIndex) {
    if (m.op() == Op.CONSTANT) {
      return CodeBlock.of("$L", Kernel.isInlineScalar(m) ? Names.floatLiteral(m.attrs().realAt(0))
          : constantField.apply(m) + "[" + outIndex + "]");
    }
    if (m.op() == Op.COUNT) return CodeBlock.of("c$L", m.id());
    String a = operand(m.input(0), k);
    if (m.op().kind() == Op.Kind.UNARY || m.op() == Op.BROADCAST_TO) {
      return switch (m.op()) {
        case BROADCAST_TO -> CodeBlock.of("$L", a);
        case NEG -> CodeBlock.of("-$L", a);
        case SQUARE -> CodeBlock.of("$L * $L", a, a);
        case SQRT -> CodeBlock.of("(float) Math.sqrt($L)", a);
        case EXP -> CodeBlock.of("$T.exp($L)", FLOAT_MATH, a);
        case LOG -> CodeBlock.of("$T.log($L)", FLOAT_MATH, a);
        case TANH -> CodeBlock.of("(float) Math.tanh($L)", a);
        case SIGMOID -> CodeBlock.of("1f / (1f + $T.exp(-$L))", FLOAT_MATH, a);
        case RELU -> CodeBlock.of("Math.max($L, 0f)", a);
        case ABS -> CodeBlock.of("Math.abs($L)", a);
        case SIGN -> CodeBlock.of("Math.signum($L)", a);
        case POW -> CodeBlock.of("$L", pow(a, m.attrs().realAt(0)));
        case CLIP -> CodeBlock.of("Math.min(Math.max($L, $L), $L)", a, Names.floatLiteral(m.attrs().realAt(0)),
            Names.floatLiteral(m.attrs().realAt(1)));
        case INSIDE -> CodeBlock.of("($L < $L && $L < $L) ? 1f : 0f", Names.floatLiteral(m.attrs().realAt(0)), a, a,
            Names.floatLiteral(m.attrs().realAt(1)));
        default -> throw new IllegalStateException("not elementwise: " + m);
      };
    }
    String b = operand(m.input(1), k);
    return switch (m.op()) {
      case ADD -> CodeBlock.of("$L + $L", a, b);
      case SUB -> CodeBlock.of("$L - $L", a, b);
      case MUL -> CodeBlock.of("$L * $L", a, b);
      case DIV -> CodeBlock.of("$L / $L", a, b);
      case MINIMUM -> CodeBlock.of("Math.min($L, $L)", a, b);
      case MAXIMUM -> CodeBlock.of("Math.max($L, $L)", a, b);
      case GREATER -> CodeBlock.of("$L > $L ? 1f : 0f", a, b);
      case EQUAL -> CodeBlock.of("$L == $L ? 1f : 0f", a, b);
      default -> throw new IllegalStateException("not elementwise: " + m);
    };
  }

  private static String pow(String a, double exponent) {
    if (exponent == 2) return a + " * " + a;
    if (exponent == 1) return a;
    if (exponent == 0.5) return "(float) Math.sqrt(" + a + ")";
    return "(float) Math.pow(" + a + ", " + exponent + ")";
  }

  /** How an elementwise member refers to one of its inputs. */
  private static String operand(Node in, Kernel k) {
    if (k.members().contains(in)) return "v" + in.id();
    Node base = in;
    while (base.op() == Op.RESHAPE) base = base.input(0);
    if (base.op() == Op.COUNT) return "c" + base.id();
    if (Kernel.isInlineScalar(base)) return Names.floatLiteral(base.attrs().realAt(0));
    return "x" + in.id();
  }

  // ---- matmul

  /**
   * Whether {@code k}'s epilogue is handed to the kernel library with its 2-d product (see {@code
   * Kernels.RowWork}), which runs it on each block of finished rows, on the thread that computed
   * them; a batched product applies its epilogue afterwards, in a pass of its own.
   */
  static boolean hooksEpilogue(Kernel k) {
    return k.kind() == Kernel.Kind.MATMUL && k.members().size() > 1 && k.matmul().input(0).shape().rank() == 2
        && k.matmul().input(1).shape().rank() == 2;
  }

  private void matmul(CodeBlock.Builder body, Kernel k, Map<Node, String> arrays, boolean vectorEpilogue,
      List<KernelMethod.Param> params) {
    Node mm = k.matmul();
    Node a = mm.input(0);
    Node b = mm.input(1);
    boolean ta = mm.attrs().intAt(0) == 1;
    boolean tb = mm.attrs().intAt(1) == 1;
    Shape sa = a.shape();
    Shape sb = b.shape();
    int ra = sa.rank();
    Dim m = ta ? sa.dim(ra - 1) : sa.dim(ra - 2);
    Dim kk = ta ? sa.dim(ra - 2) : sa.dim(ra - 1);
    Dim n = tb ? sb.dim(sb.rank() - 2) : sb.dim(sb.rank() - 1);
    boolean hook = hooksEpilogue(k);
    String end = accumulate + (hook ? ", work)" : ")");
    String call = preparedB ? "kernels.gemm(" + ta + ", m, " + arrays.get(a) + ", %s, " + arrays.get(b) + ", out, %s, " + end
        : "kernels.gemm(" + ta + ", " + tb + ", m, n, k, " + arrays.get(a) + ", %s, " + arrays.get(b) + ", %s, out, %s, " + end;
    body.addStatement("int m = $L", dim(m));
    body.addStatement("int n = $L", dim(n));
    body.addStatement("int k = $L", dim(kk));
    if (hook) {
      // A 2-d product: the library runs the epilogue on each block of finished rows.
      rowWork(body, k, arrays, mm, vectorEpilogue, params, dim(n),
          preparedB ? String.format(call, "0", "0") : String.format(call, "0", "0", "0"));
      return;
    }
    if (preparedB) {
      body.addStatement("$L", String.format(call, "0", "0"));
    } else if (ra == 2) {
      body.addStatement("$L", String.format(call, "0", "0", "0"));
    } else {
      body.beginControlFlow("for (int b = 0; b < $L; b++)", dim(sa.dim(0)));
      body.addStatement("$L", String.format(call, "b * m * k", sb.rank() == 3 ? "b * k * n" : "0", "b * m * n"));
      body.endControlFlow();
    }
    if (k.members().size() > 1) {
      body.add("// epilogue, in place\n");
      if (vectorEpilogue) vectorElementwise(body, k, arrays, mm, null);
      else elementwise(body, k, arrays, mm, null);
    }
  }

  /**
   * Whether elementwise kernel {@code k} runs its loop through {@code Kernels.forRows}, which
   * splits it across the pool when it is large: one or two loop levels (rows are elements or
   * outer iterations), a value that changes from element to element, and a size that is not known
   * to be small ({@link #ROW_LOOP_MIN_ELEMENTS}).
   */
  private boolean parallelLoop(Kernel k, Map<Node, String> arrays) {
    if (k.kind() != Kernel.Kind.ELEMENTWISE || uniformValue(k.root()) != null) return false;
    LoopNest nest = loopNest(k, arrays);
    if (nest.levels() < 1 || nest.levels() > 2 || indexIndependent(k, nest)) return false;
    Dim size = k.root().shape().size();
    return !size.isFixed() || size.value() >= ROW_LOOP_MIN_ELEMENTS;
  }

  /** An elementwise kernel through {@code Kernels.forRows} (see {@link #parallelLoop}). */
  private void rowLoop(CodeBlock.Builder body, Kernel k, Map<Node, String> arrays, boolean vectorLoop,
      List<KernelMethod.Param> params) {
    LoopNest nest = loopNest(k, arrays);
    String rows = dim(nest.extents().get(0));
    String elements = nest.levels() == 1 ? "(long) " + rows : "(long) " + rows + " * " + dim(nest.extents().get(1));
    String width = nest.levels() == 1 ? "1" : dim(nest.extents().get(1));
    rowWork(body, k, arrays, null, vectorLoop, params, width, "kernels.forRows(" + rows + ", " + elements + ", work)");
  }

  /**
   * A kernel whose elementwise loop the kernel library runs over row ranges: the method fills the
   * {@code work} object's fields, makes {@code call} (which passes it to the library), then drops
   * its array references so that the executor does not keep a caller's array reachable. {@link
   * #rowWorkClass} gets the class, whose {@code run} is the loop restricted to rows {@code [row0,
   * row1)}.
   *
   * @param inPlace the product, for an epilogue; else null
   * @param rowWidth elements of loop level 0 per row (see {@link #elementwise})
   */
  private void rowWork(CodeBlock.Builder body, Kernel k, Map<Node, String> arrays, Node inPlace, boolean vectorLoop,
      List<KernelMethod.Param> params, String rowWidth, String call) {
    CodeBlock.Builder loop = CodeBlock.builder();
    if (vectorLoop) vectorElementwise(loop, k, arrays, inPlace, rowWidth);
    else elementwise(loop, k, arrays, inPlace, rowWidth);
    CodeBlock loopCode = loop.build();
    // The fields: the arrays and symbols the loop names.
    String text = loopCode.toString();
    List<KernelMethod.Param> fields = new ArrayList<>();
    for (KernelMethod.Param p : params) {
      boolean value = p instanceof KernelMethod.ArrayParam || p instanceof KernelMethod.SymbolParam;
      if (value && java.util.regex.Pattern.compile("\\b" + p.name() + "\\b").matcher(text).find()) fields.add(p);
    }
    for (KernelMethod.Param f : fields) body.addStatement("work.$L = $L", f.name(), f.name());
    body.addStatement("$L", call);
    for (KernelMethod.Param f : fields) if (f instanceof KernelMethod.ArrayParam) body.addStatement("work.$L = null", f.name());
    CodeBlock.Builder run = CodeBlock.builder();
    for (KernelMethod.Param f : fields) {
      String type = f instanceof KernelMethod.ArrayParam a ? (a.ints() ? "int[]" : "float[]") : "int";
      run.addStatement("$L $L = this.$L", type, f.name(), f.name());
    }
    run.add(loopCode);
    rowWorkClass = new KernelMethod.RowWorkClass(fields, run.build());
  }

  // ---- library calls

  private void library(CodeBlock.Builder body, Node n, Map<Node, String> arrays) {
    Node x = n.input(0);
    String in = arrays.get(x);
    Shape s = x.shape();
    switch (n.op()) {
      case REDUCE_SUM, REDUCE_MAX, REDUCE_MEAN -> reduction(body, n, in);
      case SOFTMAX, LOG_SOFTMAX -> body.addStatement("kernels.$L($L, out, $L, $L)", n.op() == Op.SOFTMAX ? "softmaxRows" : "logSoftmaxRows",
          in, dim(product(s, 0, s.rank() - 1)), dim(s.last()));
      case SOFTMAX_CROSS_ENTROPY -> body.addStatement("kernels.softmaxCrossEntropyRows($L, $L, out, $L, $L)", in,
          arrays.get(n.input(1)), dim(product(s, 0, s.rank() - 1)), dim(s.last()));
      case SPARSE_SOFTMAX_CROSS_ENTROPY -> body.addStatement("kernels.sparseSoftmaxCrossEntropyRows($L, $L, out, $L, $L)", in,
          arrays.get(n.input(1)), dim(product(s, 0, s.rank() - 1)), dim(s.last()));
      case SOFTMAX_CROSS_ENTROPY_GRAD -> body.addStatement("kernels.softmaxCrossEntropyGradRows($L, $L, $L, out, $L, $L)",
          in, arrays.get(n.input(1)), arrays.get(n.input(2)), dim(product(s, 0, s.rank() - 1)), dim(s.last()));
      case SPARSE_SOFTMAX_CROSS_ENTROPY_GRAD -> body.addStatement("kernels.sparseSoftmaxCrossEntropyGradRows($L, $L, $L, $L, out, $L, $L)",
          in, arrays.get(n.input(1)), arrays.get(n.input(3)), arrays.get(n.input(2)), dim(product(s, 0, s.rank() - 1)),
          dim(s.last()));
      case GATHER -> body.addStatement("kernels.gather($L, $L, $L, $L, $L, out)", in, dim(s.dim(0)), dim(product(s, 1, s.rank())),
          arrays.get(n.input(1)), size(n.input(1).shape()));
      case SCATTER_ADD -> {
        Shape t = n.shape();
        if (!accumulate) body.addStatement("$T.fill(out, 0, $L, 0f)", java.util.Arrays.class, size(t));
        body.addStatement("kernels.scatterAdd($L, $L, $L, $L, out, $L)", in, size(x.shape()), arrays.get(n.input(1)),
            dim(product(t, 1, t.rank())), dim(t.dim(0)));
      }
      default -> throw new IllegalStateException("no library kernel for " + n);
    }
  }

  private void reduction(CodeBlock.Builder body, Node n, String in) {
    Shape s = n.input(0).shape();
    int[] axes = n.attrs().ints();
    boolean contiguous = axes[axes.length - 1] - axes[0] + 1 == axes.length;
    boolean max = n.op() == Op.REDUCE_MAX;
    if (contiguous) {
      body.addStatement("kernels.$L($L, out, $L, $L, $L)", max ? "reduceMax" : "reduceSum", in, dim(product(s, 0, axes[0])),
          dim(product(s, axes[0], axes[axes.length - 1] + 1)), dim(product(s, axes[axes.length - 1] + 1, s.rank())));
    } else {
      // Axes apart: one pass over the input, each element added into its output cell.
      body.addStatement("$T.fill(out, 0, $L, $L)", java.util.Arrays.class, size(n.shape()), max ? "Float.NEGATIVE_INFINITY" : "0f");
      body.addStatement("int p = 0");
      for (int a = 0; a < s.rank(); a++) body.beginControlFlow("for (int i$L = 0; i$L < $L; i$L++)", a, a, dim(s.dim(a)), a);
      List<String> terms = new ArrayList<>();
      for (int a = 0; a < s.rank(); a++) {
        final int axis = a;
        if (java.util.Arrays.stream(axes).anyMatch(r -> r == axis)) continue;
        List<String> stride = new ArrayList<>();
        for (int b = a + 1; b < s.rank(); b++) {
          final int bb = b;
          if (java.util.Arrays.stream(axes).noneMatch(r -> r == bb)) stride.add(dim(s.dim(b)));
        }
        terms.add(stride.isEmpty() ? "i" + a : "i" + a + " * " + String.join(" * ", stride));
      }
      body.addStatement("int q = $L", terms.isEmpty() ? "0" : String.join(" + ", terms));
      body.addStatement(max ? "out[q] = Math.max(out[q], $L[p++])" : "out[q] += $L[p++]", in);
      for (int a = 0; a < s.rank(); a++) body.endControlFlow();
    }
    if (n.op() == Op.REDUCE_MEAN) {
      Dim count = Dim.of(1);
      for (int a : axes) count = count.times(s.dim(a));
      body.addStatement("float count = (float) ($L)", count.isFixed() ? count.value() + "L" : "(long) " + dim(count));
      body.beginControlFlow("for (int i = 0; i < $L; i++)", size(n.shape()));
      body.addStatement("out[i] /= count");
      body.endControlFlow();
    }
  }

  // ---- layout copies

  private void layout(CodeBlock.Builder body, Node n, Map<Node, String> arrays) {
    Node x = n.input(0);
    String in = arrays.get(x);
    Shape s = x.shape();
    String zero = n.dtype() == DType.INT32 ? "0" : "0f";
    switch (n.op()) {
      case TRANSPOSE -> {
        int[] perm = n.attrs().ints();
        int rank = perm.length;
        for (int a = 0; a < rank; a++) {
          int p = perm[a] < 0 ? perm[a] + rank : perm[a];
          body.addStatement("int s$L = $L", a, dim(product(s, p + 1, rank))); // input stride of output axis a
        }
        body.addStatement("int o = 0");
        for (int a = 0; a < rank; a++) {
          body.beginControlFlow("for (int i$L = 0; i$L < $L; i$L++)", a, a, dim(n.shape().dim(a)), a);
        }
        List<String> terms = new ArrayList<>();
        for (int a = 0; a < rank; a++) terms.add("i" + a + " * s" + a);
        body.addStatement("out[o++] = $L[$L]", in, String.join(" + ", terms));
        for (int a = 0; a < rank; a++) body.endControlFlow();
      }
      case CONCAT -> {
        int axis = n.attrs().intAt(0) < 0 ? n.attrs().intAt(0) + s.rank() : n.attrs().intAt(0);
        String inner = dim(product(s, axis + 1, s.rank()));
        body.addStatement("int o = 0");
        body.beginControlFlow("for (int r = 0; r < $L; r++)", dim(product(s, 0, axis)));
        for (int j = 0; j < n.inputs().size(); j++) {
          Node part = n.input(j);
          String chunk = dim(part.shape().dim(axis)) + " * " + inner;
          body.addStatement("System.arraycopy($L, r * $L, out, o, $L)", arrays.get(part), chunk, chunk);
          body.addStatement("o += $L", chunk);
        }
        body.endControlFlow();
      }
      case SLICE, PAD -> {
        int axis = n.attrs().intAt(0);
        Dim inner = product(s, axis + 1, s.rank());
        String innerText = dim(inner);
        String inChunk = dim(s.dim(axis)) + " * " + innerText;
        String outChunk = dim(n.shape().dim(axis)) + " * " + innerText;
        String offset = n.attrs().dim().isZero() ? "0" : dim(n.attrs().dim()) + " * " + innerText;
        if (n.op() == Op.PAD) body.addStatement("$T.fill(out, 0, $L, $L)", java.util.Arrays.class, size(n.shape()), zero);
        body.beginControlFlow("for (int r = 0; r < $L; r++)", dim(product(s, 0, axis)));
        if (n.op() == Op.SLICE) {
          body.addStatement("System.arraycopy($L, r * ($L) + $L, out, r * ($L), $L)", in, inChunk, offset, outChunk, outChunk);
        } else {
          body.addStatement("System.arraycopy($L, r * ($L), out, r * ($L) + $L, $L)", in, inChunk, outChunk, offset, inChunk);
        }
        body.endControlFlow();
      }
      case ONE_HOT -> {
        String depth = dim(n.attrs().dim());
        body.addStatement("$T.fill(out, 0, $L, 0f)", java.util.Arrays.class, size(n.shape()));
        body.beginControlFlow("for (int i = 0; i < $L; i++)", size(s));
        body.addStatement("int idx = $L[i]", in);
        body.beginControlFlow("if (idx >= 0 && idx < $L)", depth);
        body.addStatement("out[i * $L + idx] = 1f", depth);
        body.endControlFlow();
        body.endControlFlow();
      }
      default -> throw new IllegalStateException("no layout kernel for " + n);
    }
  }
}
