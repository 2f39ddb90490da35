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
 * A two-layer basic RNN language model, like {@link LstmLanguageModel} with the DSL's
 * {@code rnn} layers, the lecture's cell h' = tanh(x·W + h·U + b). The state is packed as
 * [h1, h2] = [2, batch, hidden].
 */
@Model
abstract class RnnLanguageModel {
  @Variable(shape = "vocab, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor embedding;

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
      @Input(shape = "2, batch, hidden") Tensor initial,
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
      @Input(shape = "2, batch, hidden") Tensor initial) {
    Tensor[] f = forward(ids, initial, constant(1f), constant(1f));
    return new Tensor[] {matmul(f[2], softmaxW).add(softmaxB), f[1]};
  }

  /** {outputs of the top layer [time, batch, hidden], final packed state, top layer's last h}. */
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor[] l1 = rnn(gather(embedding, ids).mul(keepInput), state(initial, 0), w1, u1, b1);
    Tensor[] l2 = rnn(l1[0].mul(keepBetween), state(initial, 1), w2, u2, b2);
    return new Tensor[] {l2[0], concat(0, row(l1[1]), row(l2[1])), l2[1]};
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
