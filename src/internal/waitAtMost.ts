import { sleep, type Clock } from '../clock.ts';
import { isForever } from './validate.ts';

/**
 * Waits for `promise` (its outcome ignored), at most `ms` on `clock`; resolves true when it
 * settled in time. A "forever" `ms` (`Infinity`, or past what a timer holds) sets no timer.
 */
export async function waitAtMost(clock: Clock, ms: number, promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const done = promise.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  if (isForever(ms)) {
    await done;
    return true;
  }
  const controller = new AbortController();
  await Promise.race([done, sleep(clock, ms, controller.signal).catch(() => {})]);
  controller.abort();
  return settled;
}
