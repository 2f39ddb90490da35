package dev.graft.processor.codegen;

import com.palantir.javapoet.MethodSpec;
import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.memory.MemoryPlan;
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
 */
final class EntryWriter {
  private final ModelGraph model;
  private final EntrySchedule schedule;
  private final MemoryPlan plan;
  private final KernelEmitter emitter;
  private final CodeGenerator generator;

  /** A local the entry method binds: its declaration in the whole method and in a part. */
  private record Local(String name, String declaration, String partDeclaration) {}

  private final Map<String, Local> locals = new LinkedHashMap<>();

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

  List<MethodSpec> methods() {
    ModelGraph.Entry e = schedule.entry();
    String name = methodName(e, schedule.withGradients());
    for (String s : model.symbols()) {
      locals.put(Names.symbol(s), new Local(Names.symbol(s), "int " + Names.symbol(s) + " = dims[" + model.symbols().indexOf(s) + "]", null));
    }
    List<String> statements = new ArrayList<>();
    List<Set<String>> uses = new ArrayList<>();
    for (Kernel k : schedule.kernels()) {
      KernelMethod km = emitter.emit(k);
      String method = generator.kernelMethod(km);
      List<String> args = new ArrayList<>();
      Set<String> used = new LinkedHashSet<>();
      for (KernelMethod.Param p : km.params()) {
        if (p instanceof KernelMethod.KernelsParam) {
          args.add("kernels");
        } else if (p instanceof KernelMethod.ArrayParam a) {
          args.add(array(plan.of(a.value()), used));
        } else {
          args.add(p.name());
          used.add(p.name());
        }
      }
      statements.add(method + "(" + String.join(", ", args) + ")");
      uses.add(used);
    }
    for (MemoryPlan.Copy c : plan.copies()) {
      Set<String> used = new LinkedHashSet<>();
      String src = array(plan.of(c.value()), used);
      String dst = array(c.target(), used);
      Dim size = c.value().shape().size();
      for (String s : size.symbols()) used.add(Names.symbol(s));
      statements.add("System.arraycopy(" + src + ", 0, " + dst + ", 0, " + size.toJava(Names::symbol) + ")");
      uses.add(used);
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
    if (statements.size() <= CodeGenerator.CALLS_PER_METHOD) {
      Set<String> all = new LinkedHashSet<>(workspaceUses);
      for (Set<String> u : uses) all.addAll(u);
      declare(main, all, false);
      for (String s : statements) main.addStatement("$L", s);
      out.add(main.build());
      return out;
    }
    declare(main, workspaceUses, false);
    for (String w : workspace) main.addStatement("$L", w);
    for (int from = 0, part = 0; from < statements.size(); from += CodeGenerator.CALLS_PER_METHOD, part++) {
      int to = Math.min(statements.size(), from + CodeGenerator.CALLS_PER_METHOD);
      String partName = name + "_part" + part;
      main.addStatement("$L($L)", partName, params);
      MethodSpec.Builder m = signature(partName).addJavadoc("Kernels $L to $L of {@link #$L}.\n", from, to - 1, name);
      Set<String> used = new LinkedHashSet<>();
      for (int i = from; i < to; i++) used.addAll(uses.get(i));
      declare(m, used, true);
      for (int i = from; i < to; i++) m.addStatement("$L", statements.get(i));
      out.add(m.build());
    }
    out.add(0, main.build());
    return out;
  }

  private static MethodSpec.Builder signature(String name) {
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
        .addParameter(int[].class, "dims").addParameter(Object[].class, "inputs")
        .addParameter(float[][].class, "variables").addParameter(Object.class, "output")
        .addParameter(float[][].class, "gradients");
  }

  private void declare(MethodSpec.Builder m, Set<String> used, boolean part) {
    for (Local l : locals.values()) {
      if (!used.contains(l.name())) continue;
      String d = part && l.partDeclaration() != null ? l.partDeclaration() : l.declaration();
      m.addStatement("$L", d);
    }
  }

  /** The local naming storage {@code s}, declaring it on first use. */
  private String array(Storage s, Set<String> used) {
    String name;
    if (s instanceof Storage.Constant c) {
      return generator.constantField(c.node());
    } else if (s instanceof Storage.Input in) {
      ModelGraph.InputDecl d = schedule.entry().inputs().get(in.index());
      name = Names.input(d.name());
      String type = d.dtype() == DType.INT32 ? "int[]" : "float[]";
      locals.putIfAbsent(name, new Local(name, type + " " + name + " = (" + type + ") inputs[" + in.index() + "]", null));
    } else if (s instanceof Storage.Variable v) {
      name = Names.variable(model.variables().get(v.index()).name());
      locals.putIfAbsent(name, new Local(name, "float[] " + name + " = variables[" + v.index() + "]", null));
    } else if (s instanceof Storage.Output) {
      name = "out";
      String type = schedule.entry().result().dtype() == DType.INT32 ? "int[]" : "float[]";
      locals.putIfAbsent(name, new Local(name, type + " out = (" + type + ") output", null));
    } else if (s instanceof Storage.Gradient g) {
      name = Names.gradient(model.trainableVariables().get(g.index()).name());
      locals.putIfAbsent(name, new Local(name, "float[] " + name + " = gradients[" + g.index() + "]", null));
    } else {
      Storage.Slot slot = (Storage.Slot) s;
      List<Dim> sizes = (slot.ints() ? plan.intSlots() : plan.floatSlots()).get(slot.index());
      name = (slot.ints() ? "iw" : "w") + slot.index();
      String type = slot.ints() ? "int[]" : "float[]";
      String grow = (slot.ints() ? "intWorkspace(" : "floatWorkspace(") + slot.index() + ", " + CodeGenerator.maxOf(sizes) + ")";
      locals.putIfAbsent(name, new Local(name, type + " " + name + " = " + grow,
          type + " " + name + " = " + (slot.ints() ? "ints[" : "floats[") + slot.index() + "]"));
      for (Dim d : sizes) for (String sym : d.symbols()) used.add(Names.symbol(sym));
    }
    used.add(name);
    return name;
  }

}
