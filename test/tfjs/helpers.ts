/** Shared pieces of the tfjs tests: a seeded tiny model, deterministic batches, weight snapshots. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useTfjsBackend } from '../../src/tfjs/index.ts';

tf.enableProdMode();
await useTfjsBackend((process.env['TFJS_BACKEND'] as 'cpu' | 'wasm' | undefined) ?? 'cpu');

/** A 4→3 softmax model with seeded initial weights (the same weights for the same seed). */
export function tinyModel(seed = 1): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 3,
        inputShape: [4],
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
      }),
    ],
  });
}

/** The batch of step `step`: a pure function of the step, so a resumed run sees the same data. */
export function batchOf(step: number, size = 8): { xs: Float32Array; ys: Int32Array } {
  const xs = new Float32Array(size * 4);
  const ys = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const label = (step * 7 + i * 3) % 3;
    ys[i] = label;
    for (let f = 0; f < 4; f++) xs[i * 4 + f] = Math.sin(step * 0.37 + i * 1.3 + f * 0.7) + (f === label ? 1 : 0);
  }
  return { xs, ys };
}

/** Softmax cross-entropy of `model` on a batch. */
export function tinyLoss(model: tfl.LayersModel, { xs, ys }: { xs: Float32Array; ys: Int32Array }): tf.Scalar {
  const logits = model.apply(tf.tensor2d(xs, [ys.length, 4])) as tf.Tensor;
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ys, 'int32'), 3), logits) as tf.Scalar;
}

/** Every weight of the model as plain arrays (copies). */
export function weightsOf(model: tfl.LayersModel): number[][] {
  return model.weights.map((w) => Array.from(w.read().dataSync() as Float32Array));
}

/** Every value of the optimizer's state (iterations, slots) as plain arrays. */
export async function optimizerValues(optimizer: tf.Optimizer): Promise<number[][]> {
  const weights = await optimizer.getWeights();
  const out = weights.map((w) => Array.from(w.tensor.dataSync() as Float32Array));
  weights[0]?.tensor.dispose();
  return out;
}
