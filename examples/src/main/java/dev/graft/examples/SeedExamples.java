package dev.graft.examples;

import dev.graft.runtime.Device;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Session;
import java.io.PrintStream;

/**
 * The lecture's introductory graph {@code a = (b + c) * (c + 2)} in its four versions. The
 * constant versions are folded by the compiler, so their generated code just returns the value.
 */
public final class SeedExamples {
  private SeedExamples() {}

  /** b = 1.5, c = 3: 22.5. */
  public static NDArray scalar() {
    return runConstant(SeedScalar.class);
  }

  /** b = [1.5, 2, 1, 4.2], c = [3, 1, 5, 10], elementwise. */
  public static NDArray vector() {
    return runConstant(SeedVector.class);
  }

  /** b = [[1.5, 2], [1, 4.2]], c = [[3, 1], [5, 10]], with a matrix product at the end. */
  public static NDArray matrix() {
    return runConstant(SeedMatrix.class);
  }

  /** c = 3 and b fed: {@code (b + 3) * 5} for each element of {@code b}. */
  public static NDArray placeholder(NDArray b) {
    try (Session session = Session.open(SeedPlaceholder.class, Device.cpu(1))) {
      return session.run("a", Feeds.of("b", b));
    }
  }

  private static NDArray runConstant(Class<?> model) {
    try (Session session = Session.open(model, Device.cpu(1))) {
      return session.run("a", Feeds.builder().build());
    }
  }

  /** Prints each version with where it comes from and its value. */
  public static void print(PrintStream out) {
    out.println("Slide \"a first graph\" (0-d constants): b = 1.5, c = 3, a = (b + c) * (c + 2)");
    out.println("a = " + scalar());
    out.println();
    out.println("Slide \"the same graph on vectors\" (1-d constants): b = [1.5, 2, 1, 4.2], c = [3, 1, 5, 10]");
    out.println("a = " + vector());
    out.println();
    out.println("Variation on matrices (2-d constants): b = [[1.5, 2], [1, 4.2]], c = [[3, 1], [5, 10]], a = matmul(b + c, c + 2)");
    out.println("a =\n" + matrix());
    out.println();
    float[] feed = new float[10];
    for (int i = 0; i < feed.length; i++) feed[i] = i;
    NDArray b = NDArray.of(feed, feed.length);
    out.println("Slide \"placeholders\" (b fed at run time, like tf.placeholder(tf.float32, [None])): c = 3, b = " + b);
    out.println("a = " + placeholder(b));
  }
}
