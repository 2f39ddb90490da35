package dev.graft.examples;

import static dev.graft.dsl.Ops.log;
import static dev.graft.dsl.Ops.matmul;
import static dev.graft.dsl.Ops.reduceMean;
import static dev.graft.dsl.Ops.reduceSum;
import static dev.graft.dsl.Ops.softmax;

import dev.graft.dsl.Init;
import dev.graft.dsl.Input;
import dev.graft.dsl.Loss;
import dev.graft.dsl.Model;
import dev.graft.dsl.Output;
import dev.graft.dsl.Tensor;
import dev.graft.dsl.Variable;

/**
 * Softmax (multinomial logistic) regression, written exactly as the lecture writes it in
 * TensorFlow. The compiler turns the cost's {@code -reduceSum(y * log(softmax(z)), 1)} into one
 * stable fused cross-entropy.
 */
@Model
abstract class LogisticRegression {
  @Variable(shape = "4, 3", init = Init.UNIFORM, min = -1, max = 1)
  Tensor beta;

  @Variable(shape = "3")
  Tensor bias;

  /** Class probabilities for each row of measurements. */
  @Output
  Tensor predictions(@Input(shape = "batch, 4") Tensor x) {
    return softmax(matmul(x, beta).add(bias));
  }

  /** Mean cross-entropy against one-hot labels. */
  @Loss
  Tensor cost(@Input(shape = "batch, 4") Tensor x, @Input(shape = "batch, 3") Tensor y) {
    return reduceMean(reduceSum(y.mul(log(predictions(x))), 1).neg());
  }
}
