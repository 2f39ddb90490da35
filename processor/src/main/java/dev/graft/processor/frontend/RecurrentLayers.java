package dev.graft.processor.frontend;

import com.sun.source.tree.Tree;
import dev.graft.dsl.DType;
import dev.graft.processor.diag.GraftException;
import dev.graft.processor.diag.Message;
import dev.graft.processor.frontend.Value.Tensors;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Graph;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.ir.ScanBody;
import dev.graft.processor.ir.Shape;
import dev.graft.processor.ir.SourcePos;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in recurrent layers {@code rnn}, {@code lstm} and {@code gru}, expanded into IR the
 * way a hand-written fast layer is: the input projection of every step is one matmul outside the
 * loop (xs reshaped to [time*batch, in], times w, plus b, reshaped back to [time, batch,
 * G*hidden]), and a {@link Op#SCAN} over it whose step adds h·u (one matmul over all G gates)
 * and applies the gate math, which the scheduler fuses. The step body reads u as its own
 * VARIABLE (or CONSTANT) leaf, so u must be a model variable or a constant; anything else is a
 * {@link Message#UNSUPPORTED} diagnostic at the argument. Shape errors are reported at the
 * offending argument, saying what the layer expected.
 */
final class RecurrentLayers {
  /** A layer: its name in the DSL, gates side by side in w, u and b, and states (h, and c for the LSTM). */
  enum Kind {
    RNN("rnn", 1, 1, "h' = tanh(x·w + h·u + b)"),
    GRU("gru", 3, 1, "gates r, z, n"),
    LSTM("lstm", 4, 2, "gates i, f, g, o");

    final String dslName;
    final int gates;
    final int states;
    final String summary;

    Kind(String dslName, int gates, int states, String summary) {
      this.dslName = dslName;
      this.gates = gates;
      this.states = states;
      this.summary = summary;
    }

    static Kind named(String name) {
      for (Kind k : values()) if (k.dslName.equals(name)) return k;
      return null;
    }

    String gatesDim() {
      return gates == 1 ? "hidden" : gates + "*hidden";
    }
  }

  /** An evaluated tensor argument and the tree it came from (for diagnostics). */
  record Operand(Node node, Tree tree) {}

  private final Positions positions;
  /**
   * Step bodies already built, by layer, recurrent weight and shapes: the same layer called
   * twice (from two entries, or twice in one) gives the same body, so its scans hash-cons into
   * one loop, as two identical {@code scan} calls do.
   */
  private final Map<List<Object>, ScanBody> bodies = new HashMap<>();

  RecurrentLayers(Positions positions) {
    this.positions = positions;
  }

  /**
   * {@code {outputs, final states...}} of layer {@code kind} over {@code xs} from
   * {@code initial} (h0, and c0 for the LSTM), built in {@code graph} at {@code call}.
   */
  Tensors expand(Kind kind, Graph graph, Tree call, Operand xs, List<Operand> initial, Operand w, Operand u, Operand b,
      double forgetBias) {
    String name = kind.dslName;
    SourcePos pos = positions.of(call);
    // ---- shapes: xs [time, batch, in], u [hidden, G*hidden], w [in, G*hidden], b [G*hidden], states [batch, hidden]
    for (Operand o : allOf(xs, initial, w, u, b)) {
      if (o.node().dtype() != DType.FLOAT32) {
        throw new GraftException(Message.DTYPE, positions.of(o.tree()), name + " needs float32 tensors, got an int32 "
            + "tensor of shape " + o.node().shape() + (o == xs ? " (look int ids up in an embedding with gather first)" : ""));
      }
    }
    Shape xsShape = xs.node().shape();
    if (xsShape.rank() != 3) {
      throw mismatch(xs, name + " needs a time-major sequence xs [time, batch, in], got " + xsShape);
    }
    Dim time = xsShape.dim(0);
    Dim batch = xsShape.dim(1);
    Dim in = xsShape.dim(2);
    Shape uShape = u.node().shape();
    Dim hidden = uShape.rank() == 2 ? uShape.dim(0) : null;
    Dim width = hidden == null ? null : Dim.of(kind.gates).times(hidden);
    if (hidden == null || !uShape.dim(1).equals(width)) {
      throw mismatch(u, name + " needs the recurrent weight u as [hidden, " + kind.gatesDim() + "] (" + kind.summary
          + (kind.gates == 1 ? "" : " side by side") + "); got " + uShape);
    }
    Shape wExpected = Shape.of(in, width);
    if (!w.node().shape().equals(wExpected)) {
      throw mismatch(w, name + " needs the input weight w as [in, " + kind.gatesDim() + "] = " + wExpected + ", in from xs "
          + xsShape + " and hidden from u " + uShape + "; got " + w.node().shape());
    }
    if (!b.node().shape().equals(Shape.of(width))) {
      throw mismatch(b, name + " needs the bias b as [" + kind.gatesDim() + "] = " + Shape.of(width) + ", hidden from u "
          + uShape + "; got " + b.node().shape());
    }
    Shape state = Shape.of(batch, hidden);
    String[] stateNames = {"h0", "c0"};
    for (int k = 0; k < initial.size(); k++) {
      Operand s = initial.get(k);
      if (!s.node().shape().equals(state)) {
        throw mismatch(s, name + " needs the initial state " + stateNames[k] + " as [batch, hidden] = " + state
            + ", batch from xs " + xsShape + " and hidden from u " + uShape + "; got " + s.node().shape());
      }
    }
    Node recurrent = u.node();
    if (recurrent.op() != Op.VARIABLE && recurrent.op() != Op.CONSTANT) {
      throw new GraftException(Message.UNSUPPORTED, positions.of(u.tree()), name + " needs the recurrent weight u to be"
          + " a @Variable field or a constant of the model, because every step reads it; got a computed tensor of shape "
          + uShape + " (compute it inside a step of your own and use scan instead)");
    }

    // ---- the input projection of every step at once, outside the loop
    Graph g = graph.at(pos);
    Node flat = g.reshape(xs.node(), Shape.of(time.times(batch), in));
    Node projected = g.add(g.matmul(flat, w.node(), false, false), b.node());
    Node xw = g.reshape(projected, Shape.of(time, batch, width));

    // ---- the loop
    List<Node> initialNodes = initial.stream().map(Operand::node).toList();
    List<Object> key = List.of(kind, recurrent.op(), recurrent.attrs(), xw.shape(), state, forgetBias);
    ScanBody body = bodies.get(key);
    if (body == null) {
      body = body(kind, recurrent, Shape.of(batch, width), state, hidden, forgetBias);
      bodies.put(key, body);
    }
    Graph outer = graph.at(pos);
    List<Node> results = new ArrayList<>();
    results.add(outer.scan(body, List.of(xw), initialNodes, false, kind.states));
    for (int k = 0; k < kind.states; k++) results.add(outer.scan(body, List.of(xw), initialNodes, false, k));
    return new Tensors(results);
  }

  private static List<Operand> allOf(Operand xs, List<Operand> initial, Operand w, Operand u, Operand b) {
    List<Operand> out = new ArrayList<>();
    out.add(xs);
    out.addAll(initial);
    out.add(w);
    out.add(u);
    out.add(b);
    return out;
  }

  private GraftException mismatch(Operand at, String detail) {
    return new GraftException(Message.SHAPE_MISMATCH, positions.of(at.tree()), detail);
  }

  /**
   * The step: parameters xw_t [batch, G*hidden] and the states [batch, hidden]; z = xw_t + h·u,
   * then the layer's gate math; the new states, and h' as the step output. Its nodes have no
   * source position (the shapes were checked above, so building them cannot fail; the loop
   * itself is at the call): the kernels of two layers of one kind and shape then read the same,
   * and code generation emits them once, as it does for two scans of one hand-written step.
   */
  private static ScanBody body(Kind kind, Node recurrent, Shape slice, Shape state, Dim hidden, double forgetBias) {
    Graph g = new Graph().at(SourcePos.UNKNOWN);
    Node xw = g.input("xw", 0, slice, DType.FLOAT32);
    List<Node> carries = new ArrayList<>();
    carries.add(g.input("h", 1, state, DType.FLOAT32));
    if (kind.states == 2) carries.add(g.input("c", 2, state, DType.FLOAT32));
    Node h = carries.get(0);
    Node u = g.make(recurrent.op(), List.of(), recurrent.attrs());
    Node hu = g.matmul(h, u, false, false);
    List<Node> next = switch (kind) {
      case RNN -> List.of(g.unary(Op.TANH, g.add(xw, hu)));
      case LSTM -> {
        Node z = g.add(xw, hu);
        Node i = g.unary(Op.SIGMOID, gate(g, z, 0, hidden));
        Node f = gate(g, z, 1, hidden);
        if (forgetBias != 0) f = g.add(f, g.scalar((float) forgetBias));
        f = g.unary(Op.SIGMOID, f);
        Node candidate = g.unary(Op.TANH, gate(g, z, 2, hidden));
        Node o = g.unary(Op.SIGMOID, gate(g, z, 3, hidden));
        Node c = g.add(g.mul(f, carries.get(1)), g.mul(i, candidate));
        yield List.of(g.mul(o, g.unary(Op.TANH, c)), c);
      }
      case GRU -> {
        Node r = g.unary(Op.SIGMOID, g.add(gate(g, xw, 0, hidden), gate(g, hu, 0, hidden)));
        Node z = g.unary(Op.SIGMOID, g.add(gate(g, xw, 1, hidden), gate(g, hu, 1, hidden)));
        Node n = g.unary(Op.TANH, g.add(gate(g, xw, 2, hidden), g.mul(r, gate(g, hu, 2, hidden))));
        // (1 − z)·n + z·h, written as n + z·(h − n)
        yield List.of(g.add(n, g.mul(z, g.sub(h, n))));
      }
    };
    return new ScanBody(g, List.of(xw), carries, next, List.of(next.get(0)), List.of());
  }

  /** Gate {@code k} of {@code z} [batch, G*hidden]: columns [k*hidden, (k+1)*hidden). */
  private static Node gate(Graph g, Node z, int k, Dim hidden) {
    return g.slice(z, 1, k == 0 ? Dim.zero() : Dim.of(k).times(hidden), hidden);
  }
}
