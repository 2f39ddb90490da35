package dev.graft.runtime;

/**
 * A learning-rate schedule by epoch (counting from 0). A training loop applies it once per
 * epoch:
 *
 * <pre>{@code
 * LearningRate schedule = LearningRate.stepDecay(1f, 4, 0.5f);
 * for (int epoch = 0; epoch < 13; epoch++) {
 *   optimizer.setLearningRate(schedule.at(epoch));
 *   ... trainer.step(...) for every batch ...
 * }
 * }</pre>
 */
public interface LearningRate {
  /** The learning rate of epoch {@code epoch} (from 0). */
  float at(int epoch);

  /** The same rate for every epoch. */
  static LearningRate constant(float learningRate) {
    Optimizers.checkPositive("learning rate", learningRate);
    return epoch -> learningRate;
  }

  /**
   * The schedule of TensorFlow's PTB language-model tutorial:
   * {@code learningRate * factor^max(epoch + 1 - decayAfterEpoch, 0)}, so the rate stays at
   * {@code learningRate} for the first {@code decayAfterEpoch} epochs (0 to decayAfterEpoch - 1)
   * and is multiplied by {@code factor} at each epoch after.
   *
   * @throws IllegalArgumentException unless {@code learningRate} is positive and finite,
   *     {@code decayAfterEpoch} is not negative and {@code factor} lies in (0, 1]
   */
  static LearningRate stepDecay(float learningRate, int decayAfterEpoch, float factor) {
    Optimizers.checkPositive("learning rate", learningRate);
    if (decayAfterEpoch < 0) {
      throw new IllegalArgumentException("decayAfterEpoch must not be negative, got " + decayAfterEpoch);
    }
    if (!(factor > 0 && factor <= 1)) {
      throw new IllegalArgumentException("decay factor must lie in (0, 1], got " + factor);
    }
    return epoch -> {
      if (epoch < 0) {
        throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
      }
      float rate = (float) (learningRate * Math.pow(factor, Math.max(epoch + 1 - decayAfterEpoch, 0)));
      return Math.max(rate, Float.MIN_NORMAL); // stays a valid learning rate after many decays
    };
  }
}
