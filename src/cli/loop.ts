import type { Tensor } from '../graph/Tensor.ts';
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
