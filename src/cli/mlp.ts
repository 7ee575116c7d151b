import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Graph } from '../graph/Graph.ts';
import { getOrCreateGlobalStep } from '../graph/globalStep.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Variable } from '../graph/Variable.ts';
import * as summary from '../summary/ops.ts';
import { tfjsTrainStep } from '../tfjs/tfjsTrainStep.ts';
import { DIGITS, PIXELS, batchSampler, type DigitSet, type Digits } from './digits.ts';
import { faultInjector } from './faults.ts';

/** Options of {@link buildMlp}. */
export interface MlpOptions {
  data: Digits;
  seed: number;
  /** Probability that the batch op or the training step fails with UnavailableError or AbortedError. */
  faultRate: number;
  /** @default 32 */
  batchSize?: number;
  /** Adam's learning rate. @default 0.001 */
  learningRate?: number;
}

/** The MLP job's graph and tfjs objects. */
export interface Mlp {
  graph: Graph;
  step: Variable<number>;
  train: Tensor<undefined>;
  loss: Tensor<number>;
  model: tfl.Sequential;
  optimizer: tf.Optimizer;
  /** Loss and accuracy of the current weights on a whole set (or its first `limit` images). */
  evaluate(set: DigitSet, limit?: number): { loss: number; accuracy: number };
  /** Faults injected so far in this process. */
  faults: { count: number };
  dispose(): void;
}

/** How many test images the periodic accuracy summary looks at (the full test set is for the end). */
const SUMMARY_TEST_IMAGES = 500;

/**
 * A 784-128-10 MLP (ReLU, softmax cross-entropy, Adam) on the digits, as a tfjs training step
 * under the graph runtime: batches are a pure function of the global step (exact resume), the
 * model's weights and Adam's state are checkpointed with the graph's variables. With
 * `faultRate > 0`, the batch op and the step fail at random (seeded) as a lost worker would.
 */
export function buildMlp(options: MlpOptions): Mlp {
  const { data, seed, faultRate, batchSize = 32, learningRate = 0.001 } = options;
  const { faults, maybeFail } = faultInjector(seed, faultRate);

  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 128,
        inputShape: [PIXELS],
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
      tfl.layers.dense({ units: DIGITS, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  const optimizer = tf.train.adam(learningRate);
  const lossOf = (xs: tf.Tensor2D, ys: tf.Tensor1D): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(tf.oneHot(ys, DIGITS), model.apply(xs) as tf.Tensor) as tf.Scalar;

  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const sample = batchSampler(data.train, batchSize, seed);
  const batch = graph.op('next_batch', [step], (s) => {
    maybeFail('next_batch');
    return sample(s);
  });
  const trainStep = tfjsTrainStep(graph, {
    model,
    optimizer,
    batch,
    loss: ({ xs, ys }) => {
      maybeFail('train_step');
      return lossOf(tf.tensor2d(xs, [ys.length, PIXELS]), tf.tensor1d(ys, 'int32'));
    },
  });

  const evaluate = (set: DigitSet, limit = set.count): { loss: number; accuracy: number } => {
    const n = Math.min(limit, set.count);
    const [loss, correct] = tf.tidy(() => {
      const xs = tf.tensor2d(set.xs.subarray(0, n * PIXELS), [n, PIXELS]);
      const ys = tf.tensor1d(set.ys.subarray(0, n), 'int32');
      const logits = model.apply(xs) as tf.Tensor;
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(ys, DIGITS), logits);
      const c = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'int32'));
      return [l.dataSync()[0]!, c.dataSync()[0]!];
    });
    return { loss, accuracy: correct / n };
  };
  const testAccuracy = graph.op('test_accuracy', [], () => evaluate(data.test, SUMMARY_TEST_IMAGES).accuracy);
  summary.scalar(graph, 'loss', trainStep.loss);
  summary.scalar(graph, `accuracy/test_first_${SUMMARY_TEST_IMAGES}`, testAccuracy);
  return {
    graph,
    step,
    train: trainStep.train,
    loss: trainStep.loss,
    model,
    optimizer,
    evaluate,
    faults,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}
