import type { LifecycleEvent } from '../../machines/lifecycle.ts';
import type { FailureSource } from './recovery.ts';
import type { SessionStack } from './SessionStack.ts';

/** A failure report to the chart, numbered so its decision can be found. */
export type RecoverEvent = Extract<LifecycleEvent, { type: 'RECOVER' }> & { failure: number };

/**
 * The failures a monitored session reports to its lifecycle chart: each numbered (the chart's
 * decision names the failure it decided), and marked fresh when a run succeeded since the last
 * recovery, so that the recovery policy counts it as attempt 1 again.
 */
export class FailureLog {
  #fresh = true;
  #count = 0;

  /** A run succeeded: the next failure is attempt 1 again. */
  succeeded(): void {
    this.#fresh = true;
  }

  /** A recovery was decided: the next failure counts as a further attempt. */
  recovering(): void {
    this.#fresh = false;
  }

  /** The `RECOVER` event for `error` from `source` on `stack`, with the next number. */
  event(error: unknown, source: FailureSource, stack: SessionStack): RecoverEvent {
    return {
      type: 'RECOVER',
      error,
      source,
      generation: stack.generation,
      fresh: this.#fresh,
      failure: ++this.#count,
    };
  }
}
