import type { OpError } from '../errors.ts';
import { Pending } from '../internal/pending.ts';
import { mapRedisError } from './errors.ts';
import { epochLost } from './jobErrors.ts';

/**
 * The epoch check of one tick: the job's epoch key, read in front of (or atomically with, as an
 * `MGET`) the first read or add of the tick. It covers every operation of the tick sent after
 * it on the same connection: their replies come after its own, so an operation usually finds
 * it settled when its reply is in, and waits for it otherwise.
 * @internal
 */
export class EpochCheck {
  readonly #epoch: Buffer;
  readonly #onSettled: () => void;
  #settled = false;
  #error: OpError | undefined;
  #waiters: (() => void)[] | undefined;

  /** `epoch`: the bound epoch's bytes. */
  constructor(epoch: Buffer, onSettled: () => void) {
    this.#epoch = epoch;
    this.#onSettled = onSettled;
  }

  /** Settles with the epoch key's value (a `Buffer`, or `null` when it is gone). */
  settle(current: unknown): void {
    if (this.#settled) return;
    if (!(current instanceof Buffer) || !current.equals(this.#epoch))
      this.#error = epochLost(current instanceof Buffer);
    this.#finish();
  }

  /** Settles with the failure of the command that carried the check. */
  failWith(error: unknown): void {
    if (this.#settled) return;
    this.#error = mapRedisError(error, 'epoch check');
    this.#finish();
  }

  /** `AbortedError` when the epoch was lost (or the check's own failure); `undefined` when it passed. */
  get error(): OpError | undefined {
    return this.#error;
  }

  /**
   * `ok(value)` of the operation's `reply` once this check passed (at once when it already has,
   * the usual case), as a `Pending` settled in the reply's callback. A lost epoch takes
   * precedence over the operation's own failure, which goes to `failed` (mapped to the error
   * taxonomy) or is the result; `what` names the operation.
   */
  guard<T>(
    reply: Promise<unknown>,
    ok: (value: unknown) => T,
    what: string,
    failed?: (error: OpError) => T | PromiseLike<T>,
  ): Pending<T> {
    const out = new Pending<T>();
    reply.then(
      (value) => {
        if (this.#settled) this.#passed(out, ok, value);
        else this.#later(() => this.#passed(out, ok, value));
      },
      (error: unknown) => {
        const mapped = mapRedisError(error, what);
        if (this.#settled) this.#failed(out, mapped, failed);
        else this.#later(() => this.#failed(out, mapped, failed));
      },
    );
    return out;
  }

  #passed<T>(out: Pending<T>, ok: (value: unknown) => T, value: unknown): void {
    if (this.#error !== undefined) return out.reject(this.#error);
    let result: T;
    try {
      result = ok(value);
    } catch (error) {
      return out.reject(error);
    }
    out.resolve(result);
  }

  #failed<T>(out: Pending<T>, error: OpError, failed: ((error: OpError) => T | PromiseLike<T>) | undefined): void {
    if (this.#error !== undefined) return out.reject(this.#error);
    if (failed === undefined) return out.reject(error);
    try {
      out.follow(failed(error));
    } catch (thrown) {
      out.reject(thrown);
    }
  }

  /** Runs `then` once this check settled (it never throws). */
  #later(then: () => void): void {
    (this.#waiters ??= []).push(then);
  }

  #finish(): void {
    this.#settled = true;
    this.#onSettled();
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters !== undefined) for (const then of waiters) then();
  }
}

/**
 * A store's epoch checks, one per tick: the tick's first operation makes one (riding along with
 * its own command, or as a `GET` of the epoch key), the others of that tick share it, and the
 * next tick makes a new one once it settled.
 * @internal
 */
export class TickChecks {
  #current: EpochCheck | undefined;
  #epoch: Buffer | undefined;

  /** This tick's check, if one was made. */
  get current(): EpochCheck | undefined {
    return this.#current;
  }

  /** A new check of `epoch` for this tick's operations (the caller sends what settles it). */
  fresh(epoch: string): EpochCheck {
    const check = new EpochCheck((this.#epoch ??= Buffer.from(epoch)), () => {
      if (this.#current === check) this.#current = undefined;
    });
    this.#current = check;
    return check;
  }

  /** This tick's check, or a new one settled by a `GET` of `epochKey` on `conn`. */
  ensure(
    conn: { send(command: string[], what: string): Promise<unknown> },
    epochKey: string,
    epoch: string,
  ): EpochCheck {
    if (this.#current !== undefined) return this.#current;
    const check = this.fresh(epoch);
    conn.send(['GET', epochKey], 'epoch check').then(
      (current) => check.settle(current),
      (error: unknown) => check.failWith(error),
    );
    return check;
  }

  /** The bound epoch changed: checks of the old one are forgotten. */
  rebind(): void {
    this.#current = undefined;
    this.#epoch = undefined;
  }
}
