package dev.graft.runtime;

import java.util.Arrays;
import java.util.List;

/**
 * Minimizes one loss entry of a session: each {@link #step} computes the loss and the
 * gradients of every trainable variable, then lets the optimizer update the variables. The
 * gradient buffers are allocated once, here, and reused by every step: after warm-up a step
 * allocates nothing (pass an {@code NDArray[]} you reuse to avoid the varargs array). Create one with
 * {@link Session#trainer}. Optionally, {@link #clipGlobalNorm} clips the gradients by their global
 * norm before the optimizer sees them.
 *
 * <p>The gradient of an embedding lookup is row-sparse (its spec names the ids input; see
 * {@link ModelSpec.EntrySpec#gradientRowIds()}): the trainer keeps its array all zero between
 * steps, lists the distinct ids of each step ({@link TouchedRows}), and reads, clips and clears
 * only those rows; gradient descent updates only them. For a vocabulary of 10000 and 400 ids a
 * step, that skips four passes over a 10000-row table.
 */
public final class Trainer {
  private final Session session;
  private final int entry;
  private final Optimizer optimizer;
  private final float[][] trainable;
  private final List<String> trainableNames;
  private final float[][] gradients;
  private final float[] loss = new float[1];
  /** For a loss method returning {@code Tensor[]}: its results of the last step (reused), else null. */
  private NDArray[] outputs;
  private Object[] extraData;
  private long steps;
  private float clipNorm = Float.POSITIVE_INFINITY;
  private float lastGlobalNorm = Float.NaN;

  /** Per trainable variable: the input holding the ids of its row-sparse gradient, or -1. */
  private final int[] rowIdsInput;
  /**
   * Per trainable variable: the rows of its row-sparse gradient that the step touched, or null.
   * Between steps such a gradient's array is all zero, as its executor expects it.
   */
  private final TouchedRows[] touched;

  /**
   * @param rowIdsInput per trainable variable, the entry input whose ids name the only rows
   *     where its gradient can be nonzero ({@link ModelSpec.EntrySpec#gradientRowIds()}), or -1
   * @param tableRows per trainable variable, its first dimension (read where rowIdsInput ≥ 0)
   */
  Trainer(Session session, int entry, Optimizer optimizer, float[][] trainable, List<String> trainableNames,
      int[] rowIdsInput, int[] tableRows) {
    this.session = session;
    this.entry = entry;
    this.optimizer = optimizer;
    this.trainable = trainable;
    this.trainableNames = List.copyOf(trainableNames);
    this.gradients = new float[trainable.length][];
    this.rowIdsInput = rowIdsInput.clone();
    this.touched = new TouchedRows[trainable.length];
    for (int i = 0; i < trainable.length; i++) {
      gradients[i] = new float[trainable[i].length];
      if (rowIdsInput[i] >= 0) {
        touched[i] = new TouchedRows(tableRows[i], trainable[i].length / tableRows[i]);
      }
    }
  }

  /** One training step on the named feeds; returns the loss before the update. */
  public float step(Feeds feeds) {
    synchronized (session) {
      session.ensureOpen();
      try {
        return step(session.inputsInOrder(entry, feeds));
      } finally {
        session.clearInputsInOrder(entry);
      }
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
      try {
        if (session.spec().entries().get(entry).extraOutputs().isEmpty()) {
          session.execute(entry, inputs, dims, loss, gradients);
        } else {
          if (outputs == null || !session.fitsExtraOutputs(entry, dims, outputs)) {
            outputs = session.newOutputs(entry, dims);
            extraData = new Object[outputs.length - 1];
            for (int j = 1; j < outputs.length; j++) {
              extraData[j - 1] = outputs[j].data();
            }
          }
          session.execute(entry, inputs, dims, loss, extraData, gradients);
        }
        listTouchedRows(inputs);
      } catch (RuntimeException | Error e) {
        clearRowSparseGradients(); // whatever the executor added: the next step needs them zero
        throw e;
      }
      try {
        return update();
      } finally {
        for (int i = 0; i < touched.length; i++) {
          if (touched[i] != null) {
            touched[i].clear(gradients[i]);
          }
        }
      }
    }
  }

  /** Lists the rows of each row-sparse gradient: its ids input's distinct values. */
  private void listTouchedRows(NDArray[] inputs) {
    for (int i = 0; i < touched.length; i++) {
      if (touched[i] != null) {
        try {
          touched[i].list((int[]) inputs[rowIdsInput[i]].data());
        } catch (IllegalArgumentException e) {
          String ids = session.spec().entries().get(entry).inputs().get(rowIdsInput[i]).name();
          throw new IllegalArgumentException("input '" + ids + "', the rows of variable '" + trainableNames.get(i)
              + "': " + e.getMessage() + "; no variable was updated", e);
        }
      }
    }
  }

  private void clearRowSparseGradients() {
    for (int i = 0; i < touched.length; i++) {
      if (touched[i] != null) {
        Arrays.fill(gradients[i], 0f);
      }
    }
  }

  /** Checks the loss and the gradients, clips them, updates the variables; returns the loss. */
  private float update() {
    String lossName = session.spec().entries().get(entry).name();
    if (!Float.isFinite(loss[0])) {
      throw new ArithmeticException("loss '" + lossName + "' is " + loss[0] + " at step " + steps
          + "; no variable was updated");
    }
    double sumOfSquares = 0;
    for (int i = 0; i < gradients.length; i++) {
      double squares = touched[i] != null ? touched[i].sumOfSquares(gradients[i])
          : session.kernels().sumOfSquares(gradients[i], gradients[i].length);
      // A sum of squares of finite floats is finite in double precision: this is a NaN/Inf test.
      if (!Double.isFinite(squares)) {
        throw new ArithmeticException("the gradient of variable '" + trainableNames.get(i) + "' is not finite at step "
            + steps + " (loss '" + lossName + "' = " + loss[0] + "); no variable was updated");
      }
      sumOfSquares += squares;
    }
    double globalNorm = Math.sqrt(sumOfSquares);
    lastGlobalNorm = (float) globalNorm;
    if (globalNorm > clipNorm) {
      float scale = (float) (clipNorm / globalNorm);
      for (int i = 0; i < gradients.length; i++) {
        if (touched[i] != null) {
          touched[i].scale(gradients[i], scale);
        } else {
          session.kernels().scale(gradients[i], scale, gradients[i].length);
        }
      }
    }
    optimizer.apply(session.kernels(), trainable, gradients, touched);
    steps++;
    return loss[0];
  }

  /**
   * Clips the gradients by their global norm before each update, as TensorFlow's
   * {@code clip_by_global_norm}: when {@code sqrt(sum over all gradients of |g|^2)} exceeds
   * {@code clipNorm}, every gradient is multiplied by {@code clipNorm / globalNorm}, so their
   * direction is kept. {@link Float#POSITIVE_INFINITY} (the default) turns clipping off.
   *
   * @return this trainer
   * @throws IllegalArgumentException unless {@code clipNorm} is positive
   */
  public Trainer clipGlobalNorm(float clipNorm) {
    if (!(clipNorm > 0)) {
      throw new IllegalArgumentException("clip norm must be positive, got " + clipNorm);
    }
    synchronized (session) {
      this.clipNorm = clipNorm;
    }
    return this;
  }

  /**
   * The global norm of the gradients of the last step, before clipping (what
   * {@code clip_by_global_norm} returns as its second result); NaN before the first step.
   */
  public float lastGlobalNorm() {
    synchronized (session) {
      return lastGlobalNorm;
    }
  }

  /**
   * Result {@code index} of the last step of a loss method that returns {@code Tensor[]} (1 for
   * the element after the loss, and so on): what the step computed beside the loss, such as a
   * recurrent network's final state for the next batch. The array is the trainer's and is
   * overwritten by the next step; copy it to keep it.
   *
   * @throws IllegalStateException before the first step
   * @throws IndexOutOfBoundsException unless 1 ≤ index < the number of results
   */
  public NDArray output(int index) {
    synchronized (session) {
      int extras = session.spec().entries().get(entry).extraOutputs().size();
      if (index < 1 || index > extras) {
        throw new IndexOutOfBoundsException("loss '" + session.spec().entries().get(entry).name() + "' has " + extras
            + " results beside the loss (1 to " + extras + "), not " + index);
      }
      if (outputs == null) {
        throw new IllegalStateException("no step has run yet");
      }
      return outputs[index];
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
