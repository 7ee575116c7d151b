import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import type { MonitoredSession } from '../session/MonitoredSession.ts';
import { withSession } from '../session/withSession.ts';
import { SummaryWriterCache } from '../summary/SummaryWriterCache.ts';
import { CheckpointSaverHook } from '../hooks/CheckpointSaverHook.ts';

/** How a job's step loop is stopped and watched from outside (the CLI's signal handling). */
export interface StopControl {
  /** Aborting stops training at the next step boundary, with a final checkpoint. */
  signal?: AbortSignal | undefined;
  /**
   * Called once this process has its session, before the first step. Until then a signal has
   * nothing to stop or save (a worker waiting for its chief, a chief restoring): the CLI quits at once.
   */
  onTraining?: (() => void) | undefined;
}

/**
 * The CLI's step loop, shared by its jobs: runs `train` until the session says stop, or until
 * `signal` aborts (Ctrl-C, SIGTERM), then closes the session (hooks' `end`: a final checkpoint)
 * and the event files. Resolves `true` when the signal interrupted it.
 */
export async function trainUntilStopped(
  sess: MonitoredSession,
  train: Tensor,
  { signal, onTraining }: StopControl,
): Promise<boolean> {
  onTraining?.();
  let interrupted = false;
  await withSession(sess, async (s) => {
    while (!s.shouldStop()) {
      if (signal?.aborted) {
        interrupted = true;
        break;
      }
      await s.run(train);
    }
  });
  await SummaryWriterCache.clear();
  return interrupted;
}

/** The tensors {@link observeRun} reads: the global step, and the loss and accuracy over the whole data set. */
export interface ObservedModel {
  step: Tensor<number>;
  fullLoss: Tensor<number>;
  accuracy: Tensor<number>;
}

/**
 * A hook for the CLI's report: the step each session started from (a restored checkpoint, or 0),
 * and the step, loss and accuracy at the end.
 */
export function observeRun(model: ObservedModel, startStep: number) {
  const restoredSteps: number[] = [];
  const final = { loss: Number.NaN, accuracy: Number.NaN, step: startStep };
  const observer: Hook = {
    afterCreateSession: async (session: Session) => void restoredSteps.push(await session.run(model.step)),
    end: async (session: Session) => {
      [final.step, final.loss, final.accuracy] = await session.run([model.step, model.fullLoss, model.accuracy]);
    },
  };
  return { observer, restoredSteps, final };
}

/** The report fields of a job that found its last step already reached: nothing ran, nothing was written. */
export function alreadyComplete(step: number, latest: string | undefined) {
  return {
    status: 'already-complete' as const,
    startStep: step,
    finalStep: step,
    faultsInjected: 0,
    recoveries: 0,
    restoredSteps: [step],
    checkpointsWritten: 0,
    latestCheckpoint: latest,
    finalLoss: Number.NaN,
    finalAccuracy: Number.NaN,
    elapsedSecs: 0,
  };
}

/**
 * The CLI's checkpoint hook (the default one is off): saves every `saveSteps` steps into
 * `checkpointDir`, and counts its saves for the report.
 */
export function countedCheckpoints(checkpointDir: string, saveSteps: number) {
  const counted = { written: 0 };
  const hook = new CheckpointSaverHook({
    checkpointDir,
    saveSteps,
    listeners: [{ afterSave: () => void counted.written++ }],
  });
  return { hook, counted };
}

/** The report fields of a job that ran: the counterpart of {@link alreadyComplete}. */
export function ranReport(run: {
  interrupted: boolean;
  startStep: number;
  final: { step: number; loss: number; accuracy: number };
  faultsInjected: number;
  sess: MonitoredSession;
  restoredSteps: number[];
  checkpointsWritten: number;
  latestCheckpoint: string | undefined;
  started: number;
}) {
  return {
    status: run.interrupted ? ('interrupted' as const) : ('completed' as const),
    startStep: run.startStep,
    finalStep: run.final.step,
    faultsInjected: run.faultsInjected,
    recoveries: run.sess.snapshot.context.recoveries,
    restoredSteps: run.restoredSteps,
    checkpointsWritten: run.checkpointsWritten,
    latestCheckpoint: run.latestCheckpoint,
    finalLoss: run.final.loss,
    finalAccuracy: run.final.accuracy,
    elapsedSecs: (Date.now() - run.started) / 1000,
  };
}
