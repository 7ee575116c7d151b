import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint } from '../checkpoint/reader.ts';
import { latestCheckpoint } from '../checkpoint/state.ts';
import type { Session } from '../graph/Session.ts';
import { NanTensorHook } from '../hooks/NanTensorHook.ts';
import { ProgressHook, type ProgressStream } from '../hooks/ProgressHook.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import { StopAtStepHook } from '../hooks/StopAtStepHook.ts';
import { monitoredTrainingSession } from '../training/monitoredTrainingSession.ts';
import { useTfjsBackend, type TfjsBackendName } from '../tfjs/backend.ts';
import { loadDigits } from './digits.ts';
import { buildMlp } from './mlp.ts';
import { alreadyComplete, countedCheckpoints, ranReport, trainUntilStopped, type StopControl } from './loop.ts';
import type { TrainReport } from './train.ts';

/** Options of {@link trainMlp} (those of the Iris job, and the tfjs backend). */
export interface MlpTrainOptions extends StopControl {
  steps: number;
  checkpointDir: string;
  saveCheckpointSteps: number;
  faultRate: number;
  seed: number;
  /** @default 'cpu' */
  backend?: TfjsBackendName;
  progress: ProgressStream;
}

/** What the digit job did: the Iris job's report, with test accuracy and the data set's sizes. */
export interface MlpTrainReport extends TrainReport {
  model: 'mlp';
  backend: TfjsBackendName;
  /** Accuracy on the held-out test set (2,000 images) at the end. */
  testAccuracy: number;
  trainExamples: number;
  testExamples: number;
}

async function stepOf(prefix: string): Promise<number> {
  const { variables } = await readCheckpoint(prefix);
  const step = variables['global_step'];
  return typeof step === 'number' ? step : 0;
}

/**
 * Trains the 784-128-10 MLP on the `mnist` package's digits with tfjs under a
 * MonitoredTrainingSession until `steps`: restores from `checkpointDir` (weights and Adam's state),
 * saves every `saveCheckpointSteps`, writes summaries there, recovers from injected faults, stops
 * cleanly (with a final checkpoint) when `signal` aborts, and reports test accuracy.
 */
export async function trainMlp(options: MlpTrainOptions): Promise<MlpTrainReport> {
  const started = Date.now();
  const backend = options.backend ?? 'cpu';
  const checkpointDir = path.resolve(options.checkpointDir);
  tf.enableProdMode();
  await useTfjsBackend(backend);
  const data = await loadDigits();
  const latest = await latestCheckpoint(checkpointDir);
  const latestStep = latest === undefined ? 0 : await stepOf(latest);
  const base = {
    model: 'mlp' as const,
    backend,
    targetStep: options.steps,
    checkpointDir,
    summaryDir: checkpointDir,
    trainExamples: data.train.count,
    testExamples: data.test.count,
    exactResume: true,
    exactResumeReasons: [],
  };
  const job = buildMlp({ data, seed: options.seed, faultRate: options.faultRate });
  try {
    if (latestStep >= options.steps) {
      return { ...base, ...alreadyComplete(latestStep, latest), testAccuracy: Number.NaN };
    }
    const checkpoints = countedCheckpoints(checkpointDir, options.saveCheckpointSteps);
    const restoredSteps: number[] = [];
    const final = { loss: Number.NaN, accuracy: Number.NaN, test: Number.NaN, step: latestStep };
    const observer: Hook = {
      afterCreateSession: async (session: Session) => void restoredSteps.push(await session.run(job.step)),
      end: async (session: Session) => {
        final.step = await session.run(job.step);
        ({ loss: final.loss, accuracy: final.accuracy } = job.evaluate(data.train));
        final.test = job.evaluate(data.test).accuracy;
      },
    };
    const sess = await monitoredTrainingSession({
      graph: job.graph,
      checkpointDir,
      saveCheckpointSecs: 0,
      saveCheckpointSteps: 0,
      saveSummariesSteps: 100,
      logStepCountSteps: 100,
      chiefOnlyHooks: [observer, checkpoints.hook],
      hooks: [
        new StopAtStepHook({ lastStep: options.steps }),
        new NanTensorHook({ lossTensor: job.loss }),
        new ProgressHook({ lastStep: options.steps, tensors: { loss: job.loss }, stream: options.progress }),
      ],
      recovery: { backoff: { initialMs: 5, maxMs: 500 } },
    });
    const interrupted = await trainUntilStopped(sess, job.train, options);
    return {
      ...base,
      ...ranReport({
        interrupted,
        startStep: latestStep,
        final,
        faultsInjected: job.faults.count,
        sess,
        restoredSteps,
        checkpointsWritten: checkpoints.counted.written,
        latestCheckpoint: await latestCheckpoint(checkpointDir),
        started,
      }),
      testAccuracy: final.test,
    };
  } finally {
    job.dispose();
  }
}
