/**
 * Injected time. Every timer in the runtime (backoff, grace periods, periodic hooks, polling)
 * goes through a {@link Clock}, so tests drive time with a {@link TestClock} instead of sleeping.
 * The shape is a superset of xstate's clock, so one clock can drive the actors too.
 */

/** A source of time and timers. Compatible with xstate's `clock` actor option. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch (wall time for the system clock). */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond precision, for measuring rates; `now` when absent. */
  hrNow?(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  hrNow: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/**
 * Resolves after `ms` on `clock`; rejects with `signal.reason` if the signal aborts first.
 * The timer is always cleared, so nothing outlives the wait.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  // Nothing to wait for: no timer, so a zero grace period never depends on the clock moving.
  if (!(ms > 0)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

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
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    const timer = { id, at: this.#now + Math.max(0, ms), fn };
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
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Fires timers until none is left (or `maxTimers` fired), advancing time to each. */
  async runAll(maxTimers = 10_000): Promise<void> {
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
