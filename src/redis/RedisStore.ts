import { InternalError, OpError, UnavailableError } from '../errors.ts';
import { FIFOQueueState } from '../graph/FIFOQueueState.ts';
import type { QueueResource, ResourceStore } from '../graph/ResourceStore.ts';
import type { Cancellable } from '../graph/RunScope.ts';
import { Pending } from '../internal/pending.ts';
import { andThen } from '../internal/promise.ts';
import { addSlowly, checkDelta } from './add.ts';
import { MISSING, decodeOr, encodeArg } from './codec.ts';
import { deleteKeys, type RedisConnection } from './connection.ts';
import { TickChecks } from './epochCheck.ts';
import { mapRedisError } from './errors.ts';
import { notReady, uninitialized } from './jobErrors.ts';
import { waitForReady } from './ready.ts';
import { RedisQueue } from './RedisQueue.ts';
import { EXISTS, MARK, type Script } from './scripts.ts';
import { jobKeysOf, readyGeneration, startGeneration, type JobKeys } from './generation.ts';
import type { RedisTarget } from './target.ts';
import { VariableKey } from './variableKey.ts';

/**
 * One session's view of a job's state in Redis. Keys live under `ms:<job>:<epoch>:`; the epoch
 * (run generation) is bound once per view: a chief's view starts a new one ({@link startEpoch}),
 * a worker's view takes the current one if the chief marked it ready. Every operation is checked
 * against the epoch (Lua, or one epoch read per tick), so a server that lost its data, or a chief
 * that re-initialized, shows up as `AbortedError`, never as silent training on empty state.
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
  /** This tick's epoch check, shared by the tick's operations. */
  readonly #checks = new TickChecks();
  /** Variables' keys in the bound epoch and their operations' names (cleared when it changes). */
  readonly #variables = new Map<string, VariableKey>();
  /**
   * Variables this view saw holding an integer in its epoch: their adds use plain `INCRBY` (a
   * missing key can then only mean a lost epoch, which the tick's epoch check reports).
   * @internal
   */
  readonly integers = new Set<string>();

  /** The job-level keys: epoch, ready marker, done marker. */
  readonly jobKeys: JobKeys;

  constructor(conn: RedisConnection, target: RedisTarget) {
    this.conn = conn;
    this.target = target;
    this.#prefix = `ms:${target.job}`;
    this.jobKeys = jobKeysOf(this.#prefix);
  }

  get closedWith(): Error | undefined {
    return this.#closedWith;
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

  /** A `GET` behind this tick's epoch check (the tick's first read carries it): one round trip per step. */
  readVariable(name: string): unknown {
    return this.#read(name, MISSING);
  }

  /** {@link readVariable}, answering `fallback` for an uninitialized variable (still one `GET`). */
  readVariableOr(name: string, fallback: unknown): unknown {
    return this.#read(name, fallback);
  }

  #read(name: string, fallback: unknown): unknown {
    const epoch = this.#epoch;
    if (epoch === undefined) return andThen(this.epoch(), () => this.#read(name, fallback));
    if (epoch === null) {
      if (fallback === MISSING) throw uninitialized(name);
      return fallback;
    }
    const { key, read: what } = this.#variable(epoch, name);
    const check = this.#checks.current;
    if (check !== undefined) {
      return check.guard(this.conn.send(['GET', key], what), (raw) => decodeOr(raw, name, fallback, what), what);
    }
    // The tick's first operation: the epoch key and the variable in one atomic MGET.
    const fresh = this.#checks.fresh(epoch);
    const out = new Pending<unknown>();
    this.conn.send(['MGET', this.jobKeys.epoch, key], what).then(
      (reply) => {
        fresh.settle((reply as unknown[])[0]);
        if (fresh.error !== undefined) return out.reject(fresh.error);
        let value: unknown;
        try {
          value = decodeOr((reply as unknown[])[1], name, fallback, what);
        } catch (error) {
          return out.reject(error);
        }
        out.resolve(value);
      },
      (error: unknown) => {
        fresh.failWith(error);
        out.reject(mapRedisError(error, what));
      },
    );
    return out;
  }

  /**
   * A plain `SET` of an epoch-scoped key: a session on a stale epoch can only write into its old
   * generation's keys, which nobody reads (its next read fails with `AbortedError`).
   */
  writeVariable(name: string, value: unknown): void | Promise<void> {
    return this.#assign(name, value, undefined);
  }

  /** {@link writeVariable} answering `value` once written (one continuation on the reply). */
  assignVariable<T>(name: string, value: T): Promise<T> {
    return this.#assign(name, value, value);
  }

  /** Writes `value`, answering `answer`. */
  #assign<T>(name: string, value: unknown, answer: T): Promise<T> {
    const epoch = this.#epoch;
    if (typeof epoch === 'string') {
      const variable = this.#variable(epoch, name);
      return variable.set(this.conn, variable.encode(value, name), answer);
    }
    const encoded = encodeArg(value, name);
    return Promise.resolve(this.requireEpoch(`write of ${name}`)).then(() =>
      this.#variable(this.#epoch as string, name).set(this.conn, encoded, answer),
    );
  }

  /** The key of variable `name` in `epoch`, the bound epoch, and its operations' names (cached). */
  #variable(epoch: string, name: string): VariableKey {
    let variable = this.#variables.get(name);
    if (variable === undefined) {
      variable = new VariableKey(this.key(epoch, 'v', name), name);
      this.#variables.set(name, variable);
    }
    return variable;
  }

  assignAdd(name: string, delta: number | bigint): unknown {
    checkDelta(name, delta);
    const epoch = this.#epoch;
    if (typeof epoch === 'string' && Number.isSafeInteger(delta) && this.integers.has(name)) {
      // The common case (the global step, once seen): native INCRBY behind this tick's epoch check.
      const { key, add: what } = this.#variable(epoch, name);
      const check = this.#checks.ensure(this.conn, this.jobKeys.epoch, epoch);
      const added = this.conn.send(['INCRBY', key, String(delta)], what);
      return check.guard(added, Number, what, (error) => {
        // No longer an integer there (a fraction was written): the general path.
        if (!(error instanceof InternalError)) throw error;
        this.integers.delete(name);
        return addSlowly(this, epoch, name, delta, what);
      });
    }
    const what = `assignAdd of ${name}`;
    return andThen(this.requireEpoch(what), (bound) => addSlowly(this, bound, name, delta, what));
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
    const { epoch, old } = await startGeneration(this.conn, this.jobKeys);
    this.adopt(epoch);
    if (old !== null) void deleteKeys(this.conn, `${this.#prefix}:${old}:*`);
  }

  /** Binds this view to `epoch` (an existing run generation). */
  adopt(epoch: string): void {
    this.#bound(epoch);
    this.#binding = Promise.resolve(epoch);
  }

  /** The bound epoch changed: cached keys and this tick's epoch check belong to the old one. */
  #bound(epoch: string | null): void {
    this.#epoch = epoch;
    this.#variables.clear();
    this.#checks.rebind();
  }

  /** Chief: marks the bound epoch ready, so workers go ahead. */
  async markReady(): Promise<void> {
    await this.#mark('markReady', this.jobKeys.ready, (epoch) => epoch);
  }

  /** Chief: marks the job complete at `step`; workers waiting for the chief then end cleanly. */
  async markDone(step: number): Promise<void> {
    await this.#mark('markDone', this.jobKeys.done, () => String(step));
  }

  /** Sets the job-level marker `key` to `value(epoch)`, checked against the bound epoch. */
  async #mark(what: string, key: string, value: (epoch: string) => string): Promise<void> {
    const epoch = await this.requireEpoch(what);
    await this.run(MARK, epoch, [key], [value(epoch)], what);
  }

  /**
   * Worker: waits up to `timeoutMs` for the chief to mark a run generation ready (checking every
   * 50 ms); `OutOfRangeError` when the job is already complete.
   */
  waitForReady(timeoutMs: number): Promise<boolean> {
    return waitForReady(this, timeoutMs, () => this.#released);
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
    const bound = await readyGeneration(this.conn, this.jobKeys);
    this.#bound(bound);
    return bound;
  }
}
