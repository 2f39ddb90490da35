package dev.graft.examples.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.examples.Allocations;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Trainer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A warm training step of the two-layer LSTM language model allocates nothing on the calling
 * thread (one thread: no workers): the generated Vector API variant (this module's tests run
 * with the Vector API), the kernels, the row-sparse embedding gradient and the clipping trainer
 * together. Small sizes, so that the JIT sees thousands of steps in a second. (JDK 17's C2 has
 * compiled the LSTM cell's loop at the PTB shape into code that allocates every vector; this
 * test has not caught that case, which jmh-benchmarks/README.md's fourteenth session measures
 * with its own probe.)
 */
class TrainStepAllocationTest {
  @Test
  void aWarmLstmTrainingStepAllocatesNothing() {
    int vocab = 64;
    int time = 5;
    int batch = 4;
    try (LanguageModel model = LanguageModel.open(Cell.LSTM, 2, vocab, 32, 1)) {
      model.initialize(7, 0.1f);
      Trainer trainer = model.trainer(Optimizers.sgd(0.1f)).clipGlobalNorm(5);
      SplittableRandom random = new SplittableRandom(3);
      int[] ids = random.ints(time * batch, 0, vocab).toArray();
      int[] targets = random.ints(time * batch, 0, vocab).toArray();
      NDArray ones = model.ones(time, batch);
      NDArray[] inputs = {NDArray.ofInts(ids, time, batch), NDArray.ofInts(targets, time, batch),
          model.zeroState(batch), ones, ones, ones};
      long fewest = Allocations.fewestBytesOver(() -> trainer.step(inputs), 6000, 200, 20);
      assertEquals(0, fewest, "bytes allocated over 200 warm steps");
    }
  }
}
