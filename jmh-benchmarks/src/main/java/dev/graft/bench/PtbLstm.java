package dev.graft.bench;

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
 * The PTB tutorial's word model at its small shape when opened with vocab 10000 and hidden 200:
 * an embedding, two LSTM layers and a softmax over the vocabulary. Each layer's input
 * projection for all steps is one matmul outside the recurrence; the step does {@code h·U} and
 * the gate math. The state [h1, c1, h2, c2] enters as one [4, batch, hidden] input, so that
 * training can carry it across batches (truncated BPTT).
 */
@Model
abstract class PtbLstm {
  @Variable(shape = "vocab, hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor embedding;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor w1;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor u1;
  @Variable(shape = "4*hidden") Tensor b1;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor w2;
  @Variable(shape = "hidden, 4*hidden", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor u2;
  @Variable(shape = "4*hidden") Tensor b2;
  @Variable(shape = "hidden, vocab", init = Init.UNIFORM, min = -0.1f, max = 0.1f) Tensor softmaxW;
  @Variable(shape = "vocab") Tensor softmaxB;

  /** c' = σ(f + 1)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), from the pre-activations z = [i, f, g, o]. */
  Tensor[] gates(Tensor z, Tensor c) {
    Tensor[] g = split(z, 4, 1);
    Tensor next = sigmoid(g[1].add(1f)).mul(c).add(sigmoid(g[0]).mul(tanh(g[2])));
    return new Tensor[] {sigmoid(g[3]).mul(tanh(next)), next};
  }

  Tensor[] cell1(Tensor xw, Tensor h, Tensor c) {
    return gates(xw.add(matmul(h, u1)), c);
  }

  Tensor[] cell2(Tensor xw, Tensor h, Tensor c) {
    return gates(xw.add(matmul(h, u2)), c);
  }

  /** x [time, batch, hidden] · w + b for every step at once, as [time, batch, 4*hidden]. */
  Tensor project(Tensor x, Tensor w, Tensor b) {
    return reshape(matmul(reshape(x, "time*batch, hidden"), w).add(b), "time, batch, 4*hidden");
  }

  Tensor part(Tensor state, int k) {
    return reshape(slice(state, 0, k, 1), "batch, hidden");
  }

  /** {outputs of layer 2, h1, c1, h2, c2}. */
  Tensor[] layers(Tensor ids, Tensor state) {
    Tensor[] l1 = scan(this::cell1, project(gather(embedding, ids), w1, b1), part(state, 0), part(state, 1));
    Tensor[] l2 = scan(this::cell2, project(l1[0], w2, b2), part(state, 2), part(state, 3));
    return new Tensor[] {l2[0], l1[1], l1[2], l2[1], l2[2]};
  }

  @Loss
  Tensor cost(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids,
      @Input(shape = "time, batch", dtype = DType.INT32) Tensor targets, @Input(shape = "4, batch, hidden") Tensor state) {
    Tensor logits = matmul(reshape(layers(ids, state)[0], "time*batch, hidden"), softmaxW).add(softmaxB);
    return reduceMean(sparseSoftmaxCrossEntropy(logits, reshape(targets, "time*batch")));
  }

  /** The state after the sequence, to feed the next batch. */
  @Output
  Tensor finalState(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids, @Input(shape = "4, batch, hidden") Tensor state) {
    Tensor[] l = layers(ids, state);
    return concat(0, reshape(l[1], "1, batch, hidden"), reshape(l[2], "1, batch, hidden"), reshape(l[3], "1, batch, hidden"),
        reshape(l[4], "1, batch, hidden"));
  }

  /** The next-word logits after the sequence, [batch, vocab]. */
  @Output
  Tensor nextLogits(@Input(shape = "time, batch", dtype = DType.INT32) Tensor ids, @Input(shape = "4, batch, hidden") Tensor state) {
    return matmul(layers(ids, state)[3], softmaxW).add(softmaxB);
  }
}
