import { systemClock, type Clock } from '../clock.ts';
import { arrayOf, checkOptions, expect, is, optional, rule } from '../internal/validate.ts';
import { waitAtMost } from '../clock.ts';
import { clockRule, errorClassesRule } from './rules.ts';
import { OutOfRangeError, RuntimeError } from '../errors.ts';
import { logger } from '../logger.ts';

/** A background task the coordinator watches (TensorFlow's thread). */
export interface CoordinatedThread {
  readonly name: string;
  /** Settles when the task ends. */
  readonly done: Promise<unknown>;
  /** True until `done` settles. */
  readonly alive: boolean;
}

/** A task to watch: a promise, or a {@link CoordinatedThread} (whose `done` is a promise). */
const threadRule = rule<CoordinatedThread | Promise<unknown>>(
  'a promise or a thread ({ name, done, alive })',
  'type',
  (v) =>
    v instanceof Promise ||
    (typeof v === 'object' && v !== null && typeof (v as { done?: { then?: unknown } }).done?.then === 'function'),
);

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  /** Errors of these classes count as a clean stop (no error recorded). @default [OutOfRangeError] */
  cleanStopExceptionTypes?: readonly (abstract new (...args: any[]) => unknown)[];
  /** Clock for `waitForStop` and the grace period of `join`. @default systemClock */
  clock?: Clock;
}

/** Options of {@link Coordinator.join}. */
export interface JoinOptions {
  /** Extra tasks to wait for besides the registered ones. */
  threads?: readonly (CoordinatedThread | Promise<unknown>)[];
  /** How long tasks may keep running after the stop request. @default 120 */
  stopGracePeriodSecs?: number;
  /** Only log tasks still running after the grace period, instead of throwing. @default false */
  ignoreLiveThreads?: boolean;
}

/** Wraps a promise as a thread whose `alive` flag follows it. */
export function asThread(task: CoordinatedThread | Promise<unknown>, name = 'task'): CoordinatedThread {
  if (!(task instanceof Promise)) return task;
  const thread = { name, alive: true, done: task };
  task.then(
    () => (thread.alive = false),
    () => (thread.alive = false),
  );
  return thread;
}

/**
 * Coordinates the stop of a set of asynchronous tasks (TensorFlow's `tf.train.Coordinator`):
 * any task can request a stop, optionally with an error; the first error is kept and re-raised
 * by `join` and `raiseRequestedException`.
 */
export class Coordinator {
  readonly #cleanTypes: readonly (abstract new (...args: any[]) => unknown)[];
  readonly #clock: Clock;
  readonly #threads = new Set<CoordinatedThread>();
  readonly #stopWaiters = new Set<() => void>();
  readonly #stopListeners = new Set<() => void>();
  #stop = false;
  #joined = false;
  #exception: unknown = undefined;
  #hasException = false;

  constructor(options: CoordinatorOptions = {}) {
    const o = checkOptions('Coordinator', options, ['cleanStopExceptionTypes', 'clock']);
    this.#cleanTypes = optional(
      'Coordinator',
      'cleanStopExceptionTypes',
      o.cleanStopExceptionTypes,
      errorClassesRule,
    ) ?? [OutOfRangeError];
    this.#clock = optional('Coordinator', 'clock', o.clock, clockRule) ?? systemClock;
  }

  /** True once a stop was requested. */
  shouldStop(): boolean {
    return this.#stop;
  }

  /** True after `join` finished. */
  get joined(): boolean {
    return this.#joined;
  }

  /** The recorded error, if any. */
  get exception(): unknown {
    return this.#exception;
  }

  /** True when an error was recorded. */
  get hasException(): boolean {
    return this.#hasException;
  }

  /** True for an error of a clean type; a value that throws when inspected (a revoked proxy) is not clean. */
  #isClean(error: unknown): boolean {
    try {
      return this.#cleanTypes.some((t) => error instanceof t);
    } catch {
      return false;
    }
  }

  /**
   * Requests a stop. The first error reported before the stop is recorded; errors of a clean
   * type count as none; after `join`, a reported error is thrown at once to the caller.
   */
  requestStop(error?: unknown): void {
    if (error !== undefined && this.#isClean(error)) error = undefined;
    if (this.#joined && error !== undefined) throw error;
    if (this.#stop) {
      if (error !== undefined)
        logger.debug('Coordinator: dropping an error reported after the stop was requested', error);
      return;
    }
    if (error !== undefined && !this.#hasException) {
      this.#exception = error;
      this.#hasException = true;
    }
    this.#stop = true;
    for (const wake of this.#stopWaiters) wake();
    this.#stopWaiters.clear();
    for (const listener of this.#stopListeners) {
      try {
        listener();
      } catch (thrown) {
        logger.error('Coordinator: a stop listener threw', thrown);
      }
    }
  }

  /**
   * Calls `listener` synchronously, inside `requestStop`, when a stop is requested (not if it
   * already was). Returns the disposer that removes it.
   */
  onStop(listener: () => void): () => void {
    this.#stopListeners.add(listener);
    return () => void this.#stopListeners.delete(listener);
  }

  /** Clears the stop request, the joined flag and the recorded error. */
  clearStop(): void {
    this.#stop = false;
    this.#joined = false;
    this.#exception = undefined;
    this.#hasException = false;
  }

  /** Resolves true when a stop is requested, or false after `ms` (waits forever when unset). */
  waitForStop(ms?: number): Promise<boolean> {
    if (this.#stop) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: unknown;
      const wake = (): void => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        resolve(true);
      };
      this.#stopWaiters.add(wake);
      if (ms !== undefined) {
        timer = this.#clock.setTimeout(() => {
          this.#stopWaiters.delete(wake);
          resolve(false);
        }, ms);
      }
    });
  }

  /** Throws the recorded error, if any; no other effect. */
  raiseRequestedException(): void {
    if (this.#hasException) throw this.#exception;
  }

  /** Watches a task: `join` waits for it. Accepts a promise or a {@link CoordinatedThread}. */
  registerThread(task: CoordinatedThread | Promise<unknown>, name?: string): CoordinatedThread {
    void expect('Coordinator.registerThread', 'task', task, threadRule);
    const thread = asThread(task, optional('Coordinator.registerThread', 'name', name, is.string));
    this.#threads.add(thread);
    return thread;
  }

  /** Runs `fn`; anything it throws is reported with `requestStop(error)` and swallowed. */
  async stopOnException(fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.requestStop(error);
    }
  }

  /**
   * Waits until every task ended or a stop was requested, then gives live tasks up to the grace
   * period. Throws the recorded error if any; otherwise throws when tasks are still running,
   * unless `ignoreLiveThreads`. Returns the names of the tasks left running.
   */
  async join(options: JoinOptions = {}): Promise<string[]> {
    checkOptions('Coordinator.join', options, ['threads', 'stopGracePeriodSecs', 'ignoreLiveThreads']);
    const threadsRule = arrayOf(threadRule, 'an array of promises or threads');
    void optional('Coordinator.join', 'threads', options.threads, threadsRule);
    const grace = optional('Coordinator.join', 'stopGracePeriodSecs', options.stopGracePeriodSecs, is.duration) ?? 120;
    const threads = [...this.#threads, ...(options.threads ?? []).map((t) => asThread(t))];
    const allDone = Promise.allSettled(threads.map((t) => t.done));
    await Promise.race([allDone, this.waitForStop()]);
    if (threads.some((t) => t.alive)) {
      await waitAtMost(this.#clock, grace * 1000, allDone);
    }
    this.#joined = true;
    this.#threads.clear();
    const stragglers = threads.filter((t) => t.alive).map((t) => t.name);
    if (this.#hasException) throw this.#exception;
    if (stragglers.length > 0) {
      if (options.ignoreLiveThreads) {
        logger.warn(`Coordinator stopped with threads still running: ${stragglers.join(', ')}`);
      } else {
        throw new RuntimeError(`Coordinator stopped with threads still running: ${stragglers.join(', ')}`);
      }
    }
    return stragglers;
  }
}
