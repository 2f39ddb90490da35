package dev.graft.runtime;

import dev.graft.dsl.DType;
import dev.graft.dsl.Init;
import dev.graft.runtime.ModelSpec.EntrySpec;
import dev.graft.runtime.ModelSpec.Kind;
import dev.graft.runtime.ModelSpec.TensorSpec;
import dev.graft.runtime.ModelSpec.VariableSpec;
import dev.graft.runtime.kernel.Kernels;
import java.util.List;

/** A hand-written stand-in for the generated class of {@link LinearModel}, loops by hand. */
public class GraftLinearModel implements CompiledModel {
  static final int PREDICTIONS = 0;
  static final int COST = 1;
  static final int PICK = 2;
  /** Two results: the predictions, then their sum. */
  static final int BOTH = 3;

  static final ModelSpec SPEC = new ModelSpec("LinearModel", List.of("batch", "features"),
      List.of(
          new VariableSpec("w", List.of("features", "1"), Init.UNIFORM, -1f, 1f, 0f, 0f, 1f, true),
          new VariableSpec("b", List.of("1"), Init.ZEROS, -1f, 1f, 0f, 0f, 1f, true),
          new VariableSpec("scale", List.of(), Init.CONSTANT, -1f, 1f, 1f, 0f, 1f, false)),
      List.of(
          new EntrySpec("predictions", Kind.OUTPUT,
              List.of(new TensorSpec("x", DType.FLOAT32, List.of("batch", "features"))),
              new TensorSpec("predictions", DType.FLOAT32, List.of("batch", "1"))),
          new EntrySpec("cost", Kind.LOSS,
              List.of(new TensorSpec("x", DType.FLOAT32, List.of("batch", "features")),
                  new TensorSpec("y", DType.FLOAT32, List.of("batch", "1"))),
              new TensorSpec("cost", DType.FLOAT32, List.of())),
          new EntrySpec("pick", Kind.OUTPUT,
              List.of(new TensorSpec("idx", DType.INT32, List.of("batch"))),
              new TensorSpec("pick", DType.FLOAT32, List.of("batch"))),
          new EntrySpec("both", Kind.OUTPUT,
              List.of(new TensorSpec("x", DType.FLOAT32, List.of("batch", "features"))),
              new TensorSpec("both", DType.FLOAT32, List.of("batch", "1")),
              List.of(new TensorSpec("both[1]", DType.FLOAT32, List.of())))));

  /** When set, the next gradient pass writes NaN into the gradient of b. */
  boolean poisonBiasGradient;
  int runs;

  @Override
  public ModelSpec spec() {
    return SPEC;
  }

  @Override
  public ModelExecutor newExecutor(Kernels kernels) {
    float[][] workspace = {new float[0]}; // grows to the largest batch, as generated code does
    return (entry, dims, inputs, variables, output, gradients) -> {
      runs++;
      int batch = dims[0];
      int features = dims[1];
      float[] w = variables[0];
      float b = variables[1][0];
      float scale = variables[2][0];
      if (entry == PICK) {
        int[] idx = (int[]) inputs[0];
        for (int i = 0; i < batch; i++) {
          ((float[]) output)[i] = w[idx[i]];
        }
        return;
      }
      float[] x = (float[]) inputs[0];
      if (workspace[0].length < batch) {
        workspace[0] = new float[batch];
      }
      float[] predictions = workspace[0];
      for (int r = 0; r < batch; r++) {
        float sum = b;
        for (int f = 0; f < features; f++) {
          sum += x[r * features + f] * w[f];
        }
        predictions[r] = scale * sum;
      }
      if (entry == PREDICTIONS) {
        System.arraycopy(predictions, 0, (float[]) output, 0, batch);
        return;
      }
      if (entry == BOTH) {
        Object[] results = (Object[]) output;
        System.arraycopy(predictions, 0, (float[]) results[0], 0, batch);
        float sum = 0;
        for (int r = 0; r < batch; r++) {
          sum += predictions[r];
        }
        ((float[]) results[1])[0] = sum;
        return;
      }
      float[] y = (float[]) inputs[1];
      float loss = 0;
      for (int r = 0; r < batch; r++) {
        float error = predictions[r] - y[r];
        loss += error * error;
      }
      ((float[]) output)[0] = loss / batch;
      if (gradients != null) {
        float[] gw = gradients[0];
        float[] gb = gradients[1];
        java.util.Arrays.fill(gw, 0f);
        gb[0] = 0;
        for (int r = 0; r < batch; r++) {
          float dPrediction = 2 * (predictions[r] - y[r]) / batch * scale;
          for (int f = 0; f < features; f++) {
            gw[f] += dPrediction * x[r * features + f];
          }
          gb[0] += dPrediction;
        }
        if (poisonBiasGradient) {
          gb[0] = Float.NaN;
        }
      }
    };
  }
}
