import { randomBytes } from 'node:crypto';
import { InternalError, InvalidArgumentError, OpError, UnavailableError } from '../errors.ts';
import { FIFOQueueState } from '../graph/FIFOQueueState.ts';
import type { QueueResource, ResourceStore } from '../graph/ResourceStore.ts';
import type { Cancellable } from '../graph/RunScope.ts';
import { andThen } from '../internal/promise.ts';
import { decodeStored, encodeStored } from './codec.ts';
import { deleteKeys, type RedisConnection } from './connection.ts';
import { epochLost, jobDone, notReady, uninitialized } from './jobErrors.ts';
import { RedisQueue } from './RedisQueue.ts';
import { ADD, CAS, EXISTS, GET, MARK, START_EPOCH, type Script } from './scripts.ts';
import type { RedisTarget } from './target.ts';

const READY_POLL_MS = 50;
/** No fallback: an uninitialized variable is `FailedPreconditionError`. */
const MISSING = Symbol('missing');

/**
 * One session's view of a job's state in Redis. Keys live under `ms:<job>:<epoch>:`; the epoch
 * (run generation) is bound once per view: a chief's view starts a new one ({@link startEpoch}),
 * a worker's view takes the current one if the chief marked it ready. Every operation checks
 * the epoch atomically (Lua), so a server that lost its data, or a chief that re-initialized,
 * shows up as `AbortedError`, never as silent training on empty state.
 * @internal
 */
export class RedisStore implements ResourceStore {
  readonly conn: RedisConnection;
  readonly target: RedisTarget;
  readonly #prefix: string;
  /** The bound epoch: a string, `null` (no ready epoch: nothing is initialized), or unbound. */
  #epoch: string | null | undefined;
  #binding: Promise<string | null> | undefined;
  #released = false;
  #closedWith: Error | undefined;
  readonly #queues = new Map<string, RedisQueue<unknown> | FIFOQueueState<unknown>>();
  /** Blocked queue operations of this view, cancelled when the store closes. */
  readonly pending = new Set<Cancellable>();
  #check: Promise<void> | undefined;
  /**
   * Variables this view saw holding an integer in its epoch: their adds use plain `INCRBY` (a
   * missing key can then only mean a lost epoch, which the tick's epoch check reports).
   */
  readonly #integers = new Set<string>();

  constructor(conn: RedisConnection, target: RedisTarget) {
    this.conn = conn;
    this.target = target;
    this.#prefix = `ms:${target.job}`;
  }

  get closedWith(): Error | undefined {
    return this.#closedWith;
  }

  /** The job-level keys: epoch, ready marker, done marker. */
  get jobKeys(): { epoch: string; ready: string; done: string } {
    return { epoch: `${this.#prefix}:epoch`, ready: `${this.#prefix}:ready`, done: `${this.#prefix}:done` };
  }

  /** The key of `kind`/`name` in `epoch`. */
  key(epoch: string, kind: 'v' | 'q', name: string): string {
    return `${this.#prefix}:${epoch}:${kind}:${name}`;
  }

  /** Runs a data script in `epoch` with the epoch key first. */
  run(
    script: Script,
    epoch: string,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
    what: string,
  ): Promise<unknown> {
    return this.conn.run(script, [this.jobKeys.epoch, ...keys], [epoch, ...args], what);
  }

  /** The bound epoch (synchronously once bound). */
  epoch(): string | null | Promise<string | null> {
    if (this.#epoch !== undefined) return this.#epoch;
    // A failed binding (server unreachable) is not kept: the next operation tries again.
    return (this.#binding ??= this.#bind().catch((error: unknown) => {
      this.#binding = undefined;
      throw error;
    }));
  }

  /** The bound epoch, or `AbortedError` when this view has none (a worker before the chief is ready). */
  requireEpoch(what: string): string | Promise<string> {
    return andThen(this.epoch(), (epoch) => {
      if (epoch === null) throw notReady(what, this.target.job);
      return epoch;
    });
  }

  /**
   * A plain `GET`, checked against the epoch by one `GET` of the epoch key sent just before it
   * in the same pipeline (shared by every read of this tick): one round trip for a step's reads.
   */
  readVariable(name: string): unknown {
    return this.#read(name, MISSING);
  }

  /** {@link readVariable}, answering `fallback` for an uninitialized variable (still one `GET`). */
  readVariableOr(name: string, fallback: unknown): unknown {
    return this.#read(name, fallback);
  }

  #read(name: string, fallback: unknown): unknown {
    const what = `read of ${name}`;
    return andThen(this.epoch(), (epoch) => {
      if (epoch === null) {
        if (fallback === MISSING) throw uninitialized(name);
        return fallback;
      }
      const check = this.#checkEpoch(epoch);
      const read = this.conn.command(['GET', this.key(epoch, 'v', name)], what);
      read.catch(() => {});
      return check
        .then(() => read)
        .then((raw) => {
          if (raw !== null && raw !== undefined) return decodeStored(raw as Buffer, what);
          if (fallback === MISSING) throw uninitialized(name);
          return fallback;
        });
    });
  }

  /**
   * A plain `SET` of an epoch-scoped key: a session on a stale epoch can only write into its old
   * generation's keys, which nobody reads (its next read fails with `AbortedError`).
   */
  writeVariable(name: string, value: unknown): void | Promise<void> {
    const encoded = encodeStored(value, name);
    const what = `write of ${name}`;
    return andThen(this.requireEpoch(what), (epoch) =>
      this.conn.command(['SET', this.key(epoch, 'v', name), encoded], what).then(() => undefined),
    );
  }

  /** One epoch check per tick, pipelined in front of that tick's reads. */
  #checkEpoch(epoch: string): Promise<void> {
    if (this.#check !== undefined) return this.#check;
    // Reads issued before this check settles were sent after it on the same connection, so it
    // covers them; once it settles, the next read sends a new one.
    const check = this.conn.command(['GET', this.jobKeys.epoch], 'epoch check').then(
      (current) => {
        this.#check = undefined;
        const now = (current as Buffer | null)?.toString();
        if (now !== epoch) throw epochLost(now !== undefined);
      },
      (error: unknown) => {
        this.#check = undefined;
        throw error;
      },
    );
    this.#check = check;
    return check;
  }

  assignAdd(name: string, delta: number | bigint): unknown {
    const what = `assignAdd of ${name}`;
    if (typeof delta !== 'number' && typeof delta !== 'bigint') {
      throw new InvalidArgumentError(
        `Graph.assignAdd: expected \`delta\` to be a number or bigint, got ${typeof delta}`,
        { op: name },
      );
    }
    return andThen(this.requireEpoch(what), async (epoch) => {
      const key = this.key(epoch, 'v', name);
      if (Number.isSafeInteger(delta) && this.#integers.has(name)) {
        // The common case (the global step, once seen): native INCRBY behind this tick's epoch check.
        const check = this.#checkEpoch(epoch);
        const added = this.conn.command(['INCRBY', key, String(delta)], what);
        added.catch(() => {});
        await check;
        try {
          return Number(await added);
        } catch (error) {
          // No longer an integer there (a fraction was written): the general path below.
          if (!(error instanceof InternalError)) throw error;
          this.#integers.delete(name);
        }
      }
      if (typeof delta === 'number') {
        // Lua: atomic, epoch-checked, and refuses an uninitialized variable.
        const stored = await this.run(ADD, epoch, [key], [String(delta), name], what);
        if (stored !== 0) {
          const value = decodeStored(stored as Buffer, what) as number;
          if (Number.isSafeInteger(value)) this.#integers.add(name);
          return value;
        }
      }
      // Not a finite number (bigint, NaN, Infinity): compare-and-set until no one raced us.
      for (;;) {
        const raw = (await this.run(GET, epoch, [key], [], what)) as Buffer | null;
        if (raw === null) throw uninitialized(name);
        const current = decodeStored(raw, what);
        if (typeof current !== typeof delta) {
          throw new InvalidArgumentError(
            `Graph.assignAdd: variable ${name} holds ${typeof current}, cannot add a ${typeof delta}`,
            { op: name },
          );
        }
        const next = (current as number) + (delta as number);
        if ((await this.run(CAS, epoch, [key], [raw, encodeStored(next, name)], what)) === 1) return next;
      }
    });
  }

  isInitialized(name: string): boolean | Promise<boolean> {
    return andThen(this.epoch(), (epoch) => {
      if (epoch === null) return false;
      return this.run(EXISTS, epoch, [this.key(epoch, 'v', name)], [], `isInitialized(${name})`).then(
        (r) => (r as number[])[0] === 1,
      );
    });
  }

  queue<T>(name: string, capacity: number): QueueResource<T> {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = this.target.localQueues
        ? new FIFOQueueState<unknown>(name, capacity)
        : new RedisQueue<unknown>(this, name, capacity);
      this.#queues.set(name, queue);
    }
    return queue as QueueResource<T>;
  }

  /** Chief: starts a new run generation (the old one's keys are deleted in the background). */
  async startEpoch(): Promise<void> {
    const epoch = randomBytes(8).toString('hex');
    const { epoch: epochKey, ready, done } = this.jobKeys;
    const old = (await this.conn.run(
      START_EPOCH,
      [epochKey, ready, done],
      [epoch],
      'start of a run generation',
    )) as Buffer | null;
    this.#epoch = epoch;
    this.#binding = Promise.resolve(epoch);
    if (old !== null) void deleteKeys(this.conn, `${this.#prefix}:${old.toString()}:*`);
  }

  /** Binds this view to `epoch` (an existing run generation). */
  adopt(epoch: string): void {
    this.#epoch = epoch;
    this.#binding = Promise.resolve(epoch);
  }

  /** Chief: marks the bound epoch ready, so workers go ahead. */
  async markReady(): Promise<void> {
    const epoch = await this.requireEpoch('markReady');
    await this.run(MARK, epoch, [this.jobKeys.ready], [epoch], 'markReady');
  }

  /** Chief: marks the job complete at `step`; workers waiting for the chief then end cleanly. */
  async markDone(step: number): Promise<void> {
    const epoch = await this.requireEpoch('markDone');
    await this.run(MARK, epoch, [this.jobKeys.done], [String(step)], 'markDone');
  }

  /**
   * Worker: waits up to `timeoutMs` for the chief to mark a run generation ready (checking every
   * 50 ms); `OutOfRangeError` when the job is already complete.
   */
  async waitForReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const { epoch, ready, done } = this.jobKeys;
    for (;;) {
      const [e, r, d] = (await this.conn.command(['MGET', epoch, ready, done], 'waitForReady')) as (Buffer | null)[];
      if (d) throw jobDone(this.target.job, d.toString());
      if (e && r && e.equals(r)) return true;
      if (Date.now() >= deadline || this.#released) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.conn.release();
  }

  close(error: Error): void {
    if (this.#closedWith) return;
    this.#closedWith = error;
    const opError = error instanceof OpError ? error : new UnavailableError(error.message, { cause: error });
    for (const p of this.pending) p.cancel(opError);
    for (const q of this.#queues.values()) if (q instanceof FIFOQueueState) q.abort(opError);
    this.release();
  }

  async #bind(): Promise<string | null> {
    if (this.target.newEpoch) {
      await this.startEpoch();
      return this.#epoch!;
    }
    const { epoch, ready, done } = this.jobKeys;
    const [e, r, d] = (await this.conn.command(['MGET', epoch, ready, done], 'session start')) as (Buffer | null)[];
    this.#epoch = e && r && e.equals(r) && !d ? e.toString() : null;
    return this.#epoch;
  }
}
