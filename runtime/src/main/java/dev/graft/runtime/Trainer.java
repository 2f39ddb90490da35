package dev.graft.runtime;

import java.util.List;

/**
 * Minimizes one loss entry of a session: each {@link #step} computes the loss and the
 * gradients of every trainable variable, then lets the optimizer update the variables. The
 * gradient buffers are allocated once, here, and reused by every step. Create one with
 * {@link Session#trainer}.
 */
public final class Trainer {
  private final Session session;
  private final int entry;
  private final Optimizer optimizer;
  private final float[][] trainable;
  private final List<String> trainableNames;
  private final float[][] gradients;
  private final float[] loss = new float[1];
  private long steps;

  Trainer(Session session, int entry, Optimizer optimizer, float[][] trainable, List<String> trainableNames) {
    this.session = session;
    this.entry = entry;
    this.optimizer = optimizer;
    this.trainable = trainable;
    this.trainableNames = List.copyOf(trainableNames);
    this.gradients = new float[trainable.length][];
    for (int i = 0; i < trainable.length; i++) {
      gradients[i] = new float[trainable[i].length];
    }
  }

  /** One training step on the named feeds; returns the loss before the update. */
  public float step(Feeds feeds) {
    synchronized (session) {
      session.ensureOpen();
      return step(session.inputsInOrder(entry, feeds));
    }
  }

  /**
   * One training step with the loss entry's inputs in declaration order; returns the loss
   * before the update.
   *
   * @throws IllegalArgumentException if the inputs do not match the entry; nothing is updated
   * @throws ArithmeticException if the loss or a gradient is NaN or infinite; nothing is updated
   */
  public float step(NDArray... inputs) {
    synchronized (session) {
      session.ensureReady(entry);
      int[] dims = session.bind(entry, inputs);
      session.executor().run(entry, dims, Session.data(inputs), session.variables(), loss, gradients);
      String lossName = session.spec().entries().get(entry).name();
      if (!Float.isFinite(loss[0])) {
        throw new ArithmeticException("loss '" + lossName + "' is " + loss[0] + " at step " + steps
            + "; no variable was updated");
      }
      for (int i = 0; i < gradients.length; i++) {
        // A sum of squares of finite floats is finite in double precision: this is a NaN/Inf test.
        if (!Double.isFinite(session.kernels().sumOfSquares(gradients[i], gradients[i].length))) {
          throw new ArithmeticException("the gradient of variable '" + trainableNames.get(i) + "' is not finite at step "
              + steps + " (loss '" + lossName + "' = " + loss[0] + "); no variable was updated");
        }
      }
      optimizer.apply(session.kernels(), trainable, gradients);
      steps++;
      return loss[0];
    }
  }

  /** The number of steps applied so far. */
  public long steps() {
    synchronized (session) {
      return steps;
    }
  }

  /** The optimizer this trainer updates variables with. */
  public Optimizer optimizer() {
    return optimizer;
  }
}
