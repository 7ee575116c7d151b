import path from 'node:path';
import { readCheckpoint } from '../checkpoint/Saver.ts';
import { latestCheckpoint } from '../checkpoint/state.ts';
import { NanTensorHook } from '../hooks/NanTensorHook.ts';
import { ProgressHook, type ProgressStream } from '../hooks/ProgressHook.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import { StopAtStepHook } from '../hooks/StopAtStepHook.ts';
import type { Graph } from '../graph/Graph.ts';
import { exactResumeOf, restoresOf } from '../resume/ResumeState.ts';
import { monitoredTrainingSession } from '../training/monitoredTrainingSession.ts';
import { checkSameModel, prepareCheckpointDir } from './checkpointDir.ts';
import type { DistributedArgs } from './distributed.ts';
import type { InspectObserver } from '../session/MonitoredSession.ts';
import { buildIrisModel } from './iris.ts';
import {
  alreadyComplete,
  countedCheckpoints,
  observeRun,
  ranReport,
  trainUntilStopped,
  type StopControl,
} from './loop.ts';

/** Options of {@link train}. */
export interface TrainOptions extends StopControl {
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
  /** One task of a distributed job on Redis (`--master` with `--chief` or `--worker N`). */
  distributed?: DistributedArgs | undefined;
  /** An inspect observer for the lifecycle (`--inspect`, `--record`). */
  inspect?: InspectObserver;
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
  /** Where this task's TensorBoard summaries are; `null` for a worker (the chief writes them). */
  summaryDir: string | null;
  elapsedSecs: number;
  /**
   * Every restore of this run (from the checkpoint it started from, and in each recovery) continued
   * the job exactly: data position, random state and hook state, so the weights are bit for bit
   * those of an uninterrupted run. For an already-complete run, what its checkpoint says.
   */
  exactResume: boolean;
  /** Why not, when `exactResume` is false. */
  exactResumeReasons: string[];
}

/** The global step stored in a checkpoint (0 when it has none), after checking it is this model's. */
async function stepOf(dir: string, prefix: string, graph: Graph): Promise<number> {
  const { variables } = await readCheckpoint(prefix);
  checkSameModel(dir, prefix, variables, graph);
  const step = variables['global_step'];
  return typeof step === 'number' ? step : 0;
}

/**
 * Trains softmax regression on Iris under a MonitoredTrainingSession until `steps`: restores
 * from `checkpointDir`, saves every `saveCheckpointSteps`, writes summaries there, recovers from
 * injected faults, and stops cleanly (with a final checkpoint) when `signal` aborts.
 */
export async function train(options: TrainOptions): Promise<TrainReport> {
  if (options.distributed !== undefined) {
    const { trainDistributed } = await import('./distributed.ts');
    return trainDistributed({ ...options, distributed: options.distributed });
  }
  // The tfjs job is loaded only when asked for: tfjs is an optional peer dependency.
  if (options.model === 'mlp')
    return (await import('./mlpTrain.ts')).trainMlp({ ...options, backend: options.backend ?? 'wasm' });
  const started = Date.now();
  const checkpointDir = path.resolve(options.checkpointDir);
  const model = buildIrisModel({ seed: options.seed, faultRate: options.faultRate });
  await prepareCheckpointDir(options.checkpointDir);
  const latest = await latestCheckpoint(checkpointDir);
  const latestStep = latest === undefined ? 0 : await stepOf(options.checkpointDir, latest, model.graph);
  const base = { targetStep: options.steps, checkpointDir, summaryDir: checkpointDir };
  if (latestStep >= options.steps) {
    const resume = await exactResumeOf(latest!);
    return {
      ...base,
      ...alreadyComplete(latestStep, latest),
      exactResume: resume.exact,
      exactResumeReasons: [...resume.reasons],
    };
  }

  const checkpoints = countedCheckpoints(checkpointDir, options.saveCheckpointSteps);
  const { observer, restoredSteps, final } = observeRun(model, latestStep);
  const chiefOnlyHooks: Hook[] = [observer, checkpoints.hook];
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
      new ProgressHook({
        lastStep: options.steps,
        tensors: { loss: model.fullLoss, accuracy: model.accuracy },
        stream: options.progress,
      }),
    ],
    recovery: { backoff: { initialMs: 5, maxMs: 500 } },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const interrupted = await trainUntilStopped(sess, model.train, options);
  const restores = restoresOf(model.graph);
  return {
    ...base,
    ...ranReport({
      interrupted,
      startStep: latestStep,
      final,
      faultsInjected: model.faults.count,
      sess,
      restoredSteps,
      checkpointsWritten: checkpoints.counted.written,
      latestCheckpoint: await latestCheckpoint(checkpointDir),
      started,
    }),
    exactResume: restores.every((r) => r.exact),
    exactResumeReasons: [...new Set(restores.flatMap((r) => r.reasons))],
  };
}
