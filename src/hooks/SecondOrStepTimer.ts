import { systemClock, type Clock } from '../clock.ts';
import { UsageValueError } from '../errors.ts';
import { checkOptions, expect, is, optional, withMethods } from '../internal/validate.ts';

/** Options of {@link SecondOrStepTimer}: exactly one of `everySecs`, `everySteps`. */
export interface SecondOrStepTimerOptions {
  everySecs?: number | null;
  everySteps?: number | null;
  /** @default systemClock */
  clock?: Clock;
}

const API = 'SecondOrStepTimer';

/**
 * Decides when a periodic hook fires: every N seconds or every N steps (TensorFlow's
 * `SecondOrStepTimer`). Time comes from the injected clock.
 */
export class SecondOrStepTimer {
  readonly everySecs: number | undefined;
  readonly everySteps: number | undefined;
  readonly #now: () => number;
  #lastTime: number | undefined;
  #lastStep: number | undefined;

  constructor(options: SecondOrStepTimerOptions = {}) {
    const opts = checkOptions(API, options, ['everySecs', 'everySteps', 'clock']);
    const secs = optional(API, 'everySecs', opts.everySecs ?? undefined, is.duration);
    const steps = optional(API, 'everySteps', opts.everySteps ?? undefined, is.nonNegativeInteger);
    if (secs === undefined && steps === undefined) {
      throw new UsageValueError(`${API}: either \`everySecs\` or \`everySteps\` should be provided.`, {
        api: API,
        option: 'everySecs',
        received: undefined,
      });
    }
    if (secs !== undefined && steps !== undefined) {
      throw new UsageValueError(`${API}: can not provide both \`everySecs\` and \`everySteps\`.`, {
        api: API,
        option: 'everySteps',
        received: steps,
      });
    }
    this.everySecs = secs;
    this.everySteps = steps;
    const clock =
      optional(API, 'clock', opts.clock, withMethods<Clock>('a clock', 'now', 'setTimeout', 'clearTimeout')) ??
      systemClock;
    // Periods and rates on the clock's high-resolution time when it has one: a millisecond clock
    // makes `steps/sec` jump between a few fixed values (50000, 25000, ...).
    this.#now = typeof clock.hrNow === 'function' ? () => clock.hrNow!() : () => clock.now();
  }

  /** Forgets the last trigger. */
  reset(): void {
    this.#lastTime = undefined;
    this.#lastStep = undefined;
  }

  /** True the first time, never twice for the same step, then once the period has passed. */
  shouldTriggerForStep(step: number): boolean {
    if (this.#lastStep === undefined) return true;
    if (this.#lastStep === step) return false;
    if (this.everySecs !== undefined) return this.#now() >= this.#lastTime! + this.everySecs * 1000;
    return step >= this.#lastStep + this.everySteps!;
  }

  /** Marks a trigger at `step`; returns seconds and steps since the previous one (undefined the first time). */
  updateLastTriggeredStep(step: number): [number | undefined, number | undefined] {
    const now = this.#now();
    const elapsed: [number | undefined, number | undefined] =
      this.#lastTime === undefined ? [undefined, undefined] : [(now - this.#lastTime) / 1000, step - this.#lastStep!];
    this.#lastTime = now;
    this.#lastStep = step;
    return elapsed;
  }

  lastTriggeredStep(): number | undefined {
    return this.#lastStep;
  }

  /** The last trigger as a checkpointable record: its step and the milliseconds since it. */
  checkpointState(): { lastStep: number | null; msSinceLast: number | null } {
    if (this.#lastStep === undefined) return { lastStep: null, msSinceLast: null };
    return { lastStep: this.#lastStep, msSinceLast: this.#now() - this.#lastTime! };
  }

  /** Continues from {@link checkpointState}: the next trigger comes when it would have come. */
  restoreCheckpointState(state: Readonly<Record<string, unknown>>): void {
    const { lastStep, msSinceLast } = expect(`${API}.restoreCheckpointState`, 'state', state, is.object);
    if (typeof lastStep !== 'number' || typeof msSinceLast !== 'number') return this.reset();
    this.#lastStep = lastStep;
    this.#lastTime = this.#now() - msSinceLast;
  }
}
