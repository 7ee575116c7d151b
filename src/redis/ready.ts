import { jobDone } from './jobErrors.ts';
import type { RedisStore } from './RedisStore.ts';

const READY_POLL_MS = 50;

/**
 * Worker: waits up to `timeoutMs` for the chief to mark a run generation ready (checking every
 * 50 ms, and no longer once `released()`); `OutOfRangeError` when the job is already complete.
 * @internal
 */
export async function waitForReady(store: RedisStore, timeoutMs: number, released: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const { epoch, ready, done } = store.jobKeys;
  for (;;) {
    const [e, r, d] = (await store.conn.command(['MGET', epoch, ready, done], 'waitForReady')) as (Buffer | null)[];
    if (d) throw jobDone(store.target.job, d.toString());
    if (e && r && e.equals(r)) return true;
    if (Date.now() >= deadline || released()) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}
