package dev.graft.processor.frontend;

import com.sun.source.tree.ArrayAccessTree;
import com.sun.source.tree.ArrayTypeTree;
import com.sun.source.tree.AssignmentTree;
import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.CompoundAssignmentTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberReferenceTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.NewArrayTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.PrimitiveTypeTree;
import com.sun.source.tree.ReturnTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.TypeCastTree;
import com.sun.source.tree.UnaryTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.Trees;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.frontend.Value.Bool;
import dev.graft.processor.frontend.Value.NumberArray;
import dev.graft.processor.frontend.Value.NumberType;
import dev.graft.processor.frontend.Value.Tensors;
import dev.graft.processor.frontend.Value.TensorValue;
import dev.graft.processor.frontend.Value.Text;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import javax.lang.model.element.ExecutableElement;

/**
 * Evaluates the body of a model method over the graph: locals are bound to the values of their
 * initializers, calls to other model methods are inlined with their arguments bound, and the
 * value of the {@code return} is the method's result. Trees are not attributed, so names are
 * resolved here: locals and parameters, then the model's fields, then the DSL's operations.
 * Anything outside the grammar is a {@link GraftException} at the offending tree.
 */
final class BodyReader {
  /** The value a method body returns, and the expression that computed it. */
  record Returned(Value value, ExpressionTree expression) {}

  /** Thrown when a value depends on a declaration that already failed (and was reported). */
  static final class Poisoned extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Poisoned() {
      super(null, null, false, false);
    }
  }

  /** What a model's class body offers to method bodies. */
  interface ModelScope {
    /** The value of field {@code name}: a variable's node or a constant; null when unknown. Throws {@link Poisoned}. */
    Value field(String name);

    /**
     * The model's methods named {@code name} (empty when none): for each signature the most
     * derived declaration in the model's class hierarchy, so calls dispatch as Java's do.
     */
    List<ExecutableElement> methods(String name);

    /** The methods named {@code name} as the superclass of {@code from}'s class sees them: {@code super.name(...)}. */
    List<ExecutableElement> superMethods(ExecutableElement from, String name);

    /** Whether the compilation unit that declares {@code from} statically imports the DSL operation {@code name}. */
    boolean importsOp(ExecutableElement from, String name);

    /** The model's name, nested classes joined with '_'. */
    String modelName();

    /** Whether {@code simpleName} names the model class or one of its bases, as a qualifier of constants. */
    boolean isClassName(String simpleName);
  }

  private final Trees trees;
  private final Positions positions;
  private final ModelScope model;
  private final DslOps ops;
  private final Deque<ExecutableElement> callStack;
  /**
   * Step bodies already read, by step method and parameter types: reading the same step for the
   * same shapes again gives the same body object, so two identical scans hash-cons into one loop.
   */
  private final Map<List<Object>, ScanBody> stepBodies;

  BodyReader(Trees trees, Positions positions, ModelScope model, DslOps ops) {
    this(trees, positions, model, ops, new ArrayDeque<>(), new HashMap<>());
  }

  /** A reader for a scan step's body: its own graph and scope, the caller's stack (to catch recursion). */
  private BodyReader(Trees trees, Positions positions, ModelScope model, DslOps ops, Deque<ExecutableElement> callStack,
      Map<List<Object>, ScanBody> stepBodies) {
    this.trees = trees;
    this.positions = positions;
    this.model = model;
    this.ops = ops;
    this.callStack = callStack;
    this.stepBodies = stepBodies;
  }

  /** Evaluates {@code method}'s body with its parameters bound to {@code arguments}. */
  Returned run(ExecutableElement method, Map<String, Value> arguments) {
    MethodTree tree = trees.getTree(method);
    callStack.push(method);
    try {
      Map<String, Value> locals = new HashMap<>(arguments);
      for (StatementTree statement : tree.getBody().getStatements()) {
        switch (statement.getKind()) {
          case VARIABLE -> declare((VariableTree) statement, locals);
          case RETURN -> {
            ExpressionTree e = ((ReturnTree) statement).getExpression();
            if (e == null) throw unsupported(statement, "a model method must return a value");
            return new Returned(eval(e, locals), e);
          }
          case EMPTY_STATEMENT -> { }
          case EXPRESSION_STATEMENT -> throw expressionStatement((ExpressionStatementTree) statement, locals);
          default -> throw unsupported(statement, describeStatement(statement.getKind()));
        }
      }
      throw unsupported(tree, method.getSimpleName() + " ends without a return statement");
    } finally {
      callStack.pop();
    }
  }

  // ---- statements

  private void declare(VariableTree v, Map<String, Value> locals) {
    String name = v.getName().toString();
    if (v.getInitializer() == null) {
      throw unsupported(v, "local " + name + " needs an initializer: locals are bound once, to a value");
    }
    Value value = eval(v.getInitializer(), locals);
    locals.put(name, conform(v.getType(), value, v.getInitializer(), "local " + name));
  }

  private GraftException expressionStatement(ExpressionStatementTree s, Map<String, Value> locals) {
    ExpressionTree e = s.getExpression();
    ExpressionTree target = null;
    if (e instanceof AssignmentTree a) target = a.getVariable();
    else if (e instanceof CompoundAssignmentTree a) target = a.getVariable();
    else if (e instanceof UnaryTree u && isIncrement(u.getKind())) target = u.getExpression();
    if (target == null) {
      return unsupported(s, "an expression statement has no effect in a model method: bind the value to a local"
          + " or return it");
    }
    return assignment(e, target, locals);
  }

  private GraftException assignment(ExpressionTree e, ExpressionTree target, Map<String, Value> locals) {
    String name = target instanceof IdentifierTree id ? id.getName().toString()
        : target instanceof MemberSelectTree m ? m.getIdentifier().toString() : target.toString();
    boolean field = target instanceof MemberSelectTree || !locals.containsKey(name);
    if (field) {
      return unsupported(e, "assignment to field " + name + ": a model's fields are variables whose values the"
          + " session owns, and a model method cannot change them");
    }
    return unsupported(e, "reassigning local " + name + ": locals are bound once; declare a new local instead");
  }

  private static boolean isIncrement(Tree.Kind k) {
    return k == Tree.Kind.PREFIX_INCREMENT || k == Tree.Kind.POSTFIX_INCREMENT || k == Tree.Kind.PREFIX_DECREMENT
        || k == Tree.Kind.POSTFIX_DECREMENT;
  }

  private static String describeStatement(Tree.Kind k) {
    return switch (k) {
      case FOR_LOOP, ENHANCED_FOR_LOOP, WHILE_LOOP, DO_WHILE_LOOP -> "loops are not supported in a model method: a"
          + " graph is straight-line code (unroll the loop, calling a helper method once per step)";
      case IF -> "if statements are not supported in a model method: a graph cannot branch on values (compute both"
          + " sides and combine them, or choose between constants with ?:)";
      case SWITCH -> "switch statements are not supported in a model method: a graph cannot branch on values";
      case TRY -> "try statements are not supported in a model method";
      case THROW -> "throw statements are not supported in a model method";
      case BLOCK -> "nested blocks are not supported in a model method";
      case CLASS -> "local classes are not supported in a model method";
      default -> "this statement (" + words(k) + ") is not supported in a model method: only local declarations"
          + " and a return";
    };
  }

  private static String words(Tree.Kind k) {
    return k.name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  // ---- expressions

  Value eval(ExpressionTree e, Map<String, Value> locals) {
    switch (e.getKind()) {
      case PARENTHESIZED:
        return eval(((ParenthesizedTree) e).getExpression(), locals);
      case INT_LITERAL:
      case LONG_LITERAL:
      case FLOAT_LITERAL:
      case DOUBLE_LITERAL:
      case BOOLEAN_LITERAL:
      case STRING_LITERAL:
        return literal(((LiteralTree) e).getValue(), e);
      case IDENTIFIER:
        return identifier((IdentifierTree) e, locals);
      case MEMBER_SELECT:
        return memberSelect((MemberSelectTree) e, locals);
      case METHOD_INVOCATION:
        return call((MethodInvocationTree) e, locals);
      case NEW_ARRAY:
        return newArray((NewArrayTree) e, locals);
      case ARRAY_ACCESS:
        return arrayAccess((ArrayAccessTree) e, locals);
      case TYPE_CAST:
        return cast((TypeCastTree) e, locals);
      case CONDITIONAL_EXPRESSION: {
        ConditionalExpressionTree c = (ConditionalExpressionTree) e;
        Value condition = eval(c.getCondition(), locals);
        if (!(condition instanceof Bool b)) {
          throw unsupported(e, "?: needs a compile-time boolean condition, got " + Value.describe(condition)
              + ": a graph cannot branch on tensor values");
        }
        return eval(b.value() ? c.getTrueExpression() : c.getFalseExpression(), locals);
      }
      case UNARY_MINUS:
      case UNARY_PLUS:
      case LOGICAL_COMPLEMENT:
        return unary((UnaryTree) e, locals);
      case ASSIGNMENT:
        throw assignment(e, ((AssignmentTree) e).getVariable(), locals);
      case NEW_CLASS:
        throw unsupported(e, "new " + ((NewClassTree) e).getIdentifier() + "(...) is not supported in a model method:"
            + " only literal float[], int[] and Tensor[] arrays can be created");
      case LAMBDA_EXPRESSION:
        throw unsupported(e, "lambdas are not supported in a model method");
      case MEMBER_REFERENCE:
        throw unsupported(e, "method references are not supported in a model method");
      default:
        if (e instanceof BinaryTree b) return binary(b, locals);
        if (e instanceof CompoundAssignmentTree a) throw assignment(e, a.getVariable(), locals);
        if (e instanceof UnaryTree u && isIncrement(u.getKind())) throw assignment(e, u.getExpression(), locals);
        throw unsupported(e, "this expression (" + words(e.getKind()) + ") is not supported in a model method");
    }
  }

  private Value literal(Object v, Tree at) {
    if (v instanceof Integer i) return new Value.Number(i, NumberType.INT);
    if (v instanceof Long l) return new Value.Number(l, NumberType.LONG);
    if (v instanceof Float f) return new Value.Number(f, NumberType.FLOAT);
    if (v instanceof Double d) return new Value.Number(d, NumberType.DOUBLE);
    if (v instanceof Boolean b) return new Bool(b);
    if (v instanceof String s) return new Text(s);
    throw unsupported(at, "this literal is not supported in a model method");
  }

  private Value identifier(IdentifierTree id, Map<String, Value> locals) {
    String name = id.getName().toString();
    Value v = locals.get(name);
    if (v == null) v = model.field(name);
    if (v == null) {
      throw unsupported(id, name + " is not a parameter, a local, a @Variable field or a constant of " + model.modelName());
    }
    return v;
  }

  private Value memberSelect(MemberSelectTree m, Map<String, Value> locals) {
    String name = m.getIdentifier().toString();
    ExpressionTree qualifier = m.getExpression();
    if (isThis(qualifier) || isSuper(qualifier) || isModelClass(qualifier, locals)) {
      Value v = model.field(name);
      if (v == null) throw unsupported(m, name + " is not a @Variable field or a constant of " + model.modelName());
      return v;
    }
    if (name.equals("length")) {
      Value array = eval(qualifier, locals);
      if (array instanceof Tensors t) return new Value.Number(t.parts().size(), NumberType.INT);
      if (array instanceof NumberArray a) return new Value.Number(a.values().length, NumberType.INT);
    }
    throw unsupported(m, m + " is not supported in a model method: only this.field, a model constant and array.length");
  }

  private static boolean isThis(ExpressionTree e) {
    return e instanceof IdentifierTree id && id.getName().contentEquals("this");
  }

  private static boolean isSuper(ExpressionTree e) {
    return e instanceof IdentifierTree id && id.getName().contentEquals("super");
  }

  private boolean isModelClass(ExpressionTree e, Map<String, Value> locals) {
    return e instanceof IdentifierTree id && model.isClassName(id.getName().toString())
        && !locals.containsKey(id.getName().toString());
  }

  private Value unary(UnaryTree u, Map<String, Value> locals) {
    Value v = eval(u.getExpression(), locals);
    if (u.getKind() == Tree.Kind.LOGICAL_COMPLEMENT && v instanceof Bool b) return new Bool(!b.value());
    if (v instanceof Value.Number n && u.getKind() != Tree.Kind.LOGICAL_COMPLEMENT) {
      NumberType t = n.type();
      return u.getKind() == Tree.Kind.UNARY_MINUS ? new Value.Number(t.convert(-n.value()), t) : n;
    }
    if (v instanceof TensorValue) throw unsupported(u, "Java operators do not apply to tensors: use neg(x)");
    throw unsupported(u, "operator " + words(u.getKind()) + " does not apply to " + Value.describe(v));
  }

  private Value binary(BinaryTree b, Map<String, Value> locals) {
    Value l = eval(b.getLeftOperand(), locals);
    Value r = eval(b.getRightOperand(), locals);
    Tree.Kind k = b.getKind();
    if (k == Tree.Kind.PLUS && (l instanceof Text || r instanceof Text)) return new Text(render(l) + render(r));
    if (l instanceof Value.Number x && r instanceof Value.Number y) return Constants.arithmetic(k, x, y, () -> unsupported(b,
        "this constant expression cannot be evaluated (division by zero, or an operator that does not apply)"));
    if (l instanceof Bool x && r instanceof Bool y) {
      switch (k) {
        case CONDITIONAL_AND: return new Bool(x.value() && y.value());
        case CONDITIONAL_OR: return new Bool(x.value() || y.value());
        case EQUAL_TO: return new Bool(x.value() == y.value());
        case NOT_EQUAL_TO: return new Bool(x.value() != y.value());
        default: break;
      }
    }
    if (l instanceof TensorValue || r instanceof TensorValue) {
      String op = switch (k) {
        case PLUS -> "add";
        case MINUS -> "sub";
        case MULTIPLY -> "mul";
        case DIVIDE -> "div";
        default -> null;
      };
      throw unsupported(b, "Java operators do not apply to tensors" + (op == null
          ? ": a graph cannot compare or branch on tensor values" : ": use " + op + "(a, b) or a." + op + "(b)"));
    }
    throw unsupported(b, "operator " + words(k) + " does not apply to " + Value.describe(l) + " and " + Value.describe(r));
  }

  private static String render(Value v) {
    if (v instanceof Text t) return t.value();
    if (v instanceof Value.Number n) return n.isIntegral() ? Long.toString((long) n.value())
        : n.type() == NumberType.FLOAT ? Float.toString((float) n.value()) : Double.toString(n.value());
    if (v instanceof Bool b) return Boolean.toString(b.value());
    return Value.describe(v);
  }

  private Value cast(TypeCastTree c, Map<String, Value> locals) {
    Value v = eval(c.getExpression(), locals);
    NumberType t = c.getType() instanceof PrimitiveTypeTree p ? numberType(p.getPrimitiveTypeKind()) : null;
    if (t == null || !(v instanceof Value.Number n)) {
      throw unsupported(c, "only casts of constants to int, long, float or double are supported in a model method");
    }
    return new Value.Number(t.convert(n.value()), t);
  }

  private static NumberType numberType(javax.lang.model.type.TypeKind k) {
    return switch (k) {
      case INT, SHORT, BYTE -> NumberType.INT;
      case LONG -> NumberType.LONG;
      case FLOAT -> NumberType.FLOAT;
      case DOUBLE -> NumberType.DOUBLE;
      default -> null;
    };
  }

  private Value newArray(NewArrayTree n, Map<String, Value> locals) {
    if (!n.getDimensions().isEmpty() || n.getInitializers() == null) {
      throw unsupported(n, "only array literals such as new int[] {0, 1} are supported in a model method");
    }
    Tree type = n.getType();
    if (type != null && isTensorType(type)) {
      List<Node> parts = new ArrayList<>();
      for (ExpressionTree e : n.getInitializers()) {
        if (!(eval(e, locals) instanceof TensorValue t)) throw unsupported(e, "a Tensor[] holds tensors only");
        parts.add(t.node());
      }
      return new Tensors(parts);
    }
    NumberType t = type instanceof PrimitiveTypeTree p ? numberType(p.getPrimitiveTypeKind()) : null;
    if (t == null) {
      throw unsupported(n, "only int[], float[] and Tensor[] literals are supported in a model method");
    }
    double[] values = new double[n.getInitializers().size()];
    for (int i = 0; i < values.length; i++) {
      ExpressionTree e = n.getInitializers().get(i);
      if (!(eval(e, locals) instanceof Value.Number v)) throw unsupported(e, "an array literal holds constants only");
      values[i] = t.convert(v.value());
    }
    return new NumberArray(values, t);
  }

  private Value arrayAccess(ArrayAccessTree a, Map<String, Value> locals) {
    Value array = eval(a.getExpression(), locals);
    Value index = eval(a.getIndex(), locals);
    if (!(index instanceof Value.Number i) || i.type() != NumberType.INT) {
      throw unsupported(a.getIndex(), "an array index must be an int constant, got " + Value.describe(index));
    }
    int size = array instanceof Tensors t ? t.parts().size() : array instanceof NumberArray n ? n.values().length : -1;
    if (size < 0) throw unsupported(a, "only split results and array literals can be indexed, not " + Value.describe(array));
    int at = (int) i.value();
    if (at < 0 || at >= size) {
      throw new GraftException(Message.AXIS_OUT_OF_RANGE, positions.of(a), "index " + at + " is out of range for "
          + Value.describe(array));
    }
    if (array instanceof Tensors t) return new TensorValue(t.parts().get(at));
    NumberArray n = (NumberArray) array;
    return new Value.Number(n.values()[at], n.type());
  }

  // ---- calls

  private Value call(MethodInvocationTree inv, Map<String, Value> locals) {
    ExpressionTree select = inv.getMethodSelect();
    if (select instanceof IdentifierTree id) {
      String name = id.getName().toString();
      if (!model.methods(name).isEmpty()) return inline(name, model.methods(name), inv, locals);
      if (name.equals("scan") && model.importsOp(callStack.peek(), name)) return scan(inv, locals);
      if (DslOps.STATIC_NAMES.contains(name) && model.importsOp(callStack.peek(), name)) {
        return ops.apply(name, inv, args(inv, null, locals));
      }
      throw unknown(inv, name + "(...) is neither a method of " + model.modelName() + " nor a Graft operation"
          + (DslOps.STATIC_NAMES.contains(name) ? " imported with 'import static dev.graft.dsl.Ops.*'" : ""));
    }
    MemberSelectTree m = (MemberSelectTree) select;
    String name = m.getIdentifier().toString();
    ExpressionTree qualifier = m.getExpression();
    if (isThis(qualifier) || isModelClass(qualifier, locals)) {
      if (!model.methods(name).isEmpty()) return inline(name, model.methods(name), inv, locals);
      throw unknown(inv, name + "(...) is not a method of " + model.modelName());
    }
    if (isSuper(qualifier)) {
      List<ExecutableElement> inherited = model.superMethods(callStack.peek(), name);
      if (!inherited.isEmpty()) return inline(name, inherited, inv, locals);
      throw unknown(inv, "super." + name + "(...) is not a method of a base class of "
          + callStack.peek().getEnclosingElement().getSimpleName());
    }
    if (isOpsClass(qualifier, locals)) {
      if (name.equals("scan")) return scan(inv, locals);
      if (DslOps.STATIC_NAMES.contains(name)) return ops.apply(name, inv, args(inv, null, locals));
      throw unknown(inv, "Ops." + name + "(...) is not a Graft operation");
    }
    if (qualifier instanceof IdentifierTree q && !locals.containsKey(q.getName().toString())
        && model.field(q.getName().toString()) == null) {
      throw unknown(inv, qualifier + "." + name + "(...) is not a Graft operation: a model method may call only"
          + " dev.graft.dsl.Ops, Tensor methods and methods of " + model.modelName());
    }
    Value receiver = eval(qualifier, locals);
    if (!(receiver instanceof TensorValue)) {
      throw unknown(inv, name + "(...) called on " + Value.describe(receiver) + " is not a Graft operation");
    }
    if (!DslOps.FLUENT_NAMES.contains(name)) throw unknown(inv, "Tensor has no method " + name + "(...)");
    return ops.apply(name, inv, args(inv, new DslOps.Arg(receiver, qualifier), locals));
  }

  private static boolean isOpsClass(ExpressionTree e, Map<String, Value> locals) {
    if (e instanceof IdentifierTree id) return id.getName().contentEquals("Ops") && !locals.containsKey("Ops");
    return e.toString().equals("dev.graft.dsl.Ops");
  }

  private List<DslOps.Arg> args(MethodInvocationTree inv, DslOps.Arg receiver, Map<String, Value> locals) {
    List<DslOps.Arg> out = new ArrayList<>();
    if (receiver != null) out.add(receiver);
    for (ExpressionTree a : inv.getArguments()) out.add(new DslOps.Arg(eval(a, locals), a));
    return out;
  }

  private Value inline(String name, List<ExecutableElement> named, MethodInvocationTree inv, Map<String, Value> locals) {
    List<? extends ExpressionTree> argTrees = inv.getArguments();
    List<ExecutableElement> candidates = named.stream()
        .filter(m -> m.getParameters().size() == argTrees.size()).toList();
    if (candidates.isEmpty()) {
      throw unknown(inv, "no method " + name + " of " + model.modelName() + " takes " + argTrees.size() + " arguments");
    }
    if (candidates.size() > 1) throw unsupported(inv, "overloaded model methods named " + name + " cannot be told apart");
    ExecutableElement callee = candidates.get(0);
    if (callStack.contains(callee)) {
      List<ExecutableElement> frames = new ArrayList<>(callStack);
      java.util.Collections.reverse(frames); // outermost first
      List<ExecutableElement> cycle = frames.subList(frames.indexOf(callee), frames.size());
      String path = cycle.stream().map(x -> x.getSimpleName().toString()).collect(Collectors.joining(" -> "));
      throw new GraftException(Message.RECURSION, positions.of(inv), "recursive call: " + path + " -> " + name
          + " (model methods are inlined, so they cannot call themselves)");
    }
    MethodTree tree = trees.getTree(callee);
    if (tree != null && tree.getBody() == null && callee.getModifiers().contains(javax.lang.model.element.Modifier.ABSTRACT)) {
      throw new GraftException(Message.BAD_MODEL, positions.of(inv), name + " is abstract in "
          + callee.getEnclosingElement().getSimpleName() + " and " + model.modelName() + " does not implement it:"
          + " model methods are inlined, so the model (or a class between) must declare " + name + " with a body");
    }
    if (tree == null || tree.getBody() == null) throw unsupported(inv, name + " has no body to inline");
    Map<String, Value> bound = new HashMap<>();
    for (int i = 0; i < argTrees.size(); i++) {
      VariableTree param = tree.getParameters().get(i);
      Value v = eval(argTrees.get(i), locals);
      bound.put(param.getName().toString(), conform(param.getType(), v, argTrees.get(i), "parameter "
          + param.getName() + " of " + name));
    }
    return run(callee, bound).value();
  }

  // ---- scan

  /**
   * {@code scan(this::step, sequence, state...)}: reads the step method once, into a body graph
   * of its own whose parameters are the sequence's element and the states, and builds the SCAN
   * outputs {outputs, final states...}. The step sees only its parameters, the model's variables
   * (as the body's own VARIABLE leaves) and constants.
   */
  private Value scan(MethodInvocationTree inv, Map<String, Value> locals) {
    List<? extends ExpressionTree> args = inv.getArguments();
    if (args.size() < 3 || args.size() > 5) {
      throw unknown(inv, "scan takes a step method reference, a sequence and one to three initial states, got "
          + args.size() + " arguments (see dev.graft.dsl.Ops.scan)");
    }
    ExpressionTree ref = args.get(0);
    if (!(ref instanceof MemberReferenceTree mr) || !(isThis(mr.getQualifierExpression())
        || isModelClass(mr.getQualifierExpression(), locals))) {
      throw unsupported(ref, "the step of scan must be a method of " + model.modelName() + ", written this::method");
    }
    String stepName = mr.getName().toString();
    int states = args.size() - 2;
    List<ExecutableElement> named = model.methods(stepName);
    if (named.isEmpty()) throw unknown(ref, stepName + " is not a method of " + model.modelName());
    List<ExecutableElement> candidates = named.stream().filter(m -> m.getParameters().size() == states + 1).toList();
    if (candidates.isEmpty()) {
      throw new GraftException(Message.SHAPE_MISMATCH, positions.of(ref), "scan with " + states + " initial state"
          + (states == 1 ? "" : "s") + " needs a step taking the sequence element and " + states + " state"
          + (states == 1 ? "" : "s") + " (" + (states + 1) + " parameters), but " + stepName + " takes "
          + named.get(0).getParameters().size());
    }
    if (candidates.size() > 1) throw unsupported(ref, "overloaded model methods named " + stepName + " cannot be told apart");
    ExecutableElement step = candidates.get(0);
    if (callStack.contains(step)) {
      List<ExecutableElement> frames = new ArrayList<>(callStack);
      java.util.Collections.reverse(frames);
      String path = frames.subList(frames.indexOf(step), frames.size()).stream().map(x -> x.getSimpleName().toString())
          .collect(Collectors.joining(" -> "));
      throw new GraftException(Message.RECURSION, positions.of(inv), "recursive scan: " + path + " -> scan(this::"
          + stepName + ") (a step cannot scan over itself)");
    }
    Value sequenceValue = eval(args.get(1), locals);
    if (!(sequenceValue instanceof TensorValue sequence)) {
      throw unsupported(args.get(1), "scan needs a tensor sequence here, got " + Value.describe(sequenceValue));
    }
    if (sequence.node().shape().rank() < 1) {
      throw new GraftException(Message.SHAPE_MISMATCH, positions.of(args.get(1)), "scan needs a time-major sequence"
          + " [time, ...], got a scalar");
    }
    List<Node> initial = new ArrayList<>();
    for (ExpressionTree a : args.subList(2, args.size())) {
      Value v = eval(a, locals);
      if (!(v instanceof TensorValue t)) throw unsupported(a, "scan needs a tensor initial state here, got " + Value.describe(v));
      if (t.node().dtype() != dev.graft.dsl.DType.FLOAT32) {
        throw new GraftException(Message.DTYPE, positions.of(a), "a scan state must be float32, got an int32 tensor");
      }
      initial.add(t.node());
    }

    List<Object> key = new ArrayList<>(List.of(step, sequence.node().shape(), sequence.node().dtype()));
    for (Node n : initial) key.add(n.shape());
    ScanBody scanBody = stepBodies.get(key);
    if (scanBody == null) {
      scanBody = readStep(step, stepName, ref, args, sequence.node(), initial);
      stepBodies.put(key, scanBody);
    }
    Graph outer = ops.graph().at(positions.of(inv));
    List<Node> results = new ArrayList<>();
    results.add(outer.scan(scanBody, List.of(sequence.node()), initial, false, states));
    for (int k = 0; k < states; k++) results.add(outer.scan(scanBody, List.of(sequence.node()), initial, false, k));
    return new Tensors(results);
  }

  /** Reads {@code step} into a body graph whose parameters are x_t (the sequence without its time axis) and the states. */
  private ScanBody readStep(ExecutableElement step, String stepName, ExpressionTree ref, List<? extends ExpressionTree> args,
      Node sequence, List<Node> initial) {
    int states = initial.size();
    MethodTree stepTree = trees.getTree(step);
    if (stepTree == null || stepTree.getBody() == null) throw unsupported(ref, stepName + " has no body to read");
    Graph body = new Graph();
    Map<String, Value> bound = new HashMap<>();
    List<Node> params = new ArrayList<>();
    for (int i = 0; i <= states; i++) {
      VariableTree param = stepTree.getParameters().get(i);
      Shape element = sequence.shape().sub(1, sequence.shape().rank());
      Node p = i == 0
          ? body.at(positions.of(param)).input(param.getName().toString(), 0, element, sequence.dtype())
          : body.at(positions.of(param)).input(param.getName().toString(), i, initial.get(i - 1).shape(), dev.graft.dsl.DType.FLOAT32);
      params.add(p);
      bound.put(param.getName().toString(), conform(param.getType(), new TensorValue(p), args.get(Math.min(i + 1, args.size() - 1)),
          "parameter " + param.getName() + " of scan step " + stepName));
    }
    BodyReader stepReader = new BodyReader(trees, positions, new StepScope(model, body), ops.withGraph(body), callStack,
        stepBodies);
    Returned returned = stepReader.run(step, bound);
    List<Node> newStates = newStates(returned, states, stepName, initial);
    return new ScanBody(body, params.subList(0, 1), params.subList(1, params.size()), newStates,
        List.of(newStates.get(0)), List.of());
  }

  /** The step's new states, checked against the initial states (count, shape, dtype) at the return. */
  private List<Node> newStates(Returned returned, int states, String stepName, List<Node> initial) {
    ExpressionTree e = returned.expression();
    List<Node> out;
    if (states == 1 && returned.value() instanceof TensorValue t) {
      out = List.of(t.node());
    } else if (states > 1 && returned.value() instanceof Tensors t && t.parts().size() == states) {
      out = t.parts();
    } else {
      throw new GraftException(Message.SHAPE_MISMATCH, positions.of(e), "scan step " + stepName + " must return "
          + (states == 1 ? "its new state (one tensor)" : "its " + states + " new states (new Tensor[] {...})")
          + ", got " + Value.describe(returned.value()));
    }
    List<? extends ExpressionTree> parts = e instanceof NewArrayTree n && n.getInitializers() != null
        && n.getInitializers().size() == states ? n.getInitializers() : null;
    for (int k = 0; k < states; k++) {
      Node n = out.get(k);
      Tree at = parts == null ? e : parts.get(k);
      if (!n.shape().equals(initial.get(k).shape()) || n.dtype() != initial.get(k).dtype()) {
        throw new GraftException(Message.SHAPE_MISMATCH, positions.of(at), "scan step " + stepName + " returns a new "
            + (states == 1 ? "state" : "state " + k) + " of shape " + n.shape() + (n.dtype() == initial.get(k).dtype()
            ? "" : " " + n.dtype()) + ", but the state it replaces has shape " + initial.get(k).shape()
            + ": a step must keep each state's shape");
      }
    }
    return out;
  }

  /** A step body's view of the model: variables become the body graph's own VARIABLE leaves. */
  private static final class StepScope implements ModelScope {
    private final ModelScope outer;
    private final Graph body;

    StepScope(ModelScope outer, Graph body) {
      this.outer = outer;
      this.body = body;
    }

    @Override
    public Value field(String name) {
      Value v = outer.field(name);
      if (v instanceof TensorValue t && t.node().op() == Op.VARIABLE) {
        Node outerVariable = t.node();
        return new TensorValue(body.at(outerVariable.position()).make(Op.VARIABLE, List.of(), outerVariable.attrs()));
      }
      return v;
    }

    @Override
    public List<ExecutableElement> methods(String name) {
      return outer.methods(name);
    }

    @Override
    public List<ExecutableElement> superMethods(ExecutableElement from, String name) {
      return outer.superMethods(from, name);
    }

    @Override
    public boolean importsOp(ExecutableElement from, String name) {
      return outer.importsOp(from, name);
    }

    @Override
    public String modelName() {
      return outer.modelName();
    }

    @Override
    public boolean isClassName(String simpleName) {
      return outer.isClassName(simpleName);
    }
  }

  // ---- types of locals and parameters

  /** {@code value} as a local or parameter declared with {@code type} holds it (null type: {@code var}). */
  private Value conform(Tree type, Value value, Tree at, String what) {
    String expected;
    if (type == null || type instanceof IdentifierTree id && id.getName().contentEquals("var")) {
      return value;
    } else if (isTensorType(type)) {
      if (value instanceof TensorValue) return value;
      expected = "Tensor";
    } else if (type instanceof ArrayTypeTree a && isTensorType(a.getType())) {
      if (value instanceof Tensors) return value;
      expected = "Tensor[]";
    } else if (type instanceof PrimitiveTypeTree p && p.getPrimitiveTypeKind() == javax.lang.model.type.TypeKind.BOOLEAN) {
      if (value instanceof Bool) return value;
      expected = "boolean";
    } else if (type instanceof PrimitiveTypeTree p && numberType(p.getPrimitiveTypeKind()) != null) {
      NumberType t = numberType(p.getPrimitiveTypeKind());
      if (value instanceof Value.Number n) return new Value.Number(t.convert(n.value()), t);
      expected = p.toString();
    } else if (type instanceof ArrayTypeTree a && a.getType() instanceof PrimitiveTypeTree p
        && numberType(p.getPrimitiveTypeKind()) != null) {
      if (value instanceof NumberArray) return value;
      expected = type.toString();
    } else if (type.toString().equals("String") || type.toString().equals("java.lang.String")) {
      if (value instanceof Text) return value;
      expected = "String";
    } else {
      throw unsupported(type, what + " has type " + type + ": model methods use Tensor, Tensor[], int, long, float,"
          + " double, boolean and String");
    }
    throw unsupported(at, what + " is declared " + expected + " but gets " + Value.describe(value));
  }

  private static boolean isTensorType(Tree type) {
    return type instanceof IdentifierTree id && id.getName().contentEquals("Tensor")
        || type.toString().equals("dev.graft.dsl.Tensor");
  }

  // ---- diagnostics

  private GraftException unsupported(Tree at, String detail) {
    return new GraftException(Message.UNSUPPORTED, positions.of(at), detail);
  }

  private GraftException unknown(Tree at, String detail) {
    return new GraftException(Message.UNKNOWN_METHOD, positions.of(at), detail);
  }
}
