package dev.graft.processor.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.graft.processor.ir.ModelGraph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * The typed facade: {@code GraftFoo.open(device, dims)} gives a {@code Facade} with one method per
 * entry point (named and typed like the model's method), a trainer per loss and a getter per
 * variable, all delegating to a runtime {@code Session}. The trainer classes sit next to the
 * facade ({@code GraftFoo.CostTrainer}), as the README writes them.
 *
 * <p>Allocation-free calls: an output has two methods, one returning a new array, the other
 * writing into the caller's ({@code foo(ins..., into)}, see {@code Session.runInto}). That
 * overload, the loss methods ({@code Session.eval}) and the trainers' {@code step} pass their
 * inputs in an array that the facade or trainer keeps for the entry rather than in a new varargs
 * array, so that a warmed-up call allocates nothing. The array is filled and cleared under the
 * session's lock (the lock {@code Session} itself takes, so a call takes one monitor, re-entered),
 * which keeps threads sharing a facade from mixing their inputs and the facade from keeping an
 * input alive.
 */
final class FacadeWriter {
  private FacadeWriter() {}

  private static final ClassName SESSION = ClassName.get(CodeGenerator.RUNTIME, "Session");
  private static final ClassName DEVICE = ClassName.get(CodeGenerator.RUNTIME, "Device");
  private static final ClassName DIMS = ClassName.get(CodeGenerator.RUNTIME, "Dims");
  private static final ClassName NDARRAY = ClassName.get(CodeGenerator.RUNTIME, "NDArray");
  private static final ArrayTypeName NDARRAY_ARRAY = ArrayTypeName.of(NDARRAY);
  private static final ClassName OPTIMIZER = ClassName.get(CodeGenerator.RUNTIME, "Optimizer");
  private static final ClassName TRAINER = ClassName.get(CodeGenerator.RUNTIME, "Trainer");

  static void addTo(TypeSpec.Builder type, ModelGraph model, ClassName self) {
    ClassName facade = self.nestedClass("Facade");
    type.addMethod(MethodSpec.methodBuilder("open").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(facade)
        .addJavadoc("Opens the model on {@code device} with the dimension symbols in {@code dims} bound.\n")
        .addParameter(DEVICE, "device").addParameter(DIMS, "dims")
        .addStatement("return new Facade($T.open(new $T(), device, dims))", SESSION, self).build());
    type.addMethod(MethodSpec.methodBuilder("open").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(facade)
        .addJavadoc("Opens the model on {@code device}; symbols are bound from each call's inputs.\n")
        .addParameter(DEVICE, "device")
        .addStatement("return open(device, $T.none())", DIMS).build());

    TypeSpec.Builder f = TypeSpec.classBuilder("Facade").addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Typed access to a session of {@code $L}.\n", model.modelName())
        .addSuperinterface(AutoCloseable.class)
        .addField(SESSION, "session", Modifier.PRIVATE, Modifier.FINAL)
        .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).addParameter(SESSION, "session")
            .addStatement("this.session = session").build())
        .addMethod(MethodSpec.methodBuilder("session").addModifiers(Modifier.PUBLIC).returns(SESSION)
            .addStatement("return session").build())
        .addMethod(MethodSpec.methodBuilder("initialize").addModifiers(Modifier.PUBLIC).addParameter(long.class, "seed")
            .addJavadoc("Initializes every variable from its declared initializer, reproducibly from {@code seed}.\n")
            .addStatement("session.initialize(seed)").build())
        .addMethod(MethodSpec.methodBuilder("close").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .addStatement("session.close()").build());
    Set<String> taken = new HashSet<>(Set.of("session", "initialize", "close", "open", "equals", "hashCode", "toString",
        "getClass", "notify", "notifyAll", "wait", "clone", "finalize"));
    List<ModelGraph.Entry> entries = model.entries();
    List<TypeSpec> trainers = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      ModelGraph.Entry e = entries.get(i);
      String name = free(e.name(), taken);
      List<String> args = new ArrayList<>();
      MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PUBLIC);
      for (ModelGraph.InputDecl in : e.inputs()) {
        m.addParameter(NDARRAY, in.name());
        args.add(in.name());
      }
      String argsField = "args" + i;
      f.addField(argsField(argsField, args.size()));
      if (e.kind() == ModelGraph.EntryKind.LOSS) {
        m.addJavadoc("Runs loss '$L' forward and returns its value; allocates nothing once warm.\n", e.name())
            .returns(float.class)
            .addCode(reusingArgs(argsField, args, "this.session.eval(" + i + ", this." + argsField + ")"));
        f.addMethod(m.build());
        String trainerType = Names.capitalize(e.name()) + "Trainer";
        ClassName trainerClass = self.nestedClass(trainerType);
        f.addMethod(MethodSpec.methodBuilder(free(e.name() + "Trainer", taken)).addModifiers(Modifier.PUBLIC)
            .addJavadoc("A trainer that minimizes '$L' with {@code optimizer}.\n", e.name())
            .returns(trainerClass).addParameter(OPTIMIZER, "optimizer")
            .addStatement("return new $T(session, session.trainer($L, optimizer))", trainerClass, i).build());
        MethodSpec.Builder step = MethodSpec.methodBuilder("step").addModifiers(Modifier.PUBLIC).returns(float.class)
            .addJavadoc("One training step on a batch; returns the loss before the update. Allocates nothing once "
                + "warm.\n");
        for (ModelGraph.InputDecl in : e.inputs()) step.addParameter(NDARRAY, in.name());
        step.addCode(reusingArgs("args", args, "this.trainer.step(this.args)"));
        trainers.add(TypeSpec.classBuilder(trainerType).addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
            .addJavadoc("Training steps on loss '$L'.\n", e.name())
            .addField(SESSION, "session", Modifier.PRIVATE, Modifier.FINAL)
            .addField(TRAINER, "trainer", Modifier.PRIVATE, Modifier.FINAL)
            .addField(argsField("args", args.size()))
            .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).addParameter(SESSION, "session")
                .addParameter(TRAINER, "trainer")
                .addStatement("this.session = session").addStatement("this.trainer = trainer").build())
            .addMethod(step.build())
            .addMethod(MethodSpec.methodBuilder("trainer").addModifiers(Modifier.PUBLIC).returns(TRAINER)
                .addStatement("return trainer").build())
            .build());
      } else {
        String call = "session.run(" + i + (args.isEmpty() ? "" : ", " + String.join(", ", args)) + ")";
        m.addJavadoc("Runs output '$L' and returns the result in a new array.\n", e.name()).returns(NDARRAY)
            .addStatement("return $L", call);
        f.addMethod(m.build());
        String into = "into";
        while (args.contains(into)) into = into + "_";
        MethodSpec.Builder mInto = MethodSpec.methodBuilder(name).addModifiers(Modifier.PUBLIC).returns(NDARRAY)
            .addJavadoc("Runs output '$L', overwriting {@code $L} with the result, and returns {@code $L} (see\n"
                + "{@link $T#runInto}); allocates nothing once warm.\n", e.name(), into, into, SESSION);
        for (ModelGraph.InputDecl in : e.inputs()) mInto.addParameter(NDARRAY, in.name());
        mInto.addParameter(NDARRAY, into);
        f.addMethod(mInto.addCode(reusingArgs(argsField, args,
            "this.session.runInto(" + i + ", " + into + ", this." + argsField + ")")).build());
      }
    }
    for (ModelGraph.VariableDecl v : model.variables()) {
      f.addMethod(MethodSpec.methodBuilder(free(v.name(), taken)).addModifiers(Modifier.PUBLIC).returns(NDARRAY)
          .addJavadoc("A copy of the current value of variable '$L' $L.\n", v.name(), v.shape())
          .addStatement("return session.variable($S)", v.name()).build());
    }
    type.addType(f.build());
    trainers.forEach(type::addType);
  }

  private static FieldSpec argsField(String name, int size) {
    return FieldSpec.builder(NDARRAY_ARRAY, name, Modifier.PRIVATE, Modifier.FINAL)
        .initializer("new $T[$L]", NDARRAY, size).build();
  }

  /**
   * {@code return call;} with the inputs {@code args} passed in the reused array {@code field}
   * rather than a new varargs array. The array is filled under the session's lock, which the
   * session's methods take too, and cleared afterwards so that nothing keeps the inputs alive. An
   * entry without inputs needs neither. Fields go through {@code this.}: an input may be called
   * {@code session} or {@code args}.
   */
  private static CodeBlock reusingArgs(String field, List<String> args, String call) {
    if (args.isEmpty()) {
      return CodeBlock.builder().addStatement("return $L", call).build();
    }
    CodeBlock.Builder code = CodeBlock.builder().beginControlFlow("synchronized (this.session)");
    for (int a = 0; a < args.size(); a++) code.addStatement("this.$L[$L] = $L", field, a, args.get(a));
    code.beginControlFlow("try").addStatement("return $L", call).nextControlFlow("finally");
    for (int a = 0; a < args.size(); a++) code.addStatement("this.$L[$L] = null", field, a);
    return code.endControlFlow().endControlFlow().build();
  }

  private static String free(String name, Set<String> taken) {
    String n = name;
    while (!taken.add(n)) n = n + "_";
    return n;
  }
}
