package dev.graft.bench;

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
 * The lecture's softmax regression with its sizes as symbols, so one model serves the Iris shape
 * (4 features, 3 classes) and the MNIST shape (784, 10); the cost is written as the lecture
 * writes it, not as {@code softmaxCrossEntropy}.
 */
@Model
abstract class SoftmaxRegression {
  @Variable(shape = "features, classes", init = Init.UNIFORM, min = -1, max = 1)
  Tensor beta;

  @Variable(shape = "classes")
  Tensor bias;

  @Output
  Tensor predictions(@Input(shape = "batch, features") Tensor x) {
    return softmax(matmul(x, beta).add(bias));
  }

  @Loss
  Tensor cost(@Input(shape = "batch, features") Tensor x, @Input(shape = "batch, classes") Tensor y) {
    return reduceMean(reduceSum(y.mul(log(predictions(x))), 1).neg());
  }
}
