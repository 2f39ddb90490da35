package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.concat;
import static dev.graft.dsl.Ops.constant;
import static dev.graft.dsl.Ops.gather;
import static dev.graft.dsl.Ops.matmul;
import static dev.graft.dsl.Ops.reduceMean;
import static dev.graft.dsl.Ops.reshape;
import static dev.graft.dsl.Ops.scan;
import static dev.graft.dsl.Ops.sigmoid;
import static dev.graft.dsl.Ops.slice;
import static dev.graft.dsl.Ops.sparseSoftmaxCrossEntropy;
import static dev.graft.dsl.Ops.tanh;

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
 * {@code hidden}, two {@code BasicLSTMCell}s (gate order i, j, f, o; forget bias 1) and a softmax
 * over the vocabulary. Ids are time-major, [time, batch]; {@code vocab} and {@code hidden} are
 * bound when the session opens.
 *
 * <p>Each layer computes its input projection for all steps with one matmul before the scan, so
 * the step only adds {@code h·U}. The recurrent state enters and leaves packed as
 * [h1, c1, h2, c2] = [4, batch, hidden]: feed the final state of one window as the initial
 * state of the next (stateful truncated BPTT; no gradient crosses windows). The {@code keep}
 * inputs are dropout masks on the non-recurrent connections (ones to turn dropout off).
 */
@Model
abstract class LstmLanguageModel {
  /** TensorFlow's {@code forget_bias}: added to the forget gate's pre-activation. */
  static final float FORGET_BIAS = 1f;

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

  /** The mean cross-entropy (nats per token) of predicting {@code targets} from {@code ids}. */
  @Loss
  Tensor loss(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets,
      @Input(shape = "4, batch, hidden") Tensor initial,
      @Input(shape = "time, batch, hidden") Tensor keepInput,
      @Input(shape = "time, batch, hidden") Tensor keepBetween,
      @Input(shape = "time, batch, hidden") Tensor keepOutput) {
    Tensor outputs = forward(ids, initial, keepInput, keepBetween)[0].mul(keepOutput);
    Tensor logits = matmul(reshape(outputs, "time*batch, hidden"), softmaxW).add(softmaxB);
    return reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch")));
  }

  /** The packed state after {@code ids}, with the same masks as {@link #loss}. */
  @Output
  Tensor finalState(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "4, batch, hidden") Tensor initial,
      @Input(shape = "time, batch, hidden") Tensor keepInput,
      @Input(shape = "time, batch, hidden") Tensor keepBetween) {
    return forward(ids, initial, keepInput, keepBetween)[1];
  }

  /** The logits [batch, vocab] of the token after the last of {@code ids}, without dropout. */
  @Output
  Tensor lastLogits(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "4, batch, hidden") Tensor initial) {
    Tensor top = forward(ids, initial, constant(1f), constant(1f))[2];
    return matmul(top, softmaxW).add(softmaxB);
  }

  /** {outputs of the top layer [time, batch, hidden], final packed state, top layer's last h}. */
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor x = gather(embedding, ids).mul(keepInput);
    Tensor[] l1 = scan(this::layer1, project(x, w1, b1), state(initial, 0), state(initial, 1));
    Tensor[] l2 = scan(this::layer2, project(l1[0].mul(keepBetween), w2, b2), state(initial, 2), state(initial, 3));
    Tensor packed = concat(0, row(l1[1]), row(l1[2]), row(l2[1]), row(l2[2]));
    return new Tensor[] {l2[0], packed, l2[1]};
  }

  Tensor[] layer1(Tensor xw, Tensor h, Tensor c) {
    return cell(xw, h, c, u1);
  }

  Tensor[] layer2(Tensor xw, Tensor h, Tensor c) {
    return cell(xw, h, c, u2);
  }

  /** One LSTM step given the input projection {@code xw} = x·W + b of this step. */
  Tensor[] cell(Tensor xw, Tensor h, Tensor c, Tensor u) {
    Tensor[] ijfo = xw.add(matmul(h, u)).split(4, 1);
    Tensor next = sigmoid(ijfo[2].add(FORGET_BIAS)).mul(c).add(sigmoid(ijfo[0]).mul(tanh(ijfo[1])));
    return new Tensor[] {sigmoid(ijfo[3]).mul(tanh(next)), next};
  }

  /** x [time, batch, hidden] · w + b, for every step in one matmul: [time, batch, 4*hidden]. */
  Tensor project(Tensor x, Tensor w, Tensor b) {
    return reshape(matmul(reshape(x, "time*batch, hidden"), w).add(b), "time, batch, 4*hidden");
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
