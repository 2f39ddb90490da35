package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.*;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.dsl.Input;
import dev.graft.dsl.Loss;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * A two-layer LSTM language model, as TensorFlow's PTB tutorial builds it: an embedding of width
 * {@code hidden}, two LSTM layers (the DSL's {@code lstm}: gates i, f, g, o from one matmul,
 * forget bias 1) and a softmax over the vocabulary. Ids are time-major, [time, batch];
 * {@code vocab} and {@code hidden} are bound when the session opens.
 *
 * <p>The recurrent state enters and leaves packed as [h1, c1, h2, c2] = [4, batch, hidden]:
 * feed the final state of one window as the initial state of the next (stateful truncated
 * BPTT; no gradient crosses windows). The {@code keep} inputs are dropout masks on the
 * non-recurrent connections (ones to turn dropout off).
 */
@Model
abstract class LstmLanguageModel {
  @Variable(shape = "vocab, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor embedding;

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

  @Variable(shape = "hidden, vocab", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor softmaxW;
  @Variable(shape = "vocab")
  Tensor softmaxB;

  /**
   * {the mean cross-entropy (nats per token) of predicting {@code targets} from {@code ids},
   * the packed state after {@code ids}}: a trainer's step yields the state for the next window
   * ({@code trainer.output(1)}) from the same pass.
   */
  @Loss
  Tensor[] loss(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets,
      @Input(shape = "4, batch, hidden") Tensor initial,
      @Input(shape = "time, batch, hidden") Tensor keepInput,
      @Input(shape = "time, batch, hidden") Tensor keepBetween,
      @Input(shape = "time, batch, hidden") Tensor keepOutput) {
    Tensor[] f = forward(ids, initial, keepInput, keepBetween);
    Tensor logits = matmul(reshape(f[0].mul(keepOutput), "time*batch, hidden"), softmaxW).add(softmaxB);
    return new Tensor[] {reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch"))), f[1]};
  }

  /** {the logits [batch, vocab] of the token after the last of {@code ids}, the packed state after them}, without dropout. */
  @Output
  Tensor[] next(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "4, batch, hidden") Tensor initial) {
    Tensor[] f = forward(ids, initial, constant(1f), constant(1f));
    return new Tensor[] {matmul(f[2], softmaxW).add(softmaxB), f[1]};
  }

  /** {outputs of the top layer [time, batch, hidden], final packed state, top layer's last h}. */
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor[] l1 = lstm(gather(embedding, ids).mul(keepInput), state(initial, 0), state(initial, 1), w1, u1, b1);
    Tensor[] l2 = lstm(l1[0].mul(keepBetween), state(initial, 2), state(initial, 3), w2, u2, b2);
    return new Tensor[] {l2[0], concat(0, row(l1[1]), row(l1[2]), row(l2[1]), row(l2[2])), l2[1]};
  }

  /** Row {@code k} of a packed state, [batch, hidden]. */
  Tensor state(Tensor packed, int k) {
    return reshape(slice(packed, 0, k, 1), "batch, hidden");
  }

  /** [batch, hidden] as one row of a packed state, [1, batch, hidden]. */
  Tensor row(Tensor s) {
    return reshape(s, "1, batch, hidden");
  }
}
