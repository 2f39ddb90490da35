package dev.graft.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.runtime.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchedStreamTest {
  @Test
  void putsEachRowsTokensInConsecutiveWindows() {
    // 0..22: 23 tokens, batch 2 -> rows [0..10] and [11..21] (token 22 dropped);
    // row length 11 -> (11 - 1) / 3 = 3 windows of 3 steps.
    int[] ids = new int[23];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    BatchedStream stream = new BatchedStream(ids, 2, 3);
    assertEquals(3, stream.windows());

    List<BatchedStream.Window> windows = new ArrayList<>();
    stream.forEach(windows::add);

    assertEquals(3, windows.size());
    assertTrue(windows.get(0).first());
    assertEquals(NDArray.ofInts(new int[] {0, 1, 2, 11, 12, 13}, 2, 3), windows.get(0).inputs());
    assertEquals(NDArray.ofInts(new int[] {1, 2, 3, 12, 13, 14}, 2, 3), windows.get(0).targets());
    assertEquals(NDArray.ofInts(new int[] {3, 4, 5, 14, 15, 16}, 2, 3), windows.get(1).inputs());
    assertEquals(NDArray.ofInts(new int[] {6, 7, 8, 17, 18, 19}, 2, 3), windows.get(2).inputs());
    assertEquals(NDArray.ofInts(new int[] {7, 8, 9, 18, 19, 20}, 2, 3), windows.get(2).targets());
    assertEquals(windows.get(1), stream.window(1));
    assertThrows(IndexOutOfBoundsException.class, () -> stream.window(3));
  }

  @Test
  void theLastTargetOfEveryRowMustExist() {
    int[] ids = {0, 1, 2, 3, 4, 5, 6, 7};
    assertEquals(1, new BatchedStream(ids, 2, 3).windows(), "rows of 4: exactly one window of 3");
    assertArrayEquals(new int[] {1, 2, 3, 5, 6, 7}, new BatchedStream(ids, 2, 3).window(0).targets().toIntArray());
    var e = assertThrows(IllegalArgumentException.class, () -> new BatchedStream(ids, 2, 4));
    assertEquals("a stream of 8 tokens is too short for batch = 2 and steps = 4: one window needs 10 tokens",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BatchedStream(ids, 0, 1));
  }

  @Test
  void perplexityIsTheExponentialOfTheMeanLossPerToken() {
    Perplexity perplexity = new Perplexity();
    assertThrows(IllegalStateException.class, perplexity::value);
    perplexity.add(Math.log(10), 20);
    perplexity.add(Math.log(1000), 10); // mean nats: (20 ln 10 + 30 ln 10) / 30 = 5/3 ln 10
    assertEquals(30, perplexity.tokens());
    assertEquals(Math.pow(10, 5.0 / 3), perplexity.value(), 1e-9);
    assertEquals(Math.E, Perplexity.of(1), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> perplexity.add(Double.NaN, 1));
    perplexity.reset();
    assertEquals(0, perplexity.tokens());
  }
}
