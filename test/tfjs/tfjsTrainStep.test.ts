import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  Graph,
  LoggingTensorHook,
  NanLossDuringTrainingError,
  NanTensorHook,
  StopAtStepHook,
  UnavailableError,
  UnknownOptionError,
  UsageError,
  getOrCreateGlobalStep,
  latestCheckpoint,
  monitoredTrainingSession,
  summary,
  withSession,
  type Hook,
  type MonitoredTrainingSessionOptions,
} from '../../src/index.ts';
import { TfjsStateMismatchError, tfjsTrainStep } from '../../src/tfjs/index.ts';
import { readEventDir } from '../helpers/eventFile.ts';
import { batchOf, optimizerValues, tinyLoss, tinyModel, weightsOf } from './helpers.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-step-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface RunOptions {
  lastStep: number;
  checkpointDir?: string;
  seed?: number;
  units?: number;
  /** At these global steps (each once): an error to throw from the loss, or a factor for the loss. */
  faultAt?: Map<number, () => unknown>;
  hooks?: Hook[];
  session?: Partial<MonitoredTrainingSessionOptions>;
}

/** Builds a tiny tfjs model and trains it under monitoredTrainingSession to `lastStep`. */
async function train(options: RunOptions) {
  const graph = new Graph();
  const globalStep = getOrCreateGlobalStep(graph);
  const model = tinyModel(options.seed ?? 1);
  const optimizer = tf.train.adam(0.05);
  const batch = graph.op('batch', [globalStep], (s) => ({ step: s, ...batchOf(s) }));
  const faults = new Map(options.faultAt);
  const step = tfjsTrainStep(graph, {
    model,
    optimizer,
    batch,
    loss: (b) => {
      const fault = faults.get(b.step);
      if (fault !== undefined) {
        faults.delete(b.step);
        const value = fault();
        if (value instanceof Error) throw value;
        return tf.mul(tinyLoss(model, b), value as number);
      }
      return tinyLoss(model, b);
    },
  });
  summary.scalar(graph, 'loss', step.loss);
  let recoveries = 0;
  const sess = await monitoredTrainingSession({
    graph,
    ...(options.checkpointDir === undefined ? {} : { checkpointDir: options.checkpointDir }),
    saveCheckpointSteps: 5,
    saveSummariesSteps: 5,
    logStepCountSteps: null,
    hooks: [
      new StopAtStepHook({ lastStep: options.lastStep }),
      new NanTensorHook({ lossTensor: step.loss }),
      ...(options.hooks ?? []),
    ],
    recovery: { backoff: { initialMs: 0, maxMs: 0 }, onRecovery: () => void recoveries++ },
    ...options.session,
  });
  const losses: number[] = [];
  await withSession(sess, async (s) => {
    while (!s.shouldStop()) losses.push((await s.run({ train: step.train, loss: step.loss })).loss);
  });
  const result = {
    weights: weightsOf(model),
    optimizer: await optimizerValues(optimizer),
    losses,
    recoveries,
    dispose: () => {},
  };
  result.dispose = () => {
    optimizer.dispose();
    model.dispose();
  };
  return result;
}

describe('tfjsTrainStep', () => {
  it('trains under monitoredTrainingSession with the standard hooks (NaN guard, logging, summaries)', async () => {
    const dir = await tempDir();
    const logged: string[] = [];
    const run = await train({
      lastStep: 12,
      checkpointDir: dir,
      hooks: [
        new LoggingTensorHook({ tensors: ['tfjs/train_step'], everyNIter: 4, log: (line) => void logged.push(line) }),
      ],
    });
    assert.equal(run.losses.length, 12);
    assert.ok(run.losses.every((l) => typeof l === 'number' && Number.isFinite(l)));
    assert.ok(run.losses[11]! < run.losses[0]!, 'the loss goes down');
    assert.equal(logged.length, 3);
    assert.match(logged[0]!, /tfjs\/train_step = \d/);
    assert.equal(run.optimizer[0]![0], 12, 'the optimizer applied 12 steps');
    assert.match((await latestCheckpoint(dir)) ?? '', /model\.ckpt-12$/);
    const events = (await readEventDir(dir)).flatMap((f) => f.events);
    const losses = events.flatMap((e) =>
      (e.summary?.value ?? []).filter((v) => v.tag === 'loss').map((v) => [e.step, v.simpleValue]),
    );
    assert.ok(losses.length >= 2, `loss summaries written: ${JSON.stringify(losses)}`);
    run.dispose();
  });

  it('training checkpointed, killed, restored and continued matches uninterrupted training bit for bit', async () => {
    const straight = await train({ lastStep: 23 });
    const dir = await tempDir();
    // The "kill": a failure nobody recovers from at step 13; the last checkpoint is at step 10.
    await assert.rejects(
      train({ lastStep: 23, checkpointDir: dir, faultAt: new Map([[13, () => new Error('killed')]]) }),
      /killed/,
    );
    assert.match((await latestCheckpoint(dir)) ?? '', /model\.ckpt-10$/);
    // A new model, built with other initial weights: the restore overwrites them.
    const resumed = await train({ lastStep: 23, checkpointDir: dir, seed: 99 });
    assert.equal(resumed.losses.length, 13);
    assert.deepEqual(resumed.weights, straight.weights);
    assert.deepEqual(resumed.optimizer, straight.optimizer);
    straight.dispose();
    resumed.dispose();
  });

  it('recovers in process from lost sessions (restoring checkpoints) and matches uninterrupted training', async () => {
    const straight = await train({ lastStep: 23 });
    const lost = () => new UnavailableError('worker lost');
    const recovered = await train({
      lastStep: 23,
      checkpointDir: await tempDir(),
      faultAt: new Map([
        [7, lost],
        [16, lost],
        [17, lost],
      ]),
    });
    assert.equal(recovered.recoveries, 3);
    assert.deepEqual(recovered.weights, straight.weights);
    assert.deepEqual(recovered.optimizer, straight.optimizer);
    straight.dispose();
    recovered.dispose();
  });

  it('with asynchronous checkpoints (asyncCheckpoint), killed, restored and continued matches bit for bit', async () => {
    const straight = await train({ lastStep: 23 });
    const dir = await tempDir();
    // Steps 11 to 13 train while the checkpoint of step 10 is written: it holds step 10's values.
    await assert.rejects(
      train({
        lastStep: 23,
        checkpointDir: dir,
        faultAt: new Map([[13, () => new Error('killed')]]),
        session: { asyncCheckpoint: true },
      }),
      /killed/,
    );
    assert.match((await latestCheckpoint(dir)) ?? '', /model\.ckpt-10$/);
    const resumed = await train({ lastStep: 23, checkpointDir: dir, seed: 99, session: { asyncCheckpoint: true } });
    assert.equal(resumed.losses.length, 13);
    assert.deepEqual(resumed.weights, straight.weights);
    assert.deepEqual(resumed.optimizer, straight.optimizer);
    const lost = () => new UnavailableError('worker lost');
    const recovered = await train({
      lastStep: 23,
      checkpointDir: await tempDir(),
      faultAt: new Map([
        [6, lost],
        [11, lost],
        [17, lost],
      ]),
      session: { asyncCheckpoint: true },
    });
    assert.equal(recovered.recoveries, 3);
    assert.deepEqual(recovered.weights, straight.weights);
    assert.deepEqual(recovered.optimizer, straight.optimizer);
    straight.dispose();
    resumed.dispose();
    recovered.dispose();
  });

  it('a recovery with no checkpoint re-initializes the tfjs state along with the global step', async () => {
    const straight = await train({ lastStep: 9 });
    const lost = () => new UnavailableError('worker lost');
    const recovered = await train({ lastStep: 9, faultAt: new Map([[6, lost]]) });
    assert.equal(recovered.recoveries, 1);
    assert.equal(recovered.losses.length, 6 + 9, 'steps 0-5, then 0-8 again');
    assert.deepEqual(recovered.weights, straight.weights);
    straight.dispose();
    recovered.dispose();
  });

  it('refuses misuse with UsageError naming the option', () => {
    const graph = new Graph();
    const optimizer = tf.train.sgd(0.1);
    const loss = () => tf.scalar(0);
    assert.throws(
      () => tfjsTrainStep(graph, { optimizer: {} as tf.Optimizer, loss }),
      (e: unknown) => {
        return e instanceof UsageError && /`optimizer` to be a tf.Optimizer/.test(e.message);
      },
    );
    assert.throws(() => tfjsTrainStep(graph, { optimizer, loss, varList: [1 as never] }), /`varList`/);
    assert.throws(() => tfjsTrainStep(graph, { optimizer, loss, readLoss: 'later' as never }), /`readLoss`/);
    assert.throws(() => tfjsTrainStep(graph, { optimizer, loss, lossFn: loss } as never), UnknownOptionError);
    assert.equal(graph.getCollection('saveable_objects').length, 0, 'nothing registered');
  });

  it('a NaN loss stops training with NanLossDuringTrainingError', async () => {
    await assert.rejects(
      train({ lastStep: 10, faultAt: new Map([[3, () => Number.NaN]]) }),
      NanLossDuringTrainingError,
    );
  });

  it('a checkpoint of another model is refused at creation with TfjsStateMismatchError naming the weight', async () => {
    const dir = await tempDir();
    (await train({ lastStep: 5, checkpointDir: dir })).dispose();
    const graph = new Graph();
    const tfl = await import('@tensorflow/tfjs-layers');
    const wider = tfl.sequential({ layers: [tfl.layers.dense({ units: 5, inputShape: [4] })] });
    const step = tfjsTrainStep(graph, { model: wider, optimizer: tf.train.adam(0.05), loss: () => tf.scalar(0) });
    void step;
    await assert.rejects(monitoredTrainingSession({ graph, checkpointDir: dir }), (e: unknown) => {
      assert.ok(e instanceof TfjsStateMismatchError, String(e));
      assert.equal(e.variable, 'model/0/kernel');
      assert.equal(e.expected, '[4,5] float32');
      assert.equal(e.actual, '[4,3] float32');
      return true;
    });
    wider.dispose();
  });
});
