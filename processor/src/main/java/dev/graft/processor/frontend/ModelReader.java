package dev.graft.processor.frontend;

import com.sun.source.tree.AnnotationTree;
import com.sun.source.tree.AssignmentTree;
import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.ImportTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.TreePath;
import com.sun.source.util.Trees;
import dev.graft.dsl.Input;
import dev.graft.dsl.Loss;
import dev.graft.dsl.Output;
import dev.graft.dsl.Variable;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.frontend.Value.TensorValue;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.ModelGraph;
import dev.graft.processor.ir.ModelGraph.Entry;
import dev.graft.processor.ir.ModelGraph.EntryKind;
import dev.graft.processor.ir.ModelGraph.InputDecl;
import dev.graft.processor.ir.ModelGraph.VariableDecl;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;

/**
 * The front end: reads one {@code @Model} class into a {@link ModelGraph}. Declarations
 * ({@code @Variable} fields, entry methods and their {@code @Input} parameters) come from the
 * element API, whose annotation values javac has already resolved; method bodies come from
 * the source trees and are evaluated by a {@link BodyReader}. Problems are collected, one per
 * failing declaration or entry, so a user sees every independent error of a model at once.
 */
public final class ModelReader {
  private static final String TENSOR = "dev.graft.dsl.Tensor";

  /** Trees compare by identity, so a key names one problem at one place. */
  private record ProblemKey(Object tree, String message) {}

  /** The model, when it read cleanly, and every problem found. */
  public record Result(ModelGraph model, List<GraftException> problems) {
    public Result {
      problems = List.copyOf(problems);
    }

    public boolean isClean() {
      return problems.isEmpty();
    }
  }

  private final Trees trees;
  private final TypeElement type;
  private final Graph graph = new Graph();
  private final List<GraftException> problems = new ArrayList<>();
  private final Set<ProblemKey> problemKeys = new HashSet<>();
  private final Map<String, Value> fields = new HashMap<>();
  private final Set<String> brokenFields = new HashSet<>();
  private final Map<String, List<ExecutableElement>> methods = new LinkedHashMap<>();
  /** The model's class and its bases, topmost base first. */
  private final List<TypeElement> hierarchy = new ArrayList<>();
  /** For each class of the hierarchy, the methods visible in it by name (its own overriding its bases'). */
  private final Map<TypeElement, Map<String, List<ExecutableElement>>> methodsVisibleIn = new HashMap<>();
  private final List<VariableDecl> variables = new ArrayList<>();
  private final List<Entry> entries = new ArrayList<>();
  private Positions positions;
  private ShapeConstants shapeConstants;
  private CompilationUnitTree unit;

  private ModelReader(Trees trees, TypeElement type) {
    this.trees = trees;
    this.type = type;
  }

  /** Reads {@code model}, whose source javac has parsed; never throws for a problem of the model. */
  public static Result read(Trees trees, TypeElement model) {
    ModelReader reader = new ModelReader(trees, model);
    ModelGraph graph = reader.read();
    return new Result(reader.problems.isEmpty() ? graph : null, reader.problems);
  }

  private ModelGraph read() {
    TreePath path = trees.getPath(type);
    if (path == null) {
      report(new GraftException(Message.NO_SOURCE_TREES, SourcePos.UNKNOWN, "the source of " + type.getQualifiedName()
          + " is not available to the annotation processor"));
      return null;
    }
    unit = path.getCompilationUnit();
    positions = new Positions(trees, unit);
    Tree classTree = path.getLeaf();
    if (type.getKind() != ElementKind.CLASS) {
      report(Message.BAD_MODEL, classTree, "@Model applies to classes, not to " + type.getKind().toString()
          .toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "s");
      return null;
    }
    if (!readHierarchy()) return null;
    Map<String, Long> integers = new HashMap<>();
    for (TypeElement cls : hierarchy) {
      for (Element member : cls.getEnclosedElements()) {
        if (member instanceof VariableElement f && member.getKind() == ElementKind.FIELD
            && (f.getConstantValue() instanceof Integer || f.getConstantValue() instanceof Long)) {
          integers.putIfAbsent(f.getSimpleName().toString(), ((java.lang.Number) f.getConstantValue()).longValue());
        }
      }
    }
    shapeConstants = new ShapeConstants(integers);
    Map<String, TypeElement> fieldOwners = new HashMap<>();
    List<ExecutableElement> slots = new ArrayList<>();
    Map<String, List<ExecutableElement>> visible = new LinkedHashMap<>();
    for (TypeElement cls : hierarchy) {
      for (Element member : cls.getEnclosedElements()) {
        if (member.getKind() == ElementKind.FIELD) {
          String name = member.getSimpleName().toString();
          TypeElement owner = fieldOwners.putIfAbsent(name, cls);
          if (owner != null) {
            report(Message.NAME_COLLISION, trees.getTree(member), "field " + name + " of " + cls.getSimpleName()
                + " hides field " + name + " of " + owner.getSimpleName() + ": a model's fields resolve by name through"
                + " its class hierarchy, so a name is declared once (rename one)");
            continue;
          }
          readField((VariableElement) member);
        } else if (member.getKind() == ElementKind.METHOD) {
          declareMethod(cls, (ExecutableElement) member, visible, slots);
        }
      }
      Map<String, List<ExecutableElement>> snapshot = new LinkedHashMap<>();
      visible.forEach((name, list) -> snapshot.put(name, List.copyOf(list)));
      methodsVisibleIn.put(cls, snapshot);
    }
    methods.putAll(methodsVisibleIn.get(type));
    List<ExecutableElement> entryMethods = new ArrayList<>();
    for (ExecutableElement m : slots) {
      if (isEntry(m)) entryMethods.add(m);
      else checkNoInputs(m);
    }
    if (entryMethods.isEmpty()) {
      report(Message.BAD_MODEL, classTree, type.getSimpleName() + " has no @Output or @Loss method: a model needs at"
          + " least one entry point");
      return null;
    }
    BodyReader body = new BodyReader(trees, positions, new Scope(), new DslOps(graph, positions, shapeConstants));
    Set<String> entryNames = new HashSet<>();
    for (ExecutableElement m : entryMethods) {
      MethodTree tree = trees.getTree(m);
      String name = m.getSimpleName().toString();
      if (!entryNames.add(name)) {
        report(Message.NAME_COLLISION, tree, "two entry methods are named " + name + ": entry points are run by name,"
            + " so overloads are not allowed");
        continue;
      }
      try {
        readEntry(m, tree, body);
      } catch (GraftException e) {
        report(e);
      } catch (BodyReader.Poisoned e) {
        // depends on a declaration whose problem is already reported
      }
    }
    return new ModelGraph(packageName(), modelName(), graph, variables, entries);
  }

  // ---- the class hierarchy

  /**
   * Finds the model's base classes (up to, not including, {@code Object}), topmost first, and
   * places their source trees; false, with one problem reported, when a base has no source trees.
   */
  private boolean readHierarchy() {
    List<TypeElement> chain = new ArrayList<>();
    chain.add(type);
    for (TypeElement c = type; ; ) {
      if (!(c.getSuperclass() instanceof DeclaredType superType)
          || !(superType.asElement() instanceof TypeElement base)
          || base.getQualifiedName().contentEquals("java.lang.Object")) {
        break;
      }
      TreePath basePath = trees.getPath(base);
      if (basePath == null) {
        ClassTree declaration = trees.getTree(c);
        Tree at = declaration != null && declaration.getExtendsClause() != null ? declaration.getExtendsClause()
            : trees.getTree(type);
        report(Message.NO_SOURCE_TREES, at, type.getSimpleName() + " extends " + base.getQualifiedName() + (c == type
            ? "" : " (through " + c.getSimpleName() + ")") + ", whose source is not part of this compilation: a model"
            + " inherits @Variable fields and methods from source, so its base classes must be compiled with it"
            + " (a base class from a library cannot be read)");
        return false;
      }
      positions.include(basePath.getCompilationUnit(), basePath.getLeaf());
      chain.add(0, base);
      c = base;
    }
    hierarchy.addAll(chain);
    return true;
  }

  /**
   * Adds {@code m}, declared in {@code cls}, to the methods visible by name: it replaces the one
   * it overrides (same name and parameter types) there and in the entry slots, keeping the slot.
   */
  private void declareMethod(TypeElement cls, ExecutableElement m, Map<String, List<ExecutableElement>> visible,
      List<ExecutableElement> slots) {
    List<ExecutableElement> named = visible.computeIfAbsent(m.getSimpleName().toString(), k -> new ArrayList<>());
    for (int i = 0; i < named.size(); i++) {
      ExecutableElement overridden = named.get(i);
      if (!sameParameters(overridden, m)) continue;
      named.set(i, m);
      slots.set(slots.indexOf(overridden), m);
      if (isEntry(overridden) && !isEntry(m)) {
        String annotation = overridden.getAnnotation(Loss.class) != null ? "@Loss" : "@Output";
        report(Message.BAD_MODEL, trees.getTree(m), m.getSimpleName() + " of " + cls.getSimpleName() + " overrides the "
            + annotation + " method of " + overridden.getEnclosingElement().getSimpleName() + " without " + annotation
            + ": annotations are not inherited, so repeat " + annotation + " and the @Input parameters");
      }
      return;
    }
    named.add(m);
    slots.add(m);
  }

  private static boolean sameParameters(ExecutableElement a, ExecutableElement b) {
    if (a.getParameters().size() != b.getParameters().size()) return false;
    for (int i = 0; i < a.getParameters().size(); i++) {
      if (!a.getParameters().get(i).asType().toString().equals(b.getParameters().get(i).asType().toString())) return false;
    }
    return true;
  }

  private static boolean isEntry(ExecutableElement m) {
    return m.getAnnotation(Output.class) != null || m.getAnnotation(Loss.class) != null;
  }

  // ---- declarations

  private void readField(VariableElement field) {
    String name = field.getSimpleName().toString();
    Variable annotation = field.getAnnotation(Variable.class);
    Tree tree = trees.getTree(field);
    if (annotation == null) {
      if (isTensor(field.asType())) {
        report(Message.BAD_MODEL, tree, "Tensor field " + name + " needs @Variable(shape = \"...\")");
        brokenFields.add(name);
      } else if (field.getModifiers().contains(Modifier.FINAL) && field.getConstantValue() != null) {
        Object c = field.getConstantValue();
        fields.put(name, c instanceof Boolean b ? new Value.Bool(b) : c instanceof String s ? new Value.Text(s)
            : c instanceof java.lang.Number n ? number(n) : null);
      }
      return;
    }
    if (!isTensor(field.asType())) {
      report(Message.BAD_MODEL, tree, "@Variable field " + name + " must have type Tensor, not " + field.asType());
      brokenFields.add(name);
      return;
    }
    Shape shape = parseShape(annotation.shape(), tree, "Variable", "@Variable " + name);
    if (shape == null) {
      brokenFields.add(name);
      return;
    }
    SourcePos pos = positions.of(tree);
    Node node = graph.at(pos).variable(name, variables.size(), shape);
    variables.add(new VariableDecl(name, shape, annotation.init(), annotation.min(), annotation.max(), annotation.value(),
        annotation.mean(), annotation.stddev(), annotation.trainable(), pos));
    fields.put(name, new TensorValue(node));
  }

  private static Value number(java.lang.Number n) {
    if (n instanceof Integer || n instanceof Short || n instanceof Byte) return new Value.Number(n.intValue(), Value.NumberType.INT);
    if (n instanceof Long) return new Value.Number(n.longValue(), Value.NumberType.LONG);
    if (n instanceof Float) return new Value.Number(n.floatValue(), Value.NumberType.FLOAT);
    return new Value.Number(n.doubleValue(), Value.NumberType.DOUBLE);
  }

  private void checkNoInputs(ExecutableElement m) {
    for (VariableElement p : m.getParameters()) {
      if (p.getAnnotation(Input.class) != null) {
        report(Message.BAD_MODEL, annotationTree(trees.getTree(p), "Input"), "@Input on parameter " + p.getSimpleName()
            + " of " + m.getSimpleName() + ", which is not an @Output or @Loss method");
      }
    }
  }

  private void readEntry(ExecutableElement m, MethodTree tree, BodyReader body) {
    String name = m.getSimpleName().toString();
    boolean loss = m.getAnnotation(Loss.class) != null;
    int before = problems.size();
    if (loss && m.getAnnotation(Output.class) != null) {
      report(Message.BAD_MODEL, tree, name + " is both @Output and @Loss; declare a separate method for each");
    }
    if (!isTensor(m.getReturnType()) && !isTensorArray(m.getReturnType())) {
      report(Message.BAD_MODEL, tree.getReturnType() == null ? tree : tree.getReturnType(), "entry method " + name
          + " must return Tensor (or Tensor[] for several results), not " + m.getReturnType());
    }
    List<InputDecl> inputs = new ArrayList<>();
    Map<String, Value> arguments = new HashMap<>();
    for (VariableElement p : m.getParameters()) {
      String pname = p.getSimpleName().toString();
      VariableTree ptree = (VariableTree) trees.getTree(p);
      Input input = p.getAnnotation(Input.class);
      if (!isTensor(p.asType())) {
        report(Message.BAD_MODEL, ptree, "parameter " + pname + " of entry method " + name + " must be a Tensor with"
            + " @Input(shape = \"...\"), not " + p.asType() + " (constants belong in helper methods or fields)");
        continue;
      }
      if (input == null) {
        report(Message.MISSING_SHAPE, ptree, "parameter " + pname + " of " + name + " needs @Input(shape = \"...\")"
            + " to declare its shape, for example @Input(shape = \"batch, 4\")");
        continue;
      }
      if (fields.containsKey(pname) && fields.get(pname) instanceof TensorValue || brokenFields.contains(pname)) {
        report(Message.NAME_COLLISION, ptree, "input " + pname + " of " + name + " has the name of a @Variable;"
            + " inputs and variables are fed and saved by name, so rename one");
        continue;
      }
      Shape shape = parseShape(input.shape(), ptree, "Input", "@Input " + pname);
      if (shape == null) continue;
      SourcePos pos = positions.of(ptree);
      Node node = graph.at(pos).input(pname, inputs.size(), shape, input.dtype());
      inputs.add(new InputDecl(pname, shape, input.dtype(), pos));
      arguments.put(pname, new TensorValue(node));
    }
    if (problems.size() > before) return;
    BodyReader.Returned returned = body.run(m, arguments);
    List<Node> results;
    if (returned.value() instanceof TensorValue result) {
      results = List.of(result.node());
    } else if (returned.value() instanceof Value.Tensors several && !several.parts().isEmpty()) {
      results = several.parts();
    } else {
      throw new GraftException(Message.UNSUPPORTED, positions.of(returned.expression()), name + " must return a"
          + " tensor or a non-empty Tensor[], got " + Value.describe(returned.value()));
    }
    Node node = results.get(0);
    if (loss && !node.shape().isScalar()) {
      throw new GraftException(Message.LOSS_NOT_SCALAR, positions.of(returned.expression()), "@Loss " + name
          + " returns a tensor of shape " + node.shape() + "; a loss must be a scalar (reduce it with reduceMean or"
          + " reduceSum)");
    }
    if (loss && node.dtype() != dev.graft.dsl.DType.FLOAT32) {
      throw new GraftException(Message.DTYPE, positions.of(returned.expression()), "@Loss " + name
          + " returns an int32 tensor; a loss must be float32");
    }
    entries.add(new Entry(name, loss ? EntryKind.LOSS : EntryKind.OUTPUT, inputs, node, results.subList(1, results.size()),
        List.of(), positions.of(tree)));
  }

  /** Parses an annotation's shape, reporting a problem at its {@code shape = "..."} value. */
  private Shape parseShape(String text, Tree declaration, String annotation, String what) {
    try {
      return shapeConstants.resolve(Shape.parse(text));
    } catch (IllegalArgumentException e) {
      report(Message.BAD_SHAPE, shapeValueTree(declaration, annotation), what + " has shape \"" + text + "\": "
          + e.getMessage());
      return null;
    }
  }

  private Tree shapeValueTree(Tree declaration, String annotation) {
    Tree a = annotationTree(declaration, annotation);
    if (a instanceof AnnotationTree at) {
      for (ExpressionTree arg : at.getArguments()) {
        if (arg instanceof AssignmentTree as && as.getVariable() instanceof IdentifierTree id
            && id.getName().contentEquals("shape")) {
          return as.getExpression();
        }
      }
    }
    return a;
  }

  /** The annotation named {@code simpleName} on a declaration, else the declaration. */
  private static Tree annotationTree(Tree declaration, String simpleName) {
    List<? extends AnnotationTree> annotations = declaration instanceof VariableTree v ? v.getModifiers().getAnnotations()
        : declaration instanceof MethodTree m ? m.getModifiers().getAnnotations() : List.of();
    for (AnnotationTree a : annotations) {
      String n = a.getAnnotationType().toString();
      if (n.equals(simpleName) || n.endsWith("." + simpleName)) return a;
    }
    return declaration;
  }

  private static boolean isTensor(TypeMirror t) {
    String s = t.toString();
    return s.equals(TENSOR) || s.equals("Tensor");
  }

  private static boolean isTensorArray(TypeMirror t) {
    String s = t.toString();
    return s.equals(TENSOR + "[]") || s.equals("Tensor[]");
  }

  // ---- names

  private String packageName() {
    Element e = type;
    while (!(e instanceof PackageElement)) e = e.getEnclosingElement();
    return ((PackageElement) e).getQualifiedName().toString();
  }

  private String modelName() {
    StringBuilder b = new StringBuilder(type.getSimpleName());
    for (Element e = type.getEnclosingElement(); e instanceof TypeElement t; e = t.getEnclosingElement()) {
      b.insert(0, t.getSimpleName() + "_");
    }
    return b.toString();
  }

  // ---- problems

  private void report(Message kind, Tree at, String detail) {
    report(new GraftException(kind, positions.of(at), detail));
  }

  /** Records a problem once, even when a helper inlined into several entries raises it each time. */
  private void report(GraftException e) {
    Object origin = e.position().origin() instanceof TreeOrigin o ? o.tree() : null;
    if (problemKeys.add(new ProblemKey(origin, e.getMessage()))) problems.add(e);
  }

  /** The class body as seen from a method body. */
  private final class Scope implements BodyReader.ModelScope {
    private final Map<CompilationUnitTree, Set<String>> staticImports = new java.util.IdentityHashMap<>();

    @Override
    public Value field(String name) {
      if (brokenFields.contains(name)) throw new BodyReader.Poisoned();
      return fields.get(name);
    }

    @Override
    public List<ExecutableElement> methods(String name) {
      return methods.getOrDefault(name, List.of());
    }

    @Override
    public List<ExecutableElement> superMethods(ExecutableElement from, String name) {
      int at = hierarchy.indexOf(from.getEnclosingElement());
      if (at <= 0) return List.of();
      return methodsVisibleIn.get(hierarchy.get(at - 1)).getOrDefault(name, List.of());
    }

    @Override
    public boolean importsOp(ExecutableElement from, String name) {
      Set<String> imports = staticImports.computeIfAbsent(positions.unitOf(trees.getTree(from)), unit -> {
        Set<String> s = new HashSet<>();
        for (ImportTree i : unit.getImports()) {
          if (i.isStatic()) s.add(i.getQualifiedIdentifier().toString());
        }
        return s;
      });
      return imports.contains("dev.graft.dsl.Ops.*") || imports.contains("dev.graft.dsl.Ops." + name);
    }

    @Override
    public String modelName() {
      return ModelReader.this.modelName();
    }

    @Override
    public boolean isClassName(String simpleName) {
      for (TypeElement c : hierarchy) {
        if (c.getSimpleName().contentEquals(simpleName)) return true;
      }
      return false;
    }
  }
}
