import type { OpError } from '../errors.ts';

/** Something pending inside a run that can be cancelled (a blocked queue operation). */
export interface Cancellable {
  cancel(error: OpError): void;
}

/**
 * The cancellation scope of one `Session.run`: blocked queue operations register here, so that a
 * timeout, a failing sibling op, or closing the session cancels them instead of leaving a waiter
 * that would later consume an element for a run that no longer exists. Part of the `ResourceStore`
 * seam (custom stores receive it), so not internal.
 */
export class RunScope {
  #pending: Set<Cancellable> | undefined;
  #cancelledWith: OpError | undefined;
  #work: Promise<unknown>[] | undefined;

  /** Set once the scope is cancelled; an op starting later fails at once with this error. */
  get cancelledWith(): OpError | undefined {
    return this.#cancelledWith;
  }

  /** Registers `item`; on a scope already cancelled it is cancelled at once (a remote op may register late). */
  add(item: Cancellable): void {
    if (this.#cancelledWith !== undefined) {
      item.cancel(this.#cancelledWith);
      return;
    }
    (this.#pending ??= new Set()).add(item);
  }

  /**
   * Work the run must finish although no op waits for it (a state write whose new value ops
   * already use): the run settles after it, and fails if it fails.
   */
  waitFor(work: Promise<unknown>): void {
    // Observed at once: a run that already failed must not leave it rejecting unhandled.
    work.then(noop, noop);
    (this.#work ??= []).push(work);
  }

  /** Takes the work registered with {@link waitFor} so far (`undefined`: none). @internal */
  takeWork(): Promise<unknown>[] | undefined {
    const work = this.#work;
    this.#work = undefined;
    return work;
  }

  delete(item: Cancellable): void {
    this.#pending?.delete(item);
  }

  cancel(error: OpError): void {
    if (this.#cancelledWith !== undefined) return;
    this.#cancelledWith = error;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) for (const item of pending) item.cancel(error);
  }
}

const noop = (): void => {};
