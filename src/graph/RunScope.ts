import type { OpError } from '../errors.ts';
import { Pending, type Listener } from '../internal/pending.ts';

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
  /** Work registered with {@link waitFor} and not settled yet; its first failure; who waits for it. */
  #work = 0;
  #workFailed: { error: unknown } | undefined;
  #onWorkDone: (() => void) | undefined;

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
  waitFor(work: PromiseLike<unknown>): void {
    this.#work++;
    // Observed at once (a run that already failed must not leave it rejecting unhandled), and
    // counted, so that the run usually finds it done without waiting on a promise. A store's
    // `Pending` calls back directly.
    if (work instanceof Pending) {
      work.listen(RunScope.#workListener, this);
      return;
    }
    Promise.resolve(work).then(
      () => this.#workSettled(),
      (error: unknown) => this.#workFailedWith(error),
    );
  }

  static readonly #workListener: Listener<RunScope> = {
    settled: (scope) => scope.#workSettled(),
    failed: (scope, error) => scope.#workFailedWith(error),
  };

  #workFailedWith(error: unknown): void {
    this.#workFailed ??= { error };
    this.#workSettled();
  }

  /**
   * `undefined` once all work registered with {@link waitFor} is done, its first failure thrown,
   * or a promise of that while some is pending (one waiter at a time: the run). @internal
   */
  workDone(): void | Promise<void> {
    if (this.#work === 0) {
      if (this.#workFailed !== undefined) throw this.#workFailed.error;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      this.#onWorkDone = () => (this.#workFailed === undefined ? resolve() : reject(this.#workFailed.error));
    });
  }

  #workSettled(): void {
    if (--this.#work !== 0) return;
    const waiter = this.#onWorkDone;
    this.#onWorkDone = undefined;
    waiter?.();
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
