package dev.graft.examples.lm;

import static dev.graft.dsl.Ops.concat;
import static dev.graft.dsl.Ops.constant;
import static dev.graft.dsl.Ops.gather;
import static dev.graft.dsl.Ops.matmul;
import static dev.graft.dsl.Ops.reduceMean;
import static dev.graft.dsl.Ops.reshape;
import static dev.graft.dsl.Ops.scan;
import static dev.graft.dsl.Ops.sigmoid;
import static dev.graft.dsl.Ops.sub;
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
 * A two-layer GRU language model, like {@link LstmLanguageModel} with TensorFlow's
 * {@code GRUCell}: r, u = σ(x·W + h·U_gates) (biases in W's projection), candidate
 * n = tanh(x·W_n + (r·h)·U_candidate), h' = u·h + (1 - u)·n. The state is packed as
 * [h1, h2] = [2, batch, hidden].
 */
@Model
abstract class GruLanguageModel {
  @Variable(shape = "vocab, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor embedding;

  @Variable(shape = "hidden, 3*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w1;
  @Variable(shape = "hidden, 2*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor gates1;
  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor candidate1;
  @Variable(shape = "3*hidden")
  Tensor b1;

  @Variable(shape = "hidden, 3*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor w2;
  @Variable(shape = "hidden, 2*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor gates2;
  @Variable(shape = "hidden, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor candidate2;
  @Variable(shape = "3*hidden")
  Tensor b2;

  @Variable(shape = "hidden, vocab", init = Init.UNIFORM, min = -0.1f, max = 0.1f)
  Tensor softmaxW;
  @Variable(shape = "vocab")
  Tensor softmaxB;

  /** The mean cross-entropy (nats per token) of predicting {@code targets} from {@code ids}. */
  @Loss
  Tensor loss(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets,
      @Input(shape = "2, batch, hidden") Tensor initial,
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
      @Input(shape = "2, batch, hidden") Tensor initial,
      @Input(shape = "time, batch, hidden") Tensor keepInput,
      @Input(shape = "time, batch, hidden") Tensor keepBetween) {
    return forward(ids, initial, keepInput, keepBetween)[1];
  }

  /** The logits [batch, vocab] of the token after the last of {@code ids}, without dropout. */
  @Output
  Tensor lastLogits(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "2, batch, hidden") Tensor initial) {
    Tensor top = forward(ids, initial, constant(1f), constant(1f))[2];
    return matmul(top, softmaxW).add(softmaxB);
  }

  /** {outputs of the top layer [time, batch, hidden], final packed state, top layer's last h}. */
  Tensor[] forward(Tensor ids, Tensor initial, Tensor keepInput, Tensor keepBetween) {
    Tensor x = gather(embedding, ids).mul(keepInput);
    Tensor[] l1 = scan(this::layer1, project(x, w1, b1), state(initial, 0));
    Tensor[] l2 = scan(this::layer2, project(l1[0].mul(keepBetween), w2, b2), state(initial, 1));
    return new Tensor[] {l2[0], concat(0, row(l1[1]), row(l2[1])), l2[1]};
  }

  Tensor layer1(Tensor xw, Tensor h) {
    return cell(xw, h, gates1, candidate1);
  }

  Tensor layer2(Tensor xw, Tensor h) {
    return cell(xw, h, gates2, candidate2);
  }

  /** One GRU step given the input projection {@code xw} = x·W + b of this step, [batch, 3*hidden]. */
  Tensor cell(Tensor xw, Tensor h, Tensor gates, Tensor candidate) {
    Tensor[] x = xw.split(3, 1);
    Tensor[] ru = matmul(h, gates).split(2, 1);
    Tensor r = sigmoid(x[0].add(ru[0]));
    Tensor u = sigmoid(x[1].add(ru[1]));
    Tensor n = tanh(x[2].add(matmul(r.mul(h), candidate)));
    return u.mul(h).add(sub(1f, u).mul(n));
  }

  /** x [time, batch, hidden] · w + b, for every step in one matmul: [time, batch, 3*hidden]. */
  Tensor project(Tensor x, Tensor w, Tensor b) {
    return reshape(matmul(reshape(x, "time*batch, hidden"), w).add(b), "time, batch, 3*hidden");
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
