import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import type { MonitoredSession } from '../session/MonitoredSession.ts';
import { withSession } from '../session/withSession.ts';
import { SummaryWriterCache } from '../summary/SummaryWriterCache.ts';

/**
 * The CLI's step loop, shared by its jobs: runs `train` until the session says stop, or until
 * `signal` aborts (Ctrl-C, SIGTERM), then closes the session (hooks' `end`: a final checkpoint)
 * and the event files. Resolves `true` when the signal interrupted it.
 */
export async function trainUntilStopped(sess: MonitoredSession, train: Tensor, signal?: AbortSignal): Promise<boolean> {
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
