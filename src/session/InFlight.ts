import type { Clock } from '../clock.ts';
import { waitAtMost } from '../clock.ts';
import { logger } from '../logger.ts';

/**
 * Counts the attempts (runs, step functions) in flight, so a close can wait for them, at most a
 * grace period; after that they are abandoned and waiting no longer blocks.
 */
export class InFlight {
  #count = 0;
  #idle: (() => void) | undefined;
  #abandoned = false;

  get count(): number {
    return this.#count;
  }

  enter(): void {
    this.#count++;
  }

  leave(): void {
    if (--this.#count === 0) this.#idle?.();
  }

  /** Waits until none is in flight, at most `ms`; resolves how many still are. */
  async drained(clock: Clock, ms: number): Promise<number> {
    if (this.#count === 0 || this.#abandoned) return this.#count;
    await waitAtMost(clock, ms, new Promise<void>((resolve) => (this.#idle = resolve)));
    this.#idle = undefined;
    return this.#count;
  }

  /** {@link drained}, and when some are still in flight after `ms`, the warning `warning(left)` is logged. */
  async drain(clock: Clock, ms: number, warning: (left: number) => string): Promise<number> {
    const left = await this.drained(clock, ms);
    if (left > 0) logger.warn(warning(left));
    return left;
  }

  /** The ones still in flight are given up: `drained` no longer waits for them. */
  abandon(): void {
    this.#abandoned = true;
  }
}
