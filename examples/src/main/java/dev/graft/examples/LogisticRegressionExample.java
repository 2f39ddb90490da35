package dev.graft.examples;

import dev.graft.runtime.Device;
import dev.graft.runtime.Feeds;
import dev.graft.runtime.NDArray;
import dev.graft.runtime.Optimizers;
import dev.graft.runtime.Session;
import dev.graft.runtime.Trainer;
import java.io.PrintStream;

/** Trains {@link LogisticRegression} on Iris with full-batch gradient descent. */
public final class LogisticRegressionExample {
  private LogisticRegressionExample() {}

  /** What to train with; the defaults reach more than 95% training accuracy. */
  public record Options(int epochs, float learningRate, long seed) {
    public static final Options DEFAULTS = new Options(500, 0.5f, 42);

    public Options {
      if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
        throw new IllegalArgumentException("the learning rate must be a positive number, got " + learningRate);
      }
    }
  }

  /** The outcome: the loss before the first and after the last step, and the training accuracy. */
  public record Result(float initialLoss, float finalLoss, double accuracy) {}

  public static Result train(Options options, PrintStream out) {
    Iris iris = Iris.load();
    int n = iris.rows();
    out.printf("Iris: %d flowers, %d measurements, classes %s%n", n, Iris.FEATURES, iris.classes());
    out.println("Features standardized to mean 0 and standard deviation 1 per column.");
    NDArray x = NDArray.of(iris.standardizedFeatures(), n, Iris.FEATURES);
    NDArray y = NDArray.of(iris.oneHotLabels(), n, Iris.CLASSES);
    Feeds batch = Feeds.of("x", x, "y", y);
    out.printf("Full-batch gradient descent: %d epochs, learning rate %s, seed %d%n", options.epochs(),
        options.learningRate(), options.seed());
    try (Session session = Session.open(LogisticRegression.class, Device.cpu())) {
      session.initialize(options.seed());
      Trainer trainer = session.trainer("cost", Optimizers.sgd(options.learningRate()));
      int every = Math.max(1, options.epochs() / 10);
      float initial = Float.NaN;
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        float loss = trainer.step(batch);
        if (epoch == 1) initial = loss;
        if (epoch == 1 || epoch % every == 0) out.printf("epoch %5d  loss %.5f%n", epoch, loss);
      }
      float finalLoss = session.eval("cost", batch);
      double accuracy = accuracy(session.run("predictions", Feeds.of("x", x)), iris.labels());
      out.printf("final loss %.5f, training accuracy %.1f%% (%d of %d)%n", finalLoss, 100 * accuracy,
          Math.round(accuracy * n), n);
      return new Result(initial, finalLoss, accuracy);
    }
  }

  /** The fraction of rows whose most probable class is the label. */
  static double accuracy(NDArray probabilities, int[] labels) {
    float[] p = probabilities.toFloatArray();
    int classes = probabilities.dim(1);
    int correct = 0;
    for (int r = 0; r < labels.length; r++) {
      int best = 0;
      for (int c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + best]) best = c;
      if (best == labels[r]) correct++;
    }
    return (double) correct / labels.length;
  }
}
