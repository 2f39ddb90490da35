package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.*;

import dev.graft.dsl.Init;
import dev.graft.dsl.Model;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * A two-layer LSTM language model (the DSL's {@code lstm}: gates i, f, g, o from one matmul,
 * forget bias 1) over {@link RecurrentLanguageModel}'s embedding and softmax. The state is packed
 * as [h1, c1, h2, c2] = [4, batch, hidden] ({@link #stateRows}).
 */
@Model
abstract class LstmLanguageModel extends RecurrentLanguageModel {
  /** The packed state's rows, which the entries' {@code "stateRows, batch, hidden"} names. */
  static final int stateRows = 4;

  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w1;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor u1;
  @Variable(shape = "4*hidden")
  Tensor b1;

  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w2;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor u2;
  @Variable(shape = "4*hidden")
  Tensor b2;

  @Override
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor[] l1 = lstm(embed(ids, keepInput), state(initial, 0), state(initial, 1), w1, u1, b1);
    Tensor[] l2 = lstm(l1[0].mul(keepBetween), state(initial, 2), state(initial, 3), w2, u2, b2);
    return new Tensor[] {l2[0], concat(0, row(l1[1]), row(l1[2]), row(l2[1]), row(l2[2])), l2[1]};
  }
}
