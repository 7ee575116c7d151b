/**
 * tfjs under supervision: the same model, optimizer and batches trained four ways, interleaved
 * round by round, as ratios against a bare `optimizer.minimize` loop (the floor):
 *   - bare:     minimize in `tf.tidy`, read the loss (`dataSync`), dispose it;
 *   - fit:      `model.fit` over the same batches with one (empty) `onBatchEnd` callback;
 *   - ours:     `tfjsTrainStep` under `monitoredTrainingSession` with its default hooks
 *               (step counter, summaries every 100 steps) and a `NanTensorHook`, no checkpoints;
 *   - ours+ckpt: the same with a checkpoint every 100 steps (weights and Adam state, fsynced),
 *               written in the background (`asyncCheckpoint`: the step waits only for the copy of
 *               the values; the target row) and, on the tiny model, synchronously for comparison
 *               (the step waits for the files).
 * Each row shows the median of its per-round ratios with their interquartile range (how much one
 * round spreads) and the 95% confidence interval of that median (how well the rounds pin it). A
 * target row's verdict is taken on the confidence interval (`intervalVerdict`): PASS or MISS when
 * the whole interval is on one side of the target, NOISE when it straddles it.
 * Checkpoints and summaries fall in the middle of a round (the supervised sessions are half a round
 * ahead), and an asynchronous round ends once its write is on disk: the write is charged to the
 * row that made it, never to the next one in the rotation.
 * Tiny model (4→3, batch 32) on the CPU backend, where overhead dominates; MLP (784-128-10,
 * batch 32) on the WASM backend.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  Graph,
  NanTensorHook,
  getOrCreateGlobalStep,
  monitoredTrainingSession,
  setLogger,
  silentLogger,
  summary,
  type MonitoredSession,
} from '../../src/index.ts';
import { tfjsTrainStep, useTfjsBackend, type TfjsBackendName } from '../../src/tfjs/index.ts';
import { checkpointWritesSettled } from '../../src/checkpoint/pendingWrites.ts';
import { fmtUs, intervalVerdict, median, medianWithCi, quantile } from './harness.ts';

interface Case {
  title: string;
  backend: TfjsBackendName;
  layers: number[];
  /** Steps per round (a multiple of 100, so every round holds the same number of checkpoints). */
  steps: number;
  rounds: number;
  targets: boolean;
  /** The checkpoint rows measured: synchronous saves, asynchronous ones (`asyncCheckpoint`), or both. */
  checkpoints: readonly ('sync' | 'async')[];
}

const BATCH = 32;

function makeModel(layers: number[]): tfl.Sequential {
  const model = tfl.sequential();
  for (let i = 1; i < layers.length; i++) {
    const last = i === layers.length - 1;
    model.add(
      tfl.layers.dense({
        units: layers[i]!,
        ...(i === 1 ? { inputShape: [layers[0]!] } : {}),
        ...(last ? {} : { activation: 'relu' as const }),
        kernelInitializer: tfl.initializers.glorotUniform({ seed: i }),
      }),
    );
  }
  return model;
}

const lossOf = (model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): tf.Scalar =>
  tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor) as tf.Scalar;

async function benchCase(c: Case): Promise<void> {
  await useTfjsBackend(c.backend);
  const [inputs, classes] = [c.layers[0]!, c.layers.at(-1)!];
  const batches = Array.from({ length: 20 }, (_, b) =>
    tf.tidy(() => ({
      xs: tf.randomNormal([BATCH, inputs], 0, 1, 'float32', b + 1),
      ys: tf.oneHot(
        tf.tensor1d(
          Array.from({ length: BATCH }, (_, i) => (i * 7 + b) % classes),
          'int32',
        ),
        classes,
      ),
    })),
  );
  const allXs = tf.concat(Array.from({ length: c.steps / batches.length }, () => batches.map((b) => b.xs)).flat());
  const allYs = tf.concat(Array.from({ length: c.steps / batches.length }, () => batches.map((b) => b.ys)).flat());
  // (c.steps is a multiple of the 20 batches: every variant sees the same batches in each round.)

  const bareModel = makeModel(c.layers);
  const bareOptimizer = tf.train.adam(1e-3);
  let bareStep = 0;
  const bare = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const b = batches[bareStep++ % batches.length]!;
      // In tf.tidy, as the step under supervision: without it the bare loop is about 4% slower here.
      const cost = tf.tidy(() => bareOptimizer.minimize(() => lossOf(bareModel, b.xs, b.ys), true)!);
      cost.dataSync();
      cost.dispose();
    }
  };

  const fitModel = makeModel(c.layers);
  fitModel.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  // One epoch over c.steps batches: every round runs exactly c.steps steps of each variant.
  const fit = async () => {
    await fitModel.fit(allXs, allYs, {
      batchSize: BATCH,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: async () => {} },
    });
  };

  const dirs: string[] = [];
  const sessions: MonitoredSession[] = [];
  const supervised = async (checkpointEvery: number | null, asyncCheckpoint = false) => {
    const dir = await mkdtemp(path.join(process.env['TFJS_BENCH_DIR'] ?? tmpdir(), 'tfjs-bench-'));
    dirs.push(dir);
    const model = makeModel(c.layers);
    const graph = new Graph();
    const globalStep = getOrCreateGlobalStep(graph);
    const batch = graph.op('batch', [globalStep], (s) => batches[s % batches.length]!);
    const step = tfjsTrainStep(graph, {
      model,
      optimizer: tf.train.adam(1e-3),
      batch,
      loss: (b) => lossOf(model, b.xs, b.ys),
    });
    summary.scalar(graph, 'loss', step.loss);
    const sess = await monitoredTrainingSession({
      graph,
      checkpointDir: dir,
      saveCheckpointSecs: 0,
      saveCheckpointSteps: checkpointEvery ?? 0,
      asyncCheckpoint,
      hooks: [new NanTensorHook({ lossTensor: step.loss })],
    });
    sessions.push(sess);
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) await sess.run(step.train);
      // The round ends once its checkpoint is on disk (a write in the background included).
      await checkpointWritesSettled(dir);
    };
    // Half a round ahead: checkpoints and summaries fall mid-round, not at the end of one.
    await run(c.steps / 2);
    return run;
  };

  const variants: [string, (n: number) => Promise<void>, number | undefined][] = [
    ['bare minimize loop', bare, undefined],
    ['model.fit, one callback', fit, undefined],
    ['monitoredTrainingSession, default hooks', await supervised(null), 1.03],
  ];
  // The target row is the asynchronous one (asyncCheckpoint: the step waits only for the copy of the
  // values); the synchronous one, where the step waits for the files, is shown for comparison.
  for (const mode of c.checkpoints) {
    const title = `  + checkpoint every 100 steps, ${mode}`;
    variants.push([title, await supervised(100, mode === 'async'), mode === 'async' ? 1.1 : undefined]);
  }
  const samples = variants.map(() => [] as number[]);
  for (const [, run] of variants) await run(c.steps); // warm-up round
  const tensorsBefore = tf.memory().numTensors;
  for (let r = 0; r < c.rounds; r++) {
    // The order rotates every round, so no variant always runs after the same one (GC debt).
    for (let k = 0; k < variants.length; k++) {
      const v = (k + r) % variants.length;
      const run = variants[v]![1];
      const start = process.hrtime.bigint();
      await run(c.steps);
      samples[v]!.push(Number(process.hrtime.bigint() - start) / c.steps);
    }
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  const ns = samples.map(median);
  // Ratios are taken round by round (neighbours in time see the same load): their median, IQR and
  // the median's 95% confidence interval.
  const perRound = samples.map((xs) => xs.map((x, r) => x / samples[0]![r]!));
  const ratios = perRound.map(median);
  const cis = perRound.map(medianWithCi);
  console.log(
    `  ${c.title} on ${c.backend}: ${c.rounds} interleaved rounds of ${c.steps} steps; ` +
      `bare step ${fmtUs(ns[0]!)}; tensors after rounds: ${leaked >= 0 ? '+' : ''}${leaked}`,
  );
  variants.forEach(([name, , target], v) => {
    if (v === 0) return;
    const { lo, hi } = cis[v]!;
    const { mark } = intervalVerdict(lo, hi, target ?? Infinity);
    const [q1, q3] = [quantile(perRound[v]!, 0.25), quantile(perRound[v]!, 0.75)];
    const spread = `[95% CI ${lo.toFixed(3)}–${hi.toFixed(3)}; IQR ${q1.toFixed(3)}–${q3.toFixed(3)}]`;
    const goal =
      target === undefined
        ? ''
        : c.targets
          ? ` (target <= ${target.toFixed(2)}x and below model.fit)`
          : ` (for reference: the tiny model's target is <= ${target.toFixed(2)}x)`;
    const line = `${fmtUs(ns[v]!)}/step  ${ratios[v]!.toFixed(3)}x bare ${spread}${goal}`;
    // Below model.fit: a PASS needs the interval under fit's median; otherwise the interval decides.
    const verdict = mark === 'PASS' && hi >= ratios[1]! ? 'MISS' : mark;
    const shown = target === undefined || !c.targets ? '' : verdict;
    console.log(`${shown.padEnd(5)} ${`${c.title}: ${name}`.padEnd(52)} ${line}`);
  });
  for (const s of sessions) await s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  tf.dispose([allXs, allYs, ...batches.flatMap((b) => [b.xs, b.ys])]);
  bareModel.dispose();
  bareOptimizer.dispose();
  fitModel.dispose();
}

/** Milliseconds per fsync in the checkpoint directory's file system (what a durable checkpoint pays several times). */
async function fsyncMs(): Promise<number> {
  const dir = await mkdtemp(path.join(process.env['TFJS_BENCH_DIR'] ?? tmpdir(), 'tfjs-fsync-'));
  const handle = await open(path.join(dir, 'probe'), 'w');
  const start = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) {
    await handle.write(Buffer.alloc(1024));
    await handle.sync();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e7;
  await handle.close();
  await rm(dir, { recursive: true, force: true });
  return ms;
}

/** `npm run bench` entry: the tiny model (targets apply) and the MLP. */
export async function benchTfjs(): Promise<void> {
  setLogger(silentLogger);
  tf.enableProdMode();
  console.log(
    `  checkpoints in ${process.env['TFJS_BENCH_DIR'] ?? tmpdir()} (TFJS_BENCH_DIR), ` +
      `fsync ${(await fsyncMs()).toFixed(2)} ms`,
  );
  const soak = Number(process.env['TFJS_BENCH_FACTOR'] ?? 1);
  await benchCase({
    title: 'tiny 4→3',
    backend: 'cpu',
    layers: [4, 3],
    steps: 100,
    rounds: Math.round(101 * soak),
    targets: true,
    checkpoints: ['sync', 'async'],
  });
  await benchCase({
    title: 'MLP 784-128-10',
    backend: 'wasm',
    layers: [784, 128, 10],
    steps: 100,
    rounds: Math.round(13 * soak),
    targets: false,
    checkpoints: ['async'],
  });
}
