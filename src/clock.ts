/**
 * Injected time. Every timer in the runtime (backoff, grace periods, periodic hooks, polling)
 * goes through a {@link Clock}, so tests drive time with a {@link TestClock} instead of sleeping.
 * The shape is a superset of xstate's clock, so one clock can drive the actors too.
 *
 * "Forever" delays (`Infinity`, or anything at or above 2^31 ms, see {@link isForever}) schedule
 * nothing on either clock: Node would clamp them to 1 ms and fire at once.
 */
import { describeValue } from './errors.ts';
import { logger } from './logger.ts';
import { expect, instanceOf, is, isForever, optional, rule, withMethods, type Rule } from './internal/validate.ts';

/** A source of time and timers. Compatible with xstate's `clock` actor option. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch (wall time for the system clock). */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond precision, for measuring rates; `now` when absent. */
  hrNow?(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What {@link checkClock} accepts: an object with `now`, `setTimeout` and `clearTimeout` methods. */
const clockRule: Rule<Clock> = withMethods<Clock>(
  'a clock (an object with now, setTimeout and clearTimeout)',
  'now',
  'setTimeout',
  'clearTimeout',
);

/**
 * Checks a `clock` option when it is passed (not when it is first used, deep inside an actor):
 * returns it, or `undefined` when left out, else throws a `UsageTypeError` naming `api` and `option`.
 * @example
 * this.#clock = checkClock('SummaryWriter', 'clock', options.clock) ?? systemClock;
 */
export function checkClock(api: string, option: string, value: unknown): Clock | undefined {
  return optional(api, option, value, clockRule);
}

/** A delay: NaN and negative delays mean "now", as for Node's timers. */
const anyNumber = rule<number>('a number of milliseconds', 'type', (v) => typeof v === 'number');

/** The handle of a "forever" timer: nothing was scheduled, so clearing it does nothing. */
const FOREVER: unique symbol = Symbol('forever timer');

/**
 * Runs a timer callback: what it throws, or a promise it returns that rejects, is logged, never
 * left uncaught or unhandled (a timer has no caller to hand an error to).
 */
function fire(fn: () => unknown): void {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    logger.error(`A timer callback threw: ${errorText(error)}`, error);
    return;
  }
  if (result instanceof Promise) {
    result.catch((error: unknown) => logger.error(`A timer callback's promise rejected: ${errorText(error)}`, error));
  }
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : describeValue(error);
  } catch {
    return describeValue(error);
  }
}

/** The real clock: `Date.now()` and the global timers; a "forever" delay schedules nothing. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  hrNow: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): unknown => {
    expect('systemClock.setTimeout', 'fn', fn, is.function);
    expect('systemClock.setTimeout', 'ms', ms, anyNumber);
    return isForever(ms) ? FOREVER : setTimeout(fire, ms, fn);
  },
  clearTimeout: (handle: unknown) => {
    if (handle === FOREVER || handle === null || handle === undefined) return;
    try {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    } catch {
      // Not a timer handle (as for the web's clearTimeout, clearing junk clears nothing).
    }
  },
});

/**
 * Resolves after `ms` on `clock`; rejects with `signal.reason` if the signal aborts first.
 * The timer is always cleared, so nothing outlives the wait.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  expect('sleep', 'clock', clock, clockRule);
  expect('sleep', 'ms', ms, anyNumber);
  optional('sleep', 'signal', signal, abortSignalRule);
  if (signal?.aborted) return Promise.reject(signal.reason);
  // Nothing to wait for: no timer, so a zero grace period never depends on the clock moving.
  if (!(ms > 0)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const abortSignalRule = instanceOf(AbortSignal, 'AbortSignal');
const finiteNonNegative = rule<number>(
  'a finite non-negative number',
  'value',
  (v) => Number.isFinite(v) && (v as number) >= 0,
);

interface ScheduledTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A manual clock for tests (like xstate's `SimulatedClock` or Effect's `TestClock`):
 * time moves only when `advance` is called, and due timers fire in time order, with pending
 * promise callbacks flushed between them.
 * @example
 * const clock = new TestClock();
 * const done = sleep(clock, 1000);
 * await clock.advance(1000); // `done` is now resolved
 */
export class TestClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ScheduledTimer[] = [];

  constructor(startMs = 0) {
    this.#now = expect('TestClock', 'startMs', startMs, is.finiteNumber);
  }

  now(): number {
    return this.#now;
  }

  /** Schedules `fn` after `ms`; a "forever" delay ({@link isForever}) schedules nothing. */
  setTimeout(fn: () => void, ms: number): number {
    expect('TestClock.setTimeout', 'fn', fn, is.function);
    expect('TestClock.setTimeout', 'ms', ms, anyNumber);
    const id = this.#nextId++;
    if (isForever(ms)) return id;
    const timer = { id, at: this.#now + (ms > 0 ? ms : 0), fn };
    // Keep the list sorted by due time, ties in scheduling order.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return id;
  }

  clearTimeout(handle: unknown): void {
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    expect('TestClock.advance', 'ms', ms, finiteNonNegative);
    let failed: { error: unknown } | undefined;
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      const result: unknown = next.fn();
      // A callback's rejected promise has no other observer: fail this advance with it, never leave it unhandled.
      if (result instanceof Promise) result.catch((error: unknown) => (failed ??= { error }));
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
    if (failed !== undefined) throw failed.error;
  }

  /** Fires timers until none is left (or `maxTimers` fired), advancing time to each. */
  async runAll(maxTimers = 10_000): Promise<void> {
    expect('TestClock.runAll', 'maxTimers', maxTimers, is.nonNegativeInteger);
    for (let n = 0; n < maxTimers; n++) {
      await flushMicrotasks();
      const next = this.#timers[0];
      if (next === undefined) return;
      await this.advance(next.at - this.#now);
    }
  }
}

/** Lets every queued promise callback run (a macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

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
