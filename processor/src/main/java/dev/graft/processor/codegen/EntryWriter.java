package dev.graft.processor.codegen;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.memory.MemoryPlan;
import dev.graft.processor.memory.MemoryPlanner;
import dev.graft.processor.memory.Storage;
import dev.graft.processor.schedule.EntrySchedule;
import dev.graft.processor.schedule.Kernel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Writes the straight-line method of one entry mode: it binds the dims, inputs, variables,
 * caller arrays and workspace slots it needs to locals, then calls the kernels in schedule
 * order. Long schedules are split into parts so that no method nears the JIT's size limit.
 *
 * <p><b>Loops.</b> A LOOP kernel (the outputs of one {@code scan}) becomes a call to a method of
 * its own, {@code <entry>_loop<n>}, which keeps time a loop: it copies the initial carries into
 * carry buffers, then for each step copies row t of every sequence into a slice buffer (and,
 * when BPTT asked for them, the carries entering the step into their histories at row t), runs
 * the straight-line schedule of the step's body (planned like an entry, with its own workspace
 * slots above the entry's), copies each step output into row t of its stacked output, adds each
 * summed output into its accumulator (zeroed first), and copies the new carries into the carry
 * buffers; after the last step it copies the carries out as the final carries. A reverse scan
 * runs t from last to first and still stores what it computes at t in row t. Code size does not
 * depend on the number of steps, which may be zero (the final carries are then the initial ones).
 */
final class EntryWriter {
  private final ModelGraph model;
  private final EntrySchedule schedule;
  private final MemoryPlan plan;
  private final KernelEmitter emitter;
  private final CodeGenerator generator;
  private final List<MethodSpec> loopMethods = new ArrayList<>();
  private int floatSlotsNeeded;
  private int intSlotsNeeded;
  private int preparedNeeded;
  /** The executor's row work objects the methods written so far pass: field name to kernel method. */
  private final Map<String, String> rowWorks = new LinkedHashMap<>();

  /** A local a method binds: its declaration in the whole method and in a part. */
  private record Local(String name, String declaration, String partDeclaration) {}

  /** One statement of a method and the locals it reads. */
  private record Call(String statement, Set<String> used) {}

  EntryWriter(ModelGraph model, EntrySchedule schedule, MemoryPlan plan, KernelEmitter emitter, CodeGenerator generator) {
    this.model = model;
    this.schedule = schedule;
    this.plan = plan;
    this.emitter = emitter;
    this.generator = generator;
  }

  static String methodName(ModelGraph.Entry e, boolean withGradients) {
    return (withGradients ? "forwardBackward_" : "forward_") + e.name();
  }

  /** Float workspace slots the methods written so far use, loops included. */
  int floatSlotsNeeded() {
    return floatSlotsNeeded;
  }

  int intSlotsNeeded() {
    return intSlotsNeeded;
  }

  /** Elements of the executor's {@code prepared} array the methods written so far use. */
  int preparedNeeded() {
    return preparedNeeded;
  }

  /**
   * The executor fields holding row work objects (see {@code KernelMethod.RowWorkClass}) that the
   * methods written so far pass, each with the kernel method whose class it instantiates.
   */
  Map<String, String> rowWorks() {
    return rowWorks;
  }

  List<MethodSpec> methods() {
    ModelGraph.Entry e = schedule.entry();
    String name = methodName(e, schedule.withGradients());
    Scope scope = new Scope(plan, 0, 0, null, name);
    List<Call> calls = calls(scope);
    for (MemoryPlan.Copy c : plan.copies()) {
      Set<String> used = new LinkedHashSet<>();
      String src = scope.array(plan.of(c.value()), used);
      String dst = scope.array(c.target(), used);
      calls.add(new Call("System.arraycopy(" + src + ", 0, " + dst + ", 0, " + size(c.value(), used) + ")", used));
    }

    String params = "dims, inputs, variables, output, gradients";
    MethodSpec.Builder main = signature(name)
        .addJavadoc("$L '$L'$L: $L kernels.\n", e.kind() == ModelGraph.EntryKind.LOSS ? "Loss" : "Output", e.name(),
            schedule.withGradients() ? " with the gradients of every trainable variable" : "", schedule.kernels().size());
    // Workspace slots, grown once to this call's needs.
    List<String> workspace = new ArrayList<>();
    Set<String> workspaceUses = new LinkedHashSet<>();
    for (int i = 0; i < plan.floatSlots().size(); i++) {
      List<Dim> sizes = plan.floatSlots().get(i);
      for (Dim d : sizes) for (String s : d.symbols()) workspaceUses.add(Names.symbol(s));
      workspace.add("floatWorkspace(" + i + ", " + CodeGenerator.maxOf(sizes) + ")");
    }
    for (int i = 0; i < plan.intSlots().size(); i++) {
      List<Dim> sizes = plan.intSlots().get(i);
      for (Dim d : sizes) for (String s : d.symbols()) workspaceUses.add(Names.symbol(s));
      workspace.add("intWorkspace(" + i + ", " + CodeGenerator.maxOf(sizes) + ")");
    }
    List<MethodSpec> out = new ArrayList<>();
    if (calls.size() <= CodeGenerator.CALLS_PER_METHOD) {
      Set<String> all = new LinkedHashSet<>(workspaceUses);
      for (Call c : calls) all.addAll(c.used());
      scope.declare(main, all, false);
      for (Call c : calls) main.addStatement("$L", c.statement());
    } else {
      scope.declare(main, workspaceUses, false);
      for (String w : workspace) main.addStatement("$L", w);
      List<MethodSpec> parts = new ArrayList<>();
      for (int from = 0, part = 0; from < calls.size(); from += CodeGenerator.CALLS_PER_METHOD, part++) {
        int to = Math.min(calls.size(), from + CodeGenerator.CALLS_PER_METHOD);
        String partName = name + "_part" + part;
        main.addStatement("$L($L)", partName, params);
        MethodSpec.Builder m = signature(partName).addJavadoc("Kernels $L to $L of {@link #$L}.\n", from, to - 1, name);
        Set<String> used = new LinkedHashSet<>();
        for (int i = from; i < to; i++) used.addAll(calls.get(i).used());
        scope.declare(m, used, true);
        for (int i = from; i < to; i++) m.addStatement("$L", calls.get(i).statement());
        parts.add(m.build());
      }
      out.addAll(parts);
    }
    out.add(0, main.build());
    out.addAll(loopMethods);
    return out;
  }

  private static MethodSpec.Builder signature(String name) {
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
        .addParameter(int[].class, "dims").addParameter(Object[].class, "inputs")
        .addParameter(float[][].class, "variables").addParameter(Object.class, "output")
        .addParameter(float[][].class, "gradients");
  }

  /** The kernel calls of {@code scope}'s schedule, in order. */
  private List<Call> calls(Scope scope) {
    floatSlotsNeeded = Math.max(floatSlotsNeeded, scope.floatBase + scope.plan.floatSlots().size());
    intSlotsNeeded = Math.max(intSlotsNeeded, scope.intBase + scope.plan.intSlots().size());
    List<Call> calls = new ArrayList<>();
    for (Kernel k : scope.plan.schedule().kernels()) {
      if (k.kind() == Kernel.Kind.LOOP) {
        calls.add(loop(k, scope));
        continue;
      }
      String accumulator = scope.accumulators.get(k.root());
      String prepared = scope.prepared.get(k);
      KernelMethod km = emitter.emit(k, accumulator != null || addsIntoZeroedGradient(k, scope), prepared != null);
      String method = generator.kernelMethod(km);
      List<String> args = new ArrayList<>();
      Set<String> used = new LinkedHashSet<>();
      for (KernelMethod.Param p : km.params()) {
        if (p instanceof KernelMethod.KernelsParam) {
          args.add("kernels");
        } else if (p instanceof KernelMethod.RowWorkParam) {
          String field = CodeGenerator.rowWorkField(method);
          rowWorks.put(field, method);
          args.add(field);
        } else if (p instanceof KernelMethod.PreparedParam) {
          args.add(prepared);
        } else if (p instanceof KernelMethod.ArrayParam a && accumulator != null && a.value() == k.root()) {
          args.add(accumulator);
        } else if (p instanceof KernelMethod.ArrayParam a) {
          args.add(scope.array(scope.plan.of(a.value()), used));
        } else {
          args.add(p.name());
          used.add(p.name());
        }
      }
      calls.add(new Call(method + "(" + String.join(", ", args) + ")", used));
    }
    return calls;
  }

  /**
   * Whether {@code k} is a scatter-add writing a row-sparse gradient (see
   * {@link ModelGraph.Entry#gradientRowIds}) straight into the caller's array, which arrives all
   * zero: it then adds into the rows it touches instead of clearing the whole table first.
   */
  private boolean addsIntoZeroedGradient(Kernel k, Scope scope) {
    if (k.kind() != Kernel.Kind.LIBRARY || !KernelEmitter.canAccumulate(k)) return false;
    if (!(scope.plan.of(k.root()) instanceof Storage.Gradient g)) return false;
    List<Integer> rowIds = schedule.entry().gradientRowIds();
    return !rowIds.isEmpty() && rowIds.get(g.index()) >= 0;
  }

  // ---- loops

  /**
   * Writes the method of LOOP kernel {@code k} (see the class comment) and returns its call. The
   * method's parameters are the loop's inputs ({@code in<i>}: sequences, then initial carries)
   * and the outputs the schedule needs ({@code v<j>}, in the kernel's output order); its locals
   * are the slices ({@code x<j>}), the carries ({@code s<k>}) and the step's workspace.
   */
  private Call loop(Kernel k, Scope outer) {
    Node first = k.outputs().get(0);
    ScanBody body = first.attrs().body();
    boolean reverse = first.attrs().flag();
    List<Node> inputs = first.inputs();
    int sequences = body.sequences().size();
    int carries = body.carries().size();

    // What the step computes: the new carries always, and the step and summed outputs asked for.
    List<Node> results = new ArrayList<>(body.newCarries());
    for (Node o : k.outputs()) {
      ScanBody.OutputKind kind = body.outputKind(o.attrs().intAt(0));
      if (kind == ScanBody.OutputKind.STEP_OUTPUT || kind == ScanBody.OutputKind.SUMMED_OUTPUT) {
        results.add(body.outputNode(o.attrs().intAt(0)));
      }
    }
    EntrySchedule step = generator.scheduler().scheduleStep(results);
    MemoryPlan stepPlan = MemoryPlanner.planStep(step);

    // Loop buffers sit above the enclosing method's slots, the step's slots above them.
    int floatTop = outer.floatBase + outer.plan.floatSlots().size();
    int intTop = outer.intBase + outer.plan.intSlots().size();
    List<String> parameters = new ArrayList<>();
    List<String> buffers = new ArrayList<>();
    Set<String> used = new LinkedHashSet<>();
    for (int j = 0; j < sequences + carries; j++) {
      Node p = body.parameters().get(j);
      String local = j < sequences ? "x" + j : "s" + (j - sequences);
      boolean ints = p.dtype() == DType.INT32;
      int slot = ints ? intTop++ : floatTop++;
      buffers.add((ints ? "int[] " : "float[] ") + local + " = " + (ints ? "intWorkspace(" : "floatWorkspace(") + slot + ", "
          + size(p, used) + ")");
      parameters.add(local);
    }
    // New carries read from another carry's buffer (a swap) go through a buffer of their own.
    List<String> staged = new ArrayList<>();
    for (int c = 0; c < carries; c++) {
      Storage src = stepPlan.of(body.newCarries().get(c));
      boolean otherCarry = src instanceof Storage.Input in && in.index() >= sequences && in.index() != sequences + c;
      staged.add(otherCarry ? "u" + c : null);
      if (otherCarry) {
        buffers.add("float[] u" + c + " = floatWorkspace(" + floatTop++ + ", " + size(body.carries().get(c), used) + ")");
      }
    }
    String name = outer.methodName + "_loop" + outer.loops++;
    Scope inner = new Scope(stepPlan, floatTop, intTop, parameters, name);
    // A summed output that a matmul or scatter-add computes and nothing else reads is added
    // straight into its accumulator by that kernel.
    List<Node> outputs = k.outputs();
    Set<Node> read = new java.util.HashSet<>();
    for (Kernel sk : step.kernels()) for (Node o : sk.operands()) read.add(MemoryPlanner.aliasBase(o));
    for (int j = 0; j < outputs.size(); j++) {
      int index = outputs.get(j).attrs().intAt(0);
      Node result = body.outputNode(index);
      Kernel producer = step.kernelOf(result);
      if (body.outputKind(index) == ScanBody.OutputKind.SUMMED_OUTPUT && producer != null && producer.root() == result
          && KernelEmitter.canAccumulate(producer) && !read.contains(result)
          && results.indexOf(result) == results.lastIndexOf(result) && !inner.accumulators.containsKey(result)) {
        inner.accumulators.put(result, "v" + j);
      }
    }
    // Products by a loop-invariant matrix (a weight, a constant) take it prepared once, before the loop.
    List<String> preparations = new ArrayList<>();
    int preparedTop = outer.preparedBase;
    for (Kernel sk : step.kernels()) {
      if (!KernelEmitter.canTakePreparedB(sk)) continue;
      Node mm = sk.matmul();
      Node b = MemoryPlanner.aliasBase(mm.input(1));
      if (b.op() != dev.graft.processor.ir.Op.VARIABLE && b.op() != dev.graft.processor.ir.Op.CONSTANT) continue;
      boolean tb = mm.attrs().intAt(1) == 1;
      Dim n = tb ? b.shape().dim(0) : b.shape().dim(1);
      Dim kk = tb ? b.shape().dim(1) : b.shape().dim(0);
      String local = "prepared[" + preparedTop + "]";
      preparations.add(local + " = kernels.prepareB(" + tb + ", "
          + dim(n, used) + ", " + dim(kk, used) + ", " + inner.array(stepPlan.of(mm.input(1)), used) + ", 0, prepared["
          + preparedTop + "])");
      inner.prepared.put(sk, local);
      preparedTop++;
    }
    inner.preparedBase = preparedTop;
    preparedNeeded = Math.max(preparedNeeded, preparedTop);
    List<Call> stepCalls = calls(inner);

    MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
        .addJavadoc("The $Lscan at $L over $L steps: its body's kernels run once per step.\n<ul>\n",
            reverse ? "reverse " : "", first.position(), inputs.get(0).shape().dim(0))
        .addParameter(int[].class, "dims").addParameter(float[][].class, "variables");
    List<String> args = new ArrayList<>(List.of("dims", "variables"));
    Set<String> outerUsed = new LinkedHashSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      Node in = inputs.get(i);
      m.addParameter(in.dtype() == DType.INT32 ? int[].class : float[].class, "in" + i);
      args.add(outer.array(outer.plan.of(in), outerUsed));
    }
    for (int j = 0; j < outputs.size(); j++) {
      Node o = outputs.get(j);
      m.addParameter(o.dtype() == DType.INT32 ? int[].class : float[].class, "v" + j);
      args.add(outer.array(outer.plan.of(o), outerUsed));
      m.addJavadoc("<li>v$L = %$L: $L $L\n", j, o.id(), body.outputKind(o.attrs().intAt(0)).name().toLowerCase(java.util.Locale.ROOT)
          .replace('_', ' '), o.shape());
    }
    m.addJavadoc("</ul>\n");

    // The body of the method, written before its declarations (which depend on what it uses).
    CodeBlock.Builder code = CodeBlock.builder();
    for (String b : buffers) code.addStatement("$L", b);
    for (String p : preparations) code.addStatement("$L", p);
    for (int c = 0; c < carries; c++) {
      code.addStatement("System.arraycopy(in$L, 0, s$L, 0, $L)", sequences + c, c, size(body.carries().get(c), used));
    }
    for (int j = 0; j < outputs.size(); j++) {
      if (body.outputKind(outputs.get(j).attrs().intAt(0)) == ScanBody.OutputKind.SUMMED_OUTPUT) {
        code.addStatement("java.util.Arrays.fill(v$L, 0, $L, 0f)", j, size(outputs.get(j), used));
      }
    }
    code.add("int q = $L; // steps\n", dim(inputs.get(0).shape().dim(0), used));
    code.beginControlFlow("for (int p = 0; p < q; p++)");
    code.add("int r = $L; // the row of this step\n", reverse ? "q - 1 - p" : "p");
    for (int j = 0; j < sequences; j++) {
      String n = size(body.sequences().get(j), used);
      code.addStatement("System.arraycopy(in$L, r * $L, x$L, 0, $L)", j, n, j, n);
    }
    for (int j = 0; j < outputs.size(); j++) {
      int index = outputs.get(j).attrs().intAt(0);
      if (body.outputKind(index) != ScanBody.OutputKind.CARRY_HISTORY) continue;
      int c = index - body.results().size();
      String n = size(body.carries().get(c), used);
      code.addStatement("System.arraycopy(s$L, 0, v$L, r * $L, $L)", c, j, n, n);
    }
    for (Call c : stepCalls) {
      code.addStatement("$L", c.statement());
      used.addAll(c.used());
    }
    for (int j = 0; j < outputs.size(); j++) {
      int index = outputs.get(j).attrs().intAt(0);
      ScanBody.OutputKind kind = body.outputKind(index);
      Node result = body.outputNode(index);
      if (kind == ScanBody.OutputKind.STEP_OUTPUT) {
        String n = size(result, used);
        code.addStatement("System.arraycopy($L, 0, v$L, r * $L, $L)", inner.array(stepPlan.of(result), used), j, n, n);
      } else if (kind == ScanBody.OutputKind.SUMMED_OUTPUT && !inner.accumulators.containsKey(result)) {
        String src = inner.array(stepPlan.of(result), used);
        code.beginControlFlow("for (int i0 = 0, n0 = $L; i0 < n0; i0++)", size(result, used));
        code.addStatement("v$L[i0] += $L[i0]", j, src);
        code.endControlFlow();
      }
    }
    List<String> carryUpdates = new ArrayList<>();
    for (int c = 0; c < carries; c++) {
      Node next = body.newCarries().get(c);
      Storage src = stepPlan.of(next);
      if (src instanceof Storage.Input in && in.index() == sequences + c) continue; // carried unchanged
      String n = size(next, used);
      String from = inner.array(src, used);
      if (staged.get(c) != null) {
        code.addStatement("System.arraycopy($L, 0, $L, 0, $L)", from, staged.get(c), n);
        from = staged.get(c);
      }
      carryUpdates.add("System.arraycopy(" + from + ", 0, s" + c + ", 0, " + n + ")");
    }
    for (String u : carryUpdates) code.addStatement("$L", u);
    code.endControlFlow();
    for (int j = 0; j < outputs.size(); j++) {
      int index = outputs.get(j).attrs().intAt(0);
      if (body.outputKind(index) != ScanBody.OutputKind.FINAL_CARRY) continue;
      code.addStatement("System.arraycopy(s$L, 0, v$L, 0, $L)", index, j, size(outputs.get(j), used));
    }

    inner.declare(m, used, false);
    m.addCode(code.build());
    loopMethods.add(m.build());
    return new Call(name + "(" + String.join(", ", args) + ")", outerUsed);
  }

  /** The element count of {@code n}'s shape in Java, noting the symbols it reads. */
  private static String size(Node n, Set<String> used) {
    return dim(n.shape().size(), used);
  }

  private static String dim(Dim d, Set<String> used) {
    for (String s : d.symbols()) used.add(Names.symbol(s));
    return d.toJava(Names::symbol);
  }

  // ---- locals

  /**
   * The locals of one generated method and the storage behind them: an entry method (and its
   * parts), or a loop method, whose body parameters are its slice and carry buffers and whose
   * workspace slots start at {@code floatBase} and {@code intBase}.
   */
  private final class Scope {
    final MemoryPlan plan;
    final int floatBase;
    final int intBase;
    /** For a loop's step, the local holding each body parameter; null for an entry. */
    final List<String> parameters;
    final String methodName;
    final Map<String, Local> locals = new LinkedHashMap<>();
    /** Values a kernel adds into a loop's accumulator (named here) instead of storing them. */
    final Map<Node, String> accumulators = new java.util.HashMap<>();
    /** Matmul kernels whose B the loop prepared, and where it is held. */
    final Map<Kernel, String> prepared = new java.util.HashMap<>();
    /** The first element of the executor's {@code prepared} array this scope's loops may use. */
    int preparedBase;
    int loops;

    Scope(MemoryPlan plan, int floatBase, int intBase, List<String> parameters, String methodName) {
      this.plan = plan;
      this.floatBase = floatBase;
      this.intBase = intBase;
      this.parameters = parameters;
      this.methodName = methodName;
      for (String s : model.symbols()) {
        locals.put(Names.symbol(s), new Local(Names.symbol(s), "int " + Names.symbol(s) + " = dims[" + model.symbols().indexOf(s) + "]", null));
      }
    }

    void declare(MethodSpec.Builder m, Set<String> used, boolean part) {
      for (Local l : locals.values()) {
        if (!used.contains(l.name())) continue;
        String d = part && l.partDeclaration() != null ? l.partDeclaration() : l.declaration();
        m.addStatement("$L", d);
      }
    }

    /** The local naming storage {@code s}, declaring it on first use. */
    String array(Storage s, Set<String> used) {
      String name;
      if (s instanceof Storage.Constant c) {
        return generator.constantField(c.node());
      } else if (s instanceof Storage.Input in && parameters != null) {
        return parameters.get(in.index()); // a loop buffer, declared by the loop
      } else if (s instanceof Storage.Input in) {
        ModelGraph.InputDecl d = schedule.entry().inputs().get(in.index());
        name = Names.input(d.name());
        String type = d.dtype() == DType.INT32 ? "int[]" : "float[]";
        locals.putIfAbsent(name, new Local(name, type + " " + name + " = (" + type + ") inputs[" + in.index() + "]", null));
      } else if (s instanceof Storage.Variable v) {
        name = Names.variable(model.variables().get(v.index()).name());
        locals.putIfAbsent(name, new Local(name, "float[] " + name + " = variables[" + v.index() + "]", null));
      } else if (s instanceof Storage.Output o) {
        // One result is the output array itself; several come as an Object[] of arrays.
        List<Node> results = schedule.entry().results();
        name = o.index() == 0 ? "out" : "out" + o.index();
        String type = results.get(o.index()).dtype() == DType.INT32 ? "int[]" : "float[]";
        String array = results.size() == 1 ? "output" : "((Object[]) output)[" + o.index() + "]";
        locals.putIfAbsent(name, new Local(name, type + " " + name + " = (" + type + ") " + array, null));
      } else if (s instanceof Storage.Gradient g) {
        name = Names.gradient(model.trainableVariables().get(g.index()).name());
        locals.putIfAbsent(name, new Local(name, "float[] " + name + " = gradients[" + g.index() + "]", null));
      } else {
        Storage.Slot slot = (Storage.Slot) s;
        List<Dim> sizes = (slot.ints() ? plan.intSlots() : plan.floatSlots()).get(slot.index());
        int index = (slot.ints() ? intBase : floatBase) + slot.index();
        name = (slot.ints() ? "iw" : "w") + index;
        String type = slot.ints() ? "int[]" : "float[]";
        String grow = (slot.ints() ? "intWorkspace(" : "floatWorkspace(") + index + ", " + CodeGenerator.maxOf(sizes) + ")";
        locals.putIfAbsent(name, new Local(name, type + " " + name + " = " + grow,
            type + " " + name + " = " + (slot.ints() ? "ints[" : "floats[") + index + "]"));
        for (Dim d : sizes) for (String sym : d.symbols()) used.add(Names.symbol(sym));
      }
      used.add(name);
      return name;
    }
  }
}
