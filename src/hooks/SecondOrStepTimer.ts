import { systemClock, type Clock } from '../clock.ts';
import { ValueError, describeValue } from '../errors.ts';

/** Options of {@link SecondOrStepTimer}: exactly one of `everySecs`, `everySteps`. */
export interface SecondOrStepTimerOptions {
  everySecs?: number | null;
  everySteps?: number | null;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * Decides when a periodic hook fires: every N seconds or every N steps (TensorFlow's
 * `SecondOrStepTimer`). Time comes from the injected clock.
 */
export class SecondOrStepTimer {
  readonly everySecs: number | undefined;
  readonly everySteps: number | undefined;
  readonly #clock: Clock;
  #lastTime: number | undefined;
  #lastStep: number | undefined;

  constructor(options: SecondOrStepTimerOptions = {}) {
    const secs = options.everySecs ?? undefined;
    const steps = options.everySteps ?? undefined;
    if (secs === undefined && steps === undefined) throw new ValueError('SecondOrStepTimer: Either every_secs or every_steps should be provided.');
    if (secs !== undefined && steps !== undefined) throw new ValueError('SecondOrStepTimer: Can not provide both every_secs and every_steps.');
    if (secs !== undefined && (typeof secs !== 'number' || !(secs >= 0))) {
      throw new ValueError(`SecondOrStepTimer: expected \`everySecs\` to be a non-negative number, got ${describeValue(secs)}`);
    }
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 0)) {
      throw new ValueError(`SecondOrStepTimer: expected \`everySteps\` to be a non-negative integer, got ${describeValue(steps)}`);
    }
    this.everySecs = secs;
    this.everySteps = steps;
    this.#clock = options.clock ?? systemClock;
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
    if (this.everySecs !== undefined) return this.#clock.now() >= this.#lastTime! + this.everySecs * 1000;
    return step >= this.#lastStep + this.everySteps!;
  }

  /** Marks a trigger at `step`; returns seconds and steps since the previous one (undefined the first time). */
  updateLastTriggeredStep(step: number): [number | undefined, number | undefined] {
    const now = this.#clock.now();
    const elapsed: [number | undefined, number | undefined] =
      this.#lastTime === undefined ? [undefined, undefined] : [(now - this.#lastTime) / 1000, step - this.#lastStep!];
    this.#lastTime = now;
    this.#lastStep = step;
    return elapsed;
  }

  lastTriggeredStep(): number | undefined {
    return this.#lastStep;
  }
}
