package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.*;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.dsl.Input;
import dev.graft.dsl.Loss;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * What the language models share, as TensorFlow's PTB tutorial builds them: an embedding of
 * width {@code hidden}, a stack of recurrent layers that each model declares ({@link #forward})
 * and a softmax over the vocabulary. Ids are time-major, [time, batch]; {@code vocab} and
 * {@code hidden} are bound when the session opens.
 *
 * <p>The recurrent state enters and leaves packed as [stateRows, batch, hidden], the layers'
 * states in order (LSTM: [h1, c1, h2, c2]; GRU and RNN: [h1, h2]). {@code stateRows} is not a
 * run-time symbol: each model declares the constant {@code static final int stateRows}, which
 * the shapes of its entries inherited from here name (see the README's base classes). Feed the
 * final state of one window as the initial state of the next (stateful truncated BPTT; no
 * gradient crosses windows). The {@code keep} inputs are dropout masks on the non-recurrent
 * connections (ones to turn dropout off).
 *
 * <p>Not a model itself: the models extend it, and its variables come first in each (embedding,
 * softmaxW, softmaxB, then the layers' weights).
 */
abstract class RecurrentLanguageModel {
  @Variable(shape = "vocab, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor embedding;

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
      @Input(shape = "stateRows, batch, hidden") Tensor initial,
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
      @Input(shape = "stateRows, batch, hidden") Tensor initial) {
    Tensor[] f = forward(ids, initial, constant(1f), constant(1f));
    return new Tensor[] {matmul(f[2], softmaxW).add(softmaxB), f[1]};
  }

  /**
   * The layers over the embedded {@code ids}, {@code keepInput} applied to the embedding and
   * {@code keepBetween} between layers: {outputs of the top layer [time, batch, hidden], final
   * packed state, top layer's last h}.
   */
  abstract Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween);

  /** The embedding of {@code ids} with dropout mask {@code keep}: the first layer's input. */
  Tensor embed(Tensor ids, Tensor keep) {
    return gather(embedding, ids).mul(keep);
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
