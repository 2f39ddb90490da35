package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.*;

import dev.graft.dsl.Init;
import dev.graft.dsl.Model;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * A two-layer basic RNN language model (the DSL's {@code rnn}: the lecture's cell
 * h' = tanh(x·W + h·U + b)) over {@link RecurrentLanguageModel}'s embedding and softmax. The
 * state is packed as [h1, h2] = [2, batch, hidden] ({@link #stateRows}).
 */
@Model
abstract class RnnLanguageModel extends RecurrentLanguageModel {
  /** The packed state's rows, which the entries' {@code "stateRows, batch, hidden"} names. */
  static final int stateRows = 2;

  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w1;
  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor u1;
  @Variable(shape = "hidden")
  Tensor b1;

  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w2;
  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor u2;
  @Variable(shape = "hidden")
  Tensor b2;

  @Override
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor[] l1 = rnn(embed(ids, keepInput), state(initial, 0), w1, u1, b1);
    Tensor[] l2 = rnn(l1[0].mul(keepBetween), state(initial, 1), w2, u2, b2);
    return new Tensor[] {l2[0], concat(0, row(l1[1]), row(l2[1])), l2[1]};
  }
}
