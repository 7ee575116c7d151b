import { Graph } from '../graph/Graph.ts';
import { getOrCreateGlobalStep } from '../graph/globalStep.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Variable } from '../graph/Variable.ts';
import { randomGenerator } from '../resume/RandomGenerator.ts';
import { sourceQueueRunner } from '../session/SourceQueueRunner.ts';
import * as summary from '../summary/ops.ts';
import { seededRandom } from '../internal/random.ts';
import { IRIS_ROWS } from './irisData.ts';
import { irisBatches, type Batch } from './irisSource.ts';
import { faultInjector } from './faults.ts';

/** Options of {@link buildIrisModel}. */
export interface IrisModelOptions {
  seed: number;
  /** Probability that an op fails with UnavailableError or AbortedError. */
  faultRate: number;
  batchSize?: number;
  learningRate?: number;
  /** Half-width of the uniform noise added to each feature of a batch (augmentation). @default 0.01 */
  noise?: number;
}

const FEATURES = 4;
const CLASSES = 3;

interface Forward {
  loss: number;
  gradW: Float32Array;
  gradB: Float32Array;
}

/** `forward`'s per-row scratch: it runs synchronously, and an array per call costs more than the row. */
const EXPS = new Float64Array(CLASSES);

/** Softmax cross-entropy over a batch, with gradients. Plain loops: this runs inside every step. */
function forward(w: Float32Array, b: Float32Array, xs: Float32Array, ys: Int32Array): Forward {
  const n = ys.length;
  const gradW = new Float32Array(FEATURES * CLASSES);
  const gradB = new Float32Array(CLASSES);
  const exps = EXPS;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * FEATURES;
    let max = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let z = b[c]!;
      for (let f = 0; f < FEATURES; f++) z += xs[row + f]! * w[f * CLASSES + c]!;
      exps[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += exps[c] = Math.exp(exps[c]! - max);
    const label = ys[i]!;
    for (let c = 0; c < CLASSES; c++) {
      const p = exps[c]! / sum;
      const d = (p - (c === label ? 1 : 0)) / n;
      gradB[c]! += d;
      for (let f = 0; f < FEATURES; f++) gradW[f * CLASSES + c]! += d * xs[row + f]!;
      if (c === label) loss -= Math.log(Math.max(p, 1e-12)) / n;
    }
  }
  return { loss, gradW, gradB };
}

/**
 * `xs` with each feature moved by `noise * (2u - 1)`, `u` uniform in [0, 1), written into `into`
 * when it has the right length. The gradient op passes its own scratch array: `forward` reads the
 * jittered batch synchronously and keeps nothing of it, and a typed array this size would be
 * allocated outside the JS heap at every step (several times the cost of the loop).
 */
function jittered(xs: Float32Array, u: Float64Array, noise: number, into: Float32Array): Float32Array {
  const out = into.length === xs.length ? into : new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[i]! + noise * (2 * u[i]! - 1);
  return out;
}

/** One plain gradient descent step: `v - rate * grad`, as a new array. */
function descend(v: Float32Array, grad: Float32Array, rate: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! - rate * grad[i]!;
  return out;
}

function accuracyOf(w: Float32Array, b: Float32Array, xs: Float32Array, ys: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < ys.length; i++) {
    let best = 0;
    let bestZ = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let z = b[c]!;
      for (let f = 0; f < FEATURES; f++) z += xs[i * FEATURES + f]! * w[f * CLASSES + c]!;
      if (z > bestZ) {
        bestZ = z;
        best = c;
      }
    }
    if (best === ys[i]) correct++;
  }
  return correct / ys.length;
}

/** The Iris data set, standardized per feature. */
export function irisData(): Batch {
  const rows = IRIS_ROWS;
  const labels = rows.map((r) => r[4]);
  const xs = new Float32Array(rows.length * FEATURES);
  for (let f = 0; f < FEATURES; f++) {
    const col = rows.map((r) => r[f]!);
    const mean = col.reduce((a, v) => a + v, 0) / col.length;
    const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / col.length);
    rows.forEach((r, i) => (xs[i * FEATURES + f] = (r[f]! - mean) / std));
  }
  return { xs, ys: Int32Array.from(labels) };
}

/** The model and its tensors. */
export interface IrisModel {
  graph: Graph;
  step: Variable<number>;
  weights: Variable<Float32Array>;
  /** The minibatch the step dequeues (feed it to drive the step without the input pipeline). */
  batch: Tensor<Batch>;
  train: Tensor<undefined>;
  loss: Tensor<number>;
  accuracy: Tensor<number>;
  fullLoss: Tensor<number>;
  /** Faults injected so far in this process. */
  faults: { count: number };
}

/**
 * Softmax regression on Iris, on the embedded backend: a queue runner feeds shuffled minibatches
 * from a seekable source into a FIFOQueue; one training step dequeues a batch, jitters it with
 * the runtime's seeded generator and applies a gradient step. Resumes exactly. With
 * `faultRate > 0`, the batch producer and the gradient op fail at random (seeded) with
 * UnavailableError or AbortedError, as a lost worker would.
 */
export function buildIrisModel(options: IrisModelOptions): IrisModel {
  const { seed, faultRate, batchSize = 16, learningRate = 0.1, noise = 0.01 } = options;
  const data = irisData();
  const { faults, maybeFail } = faultInjector(seed, faultRate);

  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  // Shuffled minibatches from a seekable source: checkpoints hold the position the trainer consumed.
  const source = irisBatches({ data, features: FEATURES, batchSize, seed, beforeNext: () => maybeFail('next_batch') });
  const batch = sourceQueueRunner(graph, { source, capacity: 8, name: 'batches' }).dequeue;
  // Augmentation noise from a runtime-owned generator: its state is checkpointed too.
  const jitter = randomGenerator(graph, { seed: seed + 2, name: 'augment' }).uniforms(batchSize * FEATURES);

  const initRandom = seededRandom(seed + 1);
  const weights = graph.variable(
    () => Float32Array.from({ length: FEATURES * CLASSES }, () => (initRandom() - 0.5) * 0.1),
    { name: 'weights' },
  );
  const bias = graph.variable(() => new Float32Array(CLASSES), { name: 'bias' });
  const scratch = new Float32Array(batchSize * FEATURES);
  const grads = graph.op('gradients', [weights, bias, batch, jitter], (w, b, { xs, ys }, u) => {
    maybeFail('gradients');
    return forward(w, b, jittered(xs, u, noise, scratch), ys);
  });
  const train = graph.group(
    [
      graph.assign(
        weights,
        graph.op('weights_next', [weights, grads], (w, g) => descend(w, g.gradW, learningRate)),
      ),
      graph.assign(
        bias,
        graph.op('bias_next', [bias, grads], (b, g) => descend(b, g.gradB, learningRate)),
      ),
      graph.assignAdd(step, 1),
    ],
    'train',
  );
  const loss = graph.op('loss', [grads], (g) => g.loss);
  const accuracy = graph.op('accuracy', [weights, bias], (w, b) => accuracyOf(w, b, data.xs, data.ys));
  const fullLoss = graph.op('full_loss', [weights, bias], (w, b) => forward(w, b, data.xs, data.ys).loss);
  summary.scalar(graph, 'loss', loss);
  summary.scalar(graph, 'accuracy', accuracy);
  summary.histogram(graph, 'weights', weights);
  return { graph, step, weights, batch, train, loss, accuracy, fullLoss, faults };
}
