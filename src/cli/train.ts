import path from 'node:path';
import { readCheckpoint } from '../checkpoint/Saver.ts';
import { latestCheckpoint } from '../checkpoint/state.ts';
import { CheckpointSaverHook } from '../hooks/CheckpointSaverHook.ts';
import { NanTensorHook } from '../hooks/basicHooks.ts';
import { ProgressHook, type ProgressStream } from '../hooks/ProgressHook.ts';
import type { Hook } from '../hooks/SessionRunHook.ts';
import { StopAtStepHook } from '../hooks/StopAtStepHook.ts';
import type { Session } from '../graph/Session.ts';
import { monitoredTrainingSession } from '../session/monitoredTrainingSession.ts';
import { withSession } from '../session/MonitoredSession.ts';
import { SummaryWriterCache } from '../summary/SummaryWriter.ts';
import { buildIrisModel } from './iris.ts';

/** Options of {@link train}. */
export interface TrainOptions {
  steps: number;
  checkpointDir: string;
  saveCheckpointSteps: number;
  faultRate: number;
  seed: number;
  /** The job: softmax regression on Iris (embedded backend), or the tfjs MLP on digits. @default 'iris' */
  model?: 'iris' | 'mlp';
  /** The tfjs backend of the MLP job. @default 'wasm' */
  backend?: 'cpu' | 'wasm';
  /** Where progress goes (stderr). */
  progress: ProgressStream;
  /** Aborting stops training at the next step boundary, with a final checkpoint. */
  signal?: AbortSignal;
}

/** What a training run did. */
export interface TrainReport {
  status: 'completed' | 'already-complete' | 'interrupted';
  targetStep: number;
  startStep: number;
  finalStep: number;
  faultsInjected: number;
  recoveries: number;
  /** The global step each session started from (restored checkpoints, or 0). */
  restoredSteps: number[];
  checkpointsWritten: number;
  latestCheckpoint: string | undefined;
  finalLoss: number;
  finalAccuracy: number;
  /** Accuracy on the held-out test set (the MLP job). */
  testAccuracy?: number;
  checkpointDir: string;
  summaryDir: string;
  elapsedSecs: number;
}

/** The global step stored in a checkpoint (0 when it has none). */
async function stepOf(prefix: string): Promise<number> {
  const { variables } = await readCheckpoint(prefix);
  const step = variables['global_step'];
  return typeof step === 'number' ? step : 0;
}

/**
 * Trains softmax regression on Iris under a MonitoredTrainingSession until `steps`: restores
 * from `checkpointDir`, saves every `saveCheckpointSteps`, writes summaries there, recovers from
 * injected faults, and stops cleanly (with a final checkpoint) when `signal` aborts.
 */
export async function train(options: TrainOptions): Promise<TrainReport> {
  // The tfjs job is loaded only when asked for: tfjs is an optional peer dependency.
  if (options.model === 'mlp') return (await import('./mlpTrain.ts')).trainMlp({ ...options, backend: options.backend ?? 'wasm' });
  const started = Date.now();
  const checkpointDir = path.resolve(options.checkpointDir);
  const model = buildIrisModel({ seed: options.seed, faultRate: options.faultRate });
  const latest = await latestCheckpoint(checkpointDir);
  const latestStep = latest === undefined ? 0 : await stepOf(latest);
  const base = { targetStep: options.steps, checkpointDir, summaryDir: checkpointDir };
  if (latestStep >= options.steps) {
    return {
      ...base,
      status: 'already-complete',
      startStep: latestStep,
      finalStep: latestStep,
      faultsInjected: 0,
      recoveries: 0,
      restoredSteps: [latestStep],
      checkpointsWritten: 0,
      latestCheckpoint: latest,
      finalLoss: Number.NaN,
      finalAccuracy: Number.NaN,
      elapsedSecs: 0,
    };
  }

  let checkpointsWritten = 0;
  const restoredSteps: number[] = [];
  const final = { loss: Number.NaN, accuracy: Number.NaN, step: latestStep };
  const observer: Hook = {
    afterCreateSession: async (session: Session) => void restoredSteps.push(await session.run(model.step)),
    end: async (session: Session) => {
      [final.step, final.loss, final.accuracy] = await session.run([model.step, model.fullLoss, model.accuracy]);
    },
  };
  const chiefOnlyHooks: Hook[] = [
    observer,
    new CheckpointSaverHook({ checkpointDir, saveSteps: options.saveCheckpointSteps, listeners: [{ afterSave: () => void checkpointsWritten++ }] }),
  ];
  const sess = await monitoredTrainingSession({
    graph: model.graph,
    checkpointDir,
    // The checkpoint hook above counts its saves; the default one is off.
    saveCheckpointSecs: 0,
    saveCheckpointSteps: 0,
    saveSummariesSteps: 50,
    logStepCountSteps: 50,
    chiefOnlyHooks,
    hooks: [
      new StopAtStepHook({ lastStep: options.steps }),
      new NanTensorHook({ lossTensor: model.loss }),
      new ProgressHook({ lastStep: options.steps, tensors: { loss: model.fullLoss, accuracy: model.accuracy }, stream: options.progress }),
    ],
    recovery: { backoff: { initialMs: 5, maxMs: 500 } },
  });
  let interrupted = false;
  await withSession(sess, async (s) => {
    while (!s.shouldStop()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      await s.run(model.train);
    }
  });
  await SummaryWriterCache.clear();
  return {
    ...base,
    status: interrupted ? 'interrupted' : 'completed',
    startStep: latestStep,
    finalStep: final.step,
    faultsInjected: model.faults.count,
    recoveries: sess.snapshot.context.recoveries,
    restoredSteps,
    checkpointsWritten,
    latestCheckpoint: await latestCheckpoint(checkpointDir),
    finalLoss: final.loss,
    finalAccuracy: final.accuracy,
    elapsedSecs: (Date.now() - started) / 1000,
  };
}
