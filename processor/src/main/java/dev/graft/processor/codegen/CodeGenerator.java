package dev.graft.processor.codegen;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeSpec;
import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.memory.MemoryPlan;
import dev.graft.processor.memory.MemoryPlanner;
import dev.graft.processor.memory.Storage;
import dev.graft.processor.schedule.EntrySchedule;
import dev.graft.processor.schedule.FusionPolicy;
import dev.graft.processor.schedule.Kernel;
import dev.graft.processor.schedule.Scheduler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Writes the class {@code Graft<Model>}: the model's {@code ModelSpec}, one private static method
 * per kernel, an {@code Executor} whose straight-line entry methods call those kernels in
 * schedule order, and a typed {@code Facade} over a runtime {@code Session}. Output is
 * deterministic: the same graph gives byte-identical source.
 *
 * <p><b>The Vector API variant.</b> When asked to (the processor does so when the compiling javac
 * can see the module {@code jdk.incubator.vector}, that is, when the build passes {@code
 * --add-modules jdk.incubator.vector} to the compiler, unless {@code -Agraft.simd=false}), the
 * class also holds the public nested class {@code Graft<Model>.Vector} (binary name {@code
 * Graft<Model>$Vector}, {@value #VECTOR_CLASS}): another {@code CompiledModel} with the same spec,
 * whose own {@code Executor} runs the same schedule and memory plan but calls Vector API versions
 * of the fused elementwise kernels and matmul epilogues (see {@link KernelEmitter}). Every other
 * kernel, the constants and the spec are the enclosing class's private members, which the nested
 * class calls and reads directly (nestmates), so nothing is written twice but the loops that
 * differ and the straight-line entry methods. The enclosing class never refers to the nested one:
 * the runtime loads it by name, and only when it chose the Vector API kernel library, so the
 * scalar class runs where {@code jdk.incubator.vector} does not exist (Android, plain JVMs). A
 * nested class rather than a sibling {@code Graft<Model>Vector} cannot collide with the class
 * generated for a model named {@code <Model>Vector}. Without the module nothing changes: the
 * scalar class alone, no diagnostic.
 */
public final class CodeGenerator {
  static final String RUNTIME = "dev.graft.runtime";
  static final ClassName COMPILED_MODEL = ClassName.get(RUNTIME, "CompiledModel");
  static final ClassName MODEL_EXECUTOR = ClassName.get(RUNTIME, "ModelExecutor");
  static final ClassName MODEL_SPEC = ClassName.get(RUNTIME, "ModelSpec");
  static final ClassName KERNELS = ClassName.get(RUNTIME + ".kernel", "Kernels");
  static final ClassName PREPARED_MATRIX = ClassName.get(RUNTIME + ".kernel", "PreparedMatrix");
  static final ClassName DTYPE = ClassName.get(DType.class);
  static final ClassName INIT = ClassName.get(dev.graft.dsl.Init.class);
  static final ClassName LIST = ClassName.get(List.class);

  /** Kernel calls per generated method before an entry method is split into parts. */
  static final int CALLS_PER_METHOD = 60;
  /** Row work objects an executor creates in one method (see {@code executor}). */
  static final int ROW_WORKS_PER_METHOD = 100;

  /** Constants up to this many elements are array literals; larger ones are decoded from a string. */
  static final int LITERAL_CONSTANT_LIMIT = 16;

  /** The simple name of the nested Vector API variant, loaded by the runtime as {@code Graft<Model>$Vector}. */
  public static final String VECTOR_CLASS = "Vector";

  static final ClassName VECTOR_SPECIES_OF_FLOAT = ClassName.get(Float.class);

  private final ModelGraph model;
  private final FusionPolicy policy;
  private final boolean vectorVariant;
  private final Map<String, String> vectorMethodNames = new LinkedHashMap<>(); // identity -> name
  private final List<MethodSpec> vectorKernelMethods = new ArrayList<>();
  /** Constant fields by node (nodes of scan bodies have ids of their own graph, so ids may repeat). */
  private final Map<Node, String> constants = new LinkedHashMap<>();
  private final Map<String, String> methodNames = new LinkedHashMap<>(); // identity -> name
  private final List<MethodSpec> kernelMethods = new ArrayList<>();
  /** Row work classes of kernel methods, beside them: of the enclosing class and of the vector class. */
  private final List<TypeSpec> rowWorkTypes = new ArrayList<>();
  private final List<TypeSpec> vectorRowWorkTypes = new ArrayList<>();
  /** The generated class. */
  private final ClassName self;
  private int floatSlots;
  private int intSlots;
  /** Right matrix operands the loops prepare once per call (see {@code Kernels.prepareB}). */
  private int preparedMatrices;

  private CodeGenerator(ModelGraph model, FusionPolicy policy, boolean vectorVariant) {
    this.model = model;
    this.policy = policy;
    this.vectorVariant = vectorVariant;
    this.self = ClassName.get(model.packageName(), model.generatedName());
  }

  /** The scalar class alone. */
  public static GeneratedSource generate(ModelGraph model) {
    return generate(model, FusionPolicy.DEFAULT, false);
  }

  /** The scalar class alone. */
  public static GeneratedSource generate(ModelGraph model, FusionPolicy policy) {
    return generate(model, policy, false);
  }

  /**
   * @param vectorVariant whether to add the nested Vector API variant; only when the code will be
   *     compiled with {@code jdk.incubator.vector} visible
   */
  public static GeneratedSource generate(ModelGraph model, FusionPolicy policy, boolean vectorVariant) {
    return new CodeGenerator(model, policy, vectorVariant).write();
  }

  /** The schedules of every entry mode, in the order the generated class lists them. */
  public static List<EntrySchedule> schedules(ModelGraph model, FusionPolicy policy) {
    Scheduler scheduler = new Scheduler(policy);
    List<EntrySchedule> out = new ArrayList<>();
    for (ModelGraph.Entry e : model.entries()) {
      out.add(scheduler.schedule(e, false));
      if (e.kind() == ModelGraph.EntryKind.LOSS && !e.gradients().isEmpty()) out.add(scheduler.schedule(e, true));
    }
    return out;
  }

  private GeneratedSource write() {
    String name = model.generatedName();
    KernelEmitter emitter = new KernelEmitter(model.symbols(), this::constantField, false);
    List<MethodSpec> entryMethods = new ArrayList<>();
    List<EntrySchedule> schedules = schedules(model, policy);
    List<MemoryPlan> plans = new ArrayList<>();
    Map<String, String> rowWorks = new LinkedHashMap<>();
    for (EntrySchedule s : schedules) {
      MemoryPlan plan = MemoryPlanner.plan(s);
      plans.add(plan);
      EntryWriter writer = new EntryWriter(model, s, plan, emitter, this);
      entryMethods.addAll(writer.methods());
      floatSlots = Math.max(floatSlots, writer.floatSlotsNeeded());
      intSlots = Math.max(intSlots, writer.intSlotsNeeded());
      preparedMatrices = Math.max(preparedMatrices, writer.preparedNeeded());
      rowWorks.putAll(writer.rowWorks());
    }
    TypeSpec vectorType = null;
    if (vectorVariant) {
      // The same schedules and plans again: kernels without a vector body come out identical
      // and resolve to the scalar methods written above.
      KernelEmitter vectorEmitter = new KernelEmitter(model.symbols(), this::constantField, true);
      List<MethodSpec> vectorEntryMethods = new ArrayList<>();
      Map<String, String> vectorRowWorks = new LinkedHashMap<>();
      for (int i = 0; i < schedules.size(); i++) {
        EntryWriter writer = new EntryWriter(model, schedules.get(i), plans.get(i), vectorEmitter, this);
        vectorEntryMethods.addAll(writer.methods());
        vectorRowWorks.putAll(writer.rowWorks());
      }
      vectorType = vectorVariant(vectorEntryMethods, vectorRowWorks);
    }

    TypeSpec.Builder type = TypeSpec.classBuilder(name)
        .addJavadoc("Generated by Graft from {@code $L}: the compiled kernels and entry points of the model.\n"
            + "Each kernel method names the IR nodes it computes and the model lines they come from.\n", model.modelName())
        .addAnnotation(AnnotationSpec.builder(ClassName.get("javax.annotation.processing", "Generated"))
            .addMember("value", "$S", "dev.graft.processor.GraftProcessor").build())
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .addSuperinterface(COMPILED_MODEL);
    type.addField(FieldSpec.builder(MODEL_SPEC, "SPEC", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .initializer(SpecWriter.spec(model)).build());
    List<Node> constantNodes = new ArrayList<>(constants.keySet());
    constantNodes.sort(java.util.Comparator.comparing(constants::get, java.util.Comparator.comparingInt(String::length)
        .thenComparing(java.util.Comparator.naturalOrder())));
    for (Node c : constantNodes) type.addField(constantFieldSpec(c));
    type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).build());
    type.addMethod(MethodSpec.methodBuilder("spec").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(MODEL_SPEC).addStatement("return SPEC").build());
    type.addMethod(MethodSpec.methodBuilder("newExecutor").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(MODEL_EXECUTOR).addParameter(KERNELS, "kernels").addStatement("return new Executor(kernels)").build());
    FacadeWriter.addTo(type, model, self);
    type.addType(executor(entryMethods, rowWorks));
    if (vectorType != null) type.addType(vectorType);
    type.addMethods(kernelMethods);
    type.addTypes(rowWorkTypes);
    if (constants.keySet().stream().anyMatch(c -> c.attrs().realCount() > LITERAL_CONSTANT_LIMIT)) type.addMethod(unpack());

    JavaFile file = JavaFile.builder(model.packageName(), type.build())
        .indent("  ")
        .skipJavaLangImports(true)
        .build();
    return new GeneratedSource(model.packageName(), name, file.toString());
  }

  /**
   * The name of the kernel method for {@code m}, adding the method the first time: to the
   * enclosing class ({@code k0_...}), or for a Vector API body to the nested vector class
   * ({@code v0_...}; a different prefix, so that a call from the nested class to a scalar kernel
   * is never hidden by a vector method of the same name).
   */
  String kernelMethod(KernelMethod m) {
    Map<String, String> names = m.vector() ? vectorMethodNames : methodNames;
    List<MethodSpec> methods = m.vector() ? vectorKernelMethods : kernelMethods;
    return names.computeIfAbsent(m.identity(), id -> {
      String name = (m.vector() ? "v" : "k") + methods.size() + "_" + m.kernel().opSummary();
      MethodSpec.Builder b = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("$L", m.javadoc());
      ClassName rowWork = null;
      if (m.rowWork() != null) {
        rowWork = m.vector() ? self.nestedClass(VECTOR_CLASS).nestedClass(rowWorkClass(name)) : self.nestedClass(rowWorkClass(name));
        (m.vector() ? vectorRowWorkTypes : rowWorkTypes).add(rowWorkType(rowWork, name, m.rowWork()));
      }
      for (KernelMethod.Param p : m.params()) {
        if (p instanceof KernelMethod.KernelsParam) b.addParameter(KERNELS, p.name());
        else if (p instanceof KernelMethod.RowWorkParam) b.addParameter(rowWork, p.name());
        else if (p instanceof KernelMethod.ArrayParam a) b.addParameter(a.ints() ? int[].class : float[].class, a.name());
        else if (p instanceof KernelMethod.PreparedParam) b.addParameter(PREPARED_MATRIX, p.name());
        else b.addParameter(int.class, p.name());
      }
      methods.add(b.addCode(m.body()).build());
      return name;
    });
  }

  /** The nested row work class of kernel method {@code method}: {@code k3_matmul_add} has {@code K3Rows}. */
  static String rowWorkClass(String method) {
    String prefix = method.substring(0, method.indexOf('_'));
    return Character.toUpperCase(prefix.charAt(0)) + prefix.substring(1) + "Rows";
  }

  /** The executor field holding the row work object of kernel method {@code method}: {@code k3Rows}. */
  static String rowWorkField(String method) {
    return method.substring(0, method.indexOf('_')) + "Rows";
  }

  /**
   * The row work class of a kernel: the fields its method fills and {@code run}, the kernel's
   * loop over rows [row0, row1). An executor holds one instance per class and runs one call at a
   * time, so the fields are never shared by two products.
   */
  private static TypeSpec rowWorkType(ClassName type, String method, KernelMethod.RowWorkClass e) {
    TypeSpec.Builder t = TypeSpec.classBuilder(type).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("The loop of {@link #$L} over a range of rows, which the kernel library runs.\n",
            method)
        .addSuperinterface(KERNELS.nestedClass("RowWork"));
    for (KernelMethod.Param p : e.fields()) {
      t.addField(p instanceof KernelMethod.ArrayParam a ? (a.ints() ? int[].class : float[].class) : int.class, p.name());
    }
    return t.addMethod(MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .addParameter(int.class, "row0").addParameter(int.class, "row1").addCode(e.body()).build()).build();
  }

  /** The static field of a constant that lives in an array (registers it). */
  String constantField(Node c) {
    return constants.computeIfAbsent(c, n -> {
      String name = "C" + n.id();
      for (int k = 1; constants.containsValue(name); k++) name = "C" + n.id() + "_" + k;
      return name;
    });
  }

  /** The scheduler of this generation's fusion policy (loops schedule their bodies with it). */
  Scheduler scheduler() {
    return new Scheduler(policy);
  }

  private FieldSpec constantFieldSpec(Node c) {
    double[] values = c.attrs().reals();
    CodeBlock init;
    if (values.length <= LITERAL_CONSTANT_LIMIT) {
      List<String> parts = new ArrayList<>();
      for (double v : values) parts.add(Names.floatLiteral(v));
      init = CodeBlock.of("{$L}", String.join(", ", parts));
    } else {
      ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (double v : values) bytes.putFloat((float) v);
      String encoded = Base64.getEncoder().encodeToString(bytes.array());
      List<CodeBlock> chunks = new ArrayList<>();
      for (int i = 0; i < encoded.length(); i += 16384) {
        chunks.add(CodeBlock.of("$S", encoded.substring(i, Math.min(encoded.length(), i + 16384))));
      }
      init = CodeBlock.of("unpack($L)", CodeBlock.join(chunks, ", "));
    }
    return FieldSpec.builder(float[].class, constants.get(c), Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Constant %$L $L$L.\n", c.id(), c.shape(), c.position().line() > 0 ? " from " + c.position() : "")
        .initializer(init).build();
  }

  private static MethodSpec unpack() {
    return MethodSpec.methodBuilder("unpack").addModifiers(Modifier.PRIVATE, Modifier.STATIC).varargs()
        .addJavadoc("Decodes a constant stored as base64 little-endian floats (weights are never array literals).\n")
        .returns(float[].class).addParameter(String[].class, "parts")
        .addStatement("byte[] bytes = $T.getDecoder().decode(String.join(\"\", parts))", Base64.class)
        .addStatement("float[] values = new float[bytes.length / 4]")
        .addStatement("$T.wrap(bytes).order($T.LITTLE_ENDIAN).asFloatBuffer().get(values)", ByteBuffer.class, ByteOrder.class)
        .addStatement("return values").build();
  }

  /**
   * The nested class {@value #VECTOR_CLASS}: the spec of the enclosing class, an executor over
   * {@code vectorEntryMethods} and the vector kernels.
   */
  private TypeSpec vectorVariant(List<MethodSpec> vectorEntryMethods, Map<String, String> rowWorks) {
    return TypeSpec.classBuilder(VECTOR_CLASS)
        .addJavadoc("The Vector API variant of the model: the same entry points, with the fused elementwise loops and matmul\n"
            + "epilogues on {@code jdk.incubator.vector}; every other kernel is the enclosing class's. The runtime loads it\n"
            + "by name, and only when it runs the Vector API kernel library; nothing else refers to it.\n")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addSuperinterface(COMPILED_MODEL)
        .addField(FieldSpec.builder(ParameterizedTypeName.get(KernelEmitter.VECTOR_SPECIES, VECTOR_SPECIES_OF_FLOAT), "SPECIES",
            Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer("$T.SPECIES_PREFERRED", KernelEmitter.FLOAT_VECTOR).build())
        .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).build())
        .addMethod(MethodSpec.methodBuilder("spec").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(MODEL_SPEC).addStatement("return SPEC").build())
        .addMethod(MethodSpec.methodBuilder("newExecutor").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(MODEL_EXECUTOR).addParameter(KERNELS, "kernels").addStatement("return new Executor(kernels)").build())
        .addType(executor(vectorEntryMethods, rowWorks))
        .addMethods(vectorKernelMethods)
        .addTypes(vectorRowWorkTypes)
        .build();
  }

  /**
   * @param rowWorks the row work objects the entry methods pass: executor field to kernel method
   */
  private TypeSpec executor(List<MethodSpec> entryMethods, Map<String, String> rowWorks) {
    TypeSpec.Builder t = TypeSpec.classBuilder("Executor").addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Runs the entry points with its own workspace, which grows to the largest call and is then reused.\n")
        .addSuperinterface(MODEL_EXECUTOR)
        .addField(KERNELS, "kernels", Modifier.PRIVATE, Modifier.FINAL)
        .addField(FieldSpec.builder(float[][].class, "floats", Modifier.PRIVATE, Modifier.FINAL)
            .initializer("new float[$L][0]", floatSlots).build());
    MethodSpec.Builder constructor = MethodSpec.constructorBuilder().addParameter(KERNELS, "kernels")
        .addStatement("this.kernels = kernels");
    if (intSlots > 0) {
      t.addField(FieldSpec.builder(int[][].class, "ints", Modifier.PRIVATE, Modifier.FINAL)
          .initializer("new int[$L][0]", intSlots).build());
    }
    if (preparedMatrices > 0) {
      t.addField(FieldSpec.builder(com.palantir.javapoet.ArrayTypeName.of(PREPARED_MATRIX), "prepared", Modifier.PRIVATE,
          Modifier.FINAL).initializer("new $T[$L]", PREPARED_MATRIX, preparedMatrices).build());
    }
    // Up to ROW_WORKS_PER_METHOD row work objects are final fields with initializers (which
    // javac puts in the constructor); more are created by methods of that many each, so that no
    // method grows with the number of kernels.
    boolean chunked = rowWorks.size() > ROW_WORKS_PER_METHOD;
    List<MethodSpec.Builder> creators = new ArrayList<>();
    int created = 0;
    for (Map.Entry<String, String> e : rowWorks.entrySet()) {
      String method = e.getValue();
      ClassName type = method.startsWith("v") ? self.nestedClass(VECTOR_CLASS).nestedClass(rowWorkClass(method))
          : self.nestedClass(rowWorkClass(method));
      if (!chunked) {
        t.addField(FieldSpec.builder(type, e.getKey(), Modifier.PRIVATE, Modifier.FINAL).initializer("new $T()", type).build());
        continue;
      }
      t.addField(FieldSpec.builder(type, e.getKey(), Modifier.PRIVATE).build());
      if (created++ % ROW_WORKS_PER_METHOD == 0) {
        String name = "createRowWorks" + creators.size();
        creators.add(MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE));
        constructor.addStatement("$L()", name);
      }
      creators.get(creators.size() - 1).addStatement("$L = new $T()", e.getKey(), type);
    }
    t.addMethod(constructor.build());
    for (MethodSpec.Builder c : creators) t.addMethod(c.build());
    MethodSpec.Builder run = MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .addParameter(int.class, "entry").addParameter(int[].class, "dims").addParameter(Object[].class, "inputs")
        .addParameter(float[][].class, "variables").addParameter(Object.class, "output")
        .addParameter(float[][].class, "gradients");
    run.beginControlFlow("switch (entry)");
    List<ModelGraph.Entry> entries = model.entries();
    for (int i = 0; i < entries.size(); i++) {
      ModelGraph.Entry e = entries.get(i);
      run.addCode("case $L:\n$>", i);
      String args = "dims, inputs, variables, output, gradients";
      if (e.kind() == ModelGraph.EntryKind.LOSS && !e.gradients().isEmpty()) {
        run.beginControlFlow("if (gradients == null)").addStatement("$L($L)", EntryWriter.methodName(e, false), args);
        run.nextControlFlow("else").addStatement("$L($L)", EntryWriter.methodName(e, true), args).endControlFlow();
      } else {
        run.addStatement("$L($L)", EntryWriter.methodName(e, false), args);
      }
      run.addStatement("return");
      run.addCode("$<");
    }
    run.addCode("default:\n$>");
    run.addStatement("throw new $T(\"no entry point \" + entry)", IllegalArgumentException.class);
    run.addCode("$<");
    run.endControlFlow();
    t.addMethod(run.build());
    t.addMethods(entryMethods);
    if (floatSlots > 0) t.addMethod(workspace("floatWorkspace", "floats", float[].class));
    if (intSlots > 0) t.addMethod(workspace("intWorkspace", "ints", int[].class));
    return t.build();
  }

  private static MethodSpec workspace(String name, String field, Class<?> type) {
    String elem = type == float[].class ? "float" : "int";
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE).returns(type)
        .addParameter(int.class, "slot").addParameter(int.class, "size")
        .addStatement("$T w = $L[slot]", type, field)
        .beginControlFlow("if (w.length < size)")
        .addStatement("w = new $L[size]", elem)
        .addStatement("$L[slot] = w", field)
        .endControlFlow()
        .addStatement("return w").build();
  }

  /** {@code Math.max(a, Math.max(b, c))} over the sizes a slot holds. */
  static String maxOf(List<Dim> sizes) {
    String s = sizes.get(sizes.size() - 1).toJava(Names::symbol);
    for (int i = sizes.size() - 2; i >= 0; i--) s = "Math.max(" + sizes.get(i).toJava(Names::symbol) + ", " + s + ")";
    return s;
  }

}
