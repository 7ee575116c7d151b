/**
 * Tensor leaks: `tf.memory().numTensors` stays flat over many steps and many recoveries. Sized for
 * CI; soak with TFJS_SOAK_STEPS=100000 and TFJS_SOAK_RECOVERIES=1000.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  AbortedError,
  Graph,
  StopAtStepHook,
  UnavailableError,
  getOrCreateGlobalStep,
  monitoredTrainingSession,
  summary,
  withSession,
} from '../../src/index.ts';
import { tfjsTrainStep } from '../../src/tfjs/index.ts';
import { batchOf, tinyLoss, tinyModel } from './helpers.ts';

const STEPS = Number(process.env['TFJS_SOAK_STEPS'] ?? 2000);
const RECOVERIES = Number(process.env['TFJS_SOAK_RECOVERIES'] ?? 60);

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Trains with a fault plan; returns the live tensor counts seen after each run once warmed up. */
async function countsWhileTraining(
  lastStep: number,
  failAt: (call: number) => 'none' | 'inLoss' | 'afterStep',
  readLoss: 'sync' | 'async',
  asyncCheckpoint = false,
) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-leak-'));
  dirs.push(dir);
  const graph = new Graph();
  const globalStep = getOrCreateGlobalStep(graph);
  const model = tinyModel(2);
  const optimizer = tf.train.adam(0.01);
  const batch = graph.op('batch', [globalStep], (s) => batchOf(s));
  let calls = 0;
  let plan: ReturnType<typeof failAt> = 'none';
  const step = tfjsTrainStep(graph, {
    model,
    optimizer,
    batch,
    readLoss,
    loss: (b) => {
      plan = failAt(++calls);
      const loss = tinyLoss(model, b);
      // Dies with tensors alive in the step: they must not outlive the lost session.
      if (plan === 'inLoss') throw new UnavailableError('lost in the step');
      return loss;
    },
  });
  const after = graph.op('after_step', [step.loss], (l) => {
    if (plan === 'afterStep') throw new AbortedError('lost after the step');
    return l;
  });
  summary.scalar(graph, 'loss', step.loss);
  let recoveries = 0;
  const sess = await monitoredTrainingSession({
    graph,
    checkpointDir: dir,
    saveCheckpointSteps: 50,
    asyncCheckpoint,
    saveSummariesSteps: 100,
    hooks: [new StopAtStepHook({ lastStep })],
    recovery: { backoff: { initialMs: 0, maxMs: 0 }, onRecovery: () => void recoveries++ },
  });
  const counts: number[] = [];
  await withSession(sess, async (s) => {
    let runs = 0;
    while (!s.shouldStop()) {
      await s.run([step.train, after]);
      if (++runs > 20) counts.push(tf.memory().numTensors);
    }
  });
  optimizer.dispose();
  model.dispose();
  return { counts, recoveries };
}

describe('tfjs tensor leaks', () => {
  it(`numTensors stays flat over ${STEPS} supervised steps (checkpoints and summaries included)`, async () => {
    const { counts } = await countsWhileTraining(STEPS, () => 'none', 'sync');
    assert.ok(counts.length > STEPS - 30);
    assert.equal(Math.max(...counts), Math.min(...counts), `numTensors went from ${counts[0]} to ${counts.at(-1)}`);
  });

  it(`numTensors stays flat with asynchronous checkpoints (asyncCheckpoint), over steps and recoveries`, async () => {
    let failures = 0;
    const { counts, recoveries } = await countsWhileTraining(
      Math.ceil(STEPS / 2),
      (call) => {
        if (call < 30 || call % 7 !== 0 || failures >= 20) return 'none';
        return ++failures % 2 === 0 ? 'inLoss' : 'afterStep';
      },
      'sync',
      true,
    );
    assert.equal(recoveries, 20);
    assert.equal(Math.max(...counts), Math.min(...counts), `numTensors went from ${counts[0]} to ${counts.at(-1)}`);
  });

  it(`numTensors stays flat over ${RECOVERIES} recoveries (lost in and after a step; sync, async reads)`, async () => {
    for (const readLoss of ['sync', 'async'] as const) {
      // After a warm-up, every 4th call fails (in the step, or after it in the same run) until
      // RECOVERIES failures; each recovery restores the last checkpoint into the live tfjs objects.
      let failures = 0;
      const { counts, recoveries } = await countsWhileTraining(
        60,
        (call) => {
          if (call < 30 || call % 4 !== 0 || failures >= RECOVERIES) return 'none';
          return ++failures % 2 === 0 ? 'inLoss' : 'afterStep';
        },
        readLoss,
      );
      assert.equal(recoveries, RECOVERIES);
      assert.equal(
        Math.max(...counts),
        Math.min(...counts),
        `${readLoss}: numTensors went from ${counts[0]} to ${counts.at(-1)}`,
      );
    }
  });
});
