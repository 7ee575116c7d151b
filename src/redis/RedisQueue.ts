import { CancelledError, OutOfRangeError, type OpError } from '../errors.ts';
import type { QueueResource } from '../graph/ResourceStore.ts';
import type { Cancellable, RunScope } from '../graph/RunScope.ts';
import { decodeStored, encodeStored } from './codec.ts';
import type { Blocker } from './connection.ts';
import { mapRedisError } from './errors.ts';
import type { RedisStore } from './RedisStore.ts';
import { CLOSE, DEQUEUE, ENQUEUE, GIVE_BACK, QUEUE_STATE } from './scripts.ts';

/** Longest single blocking wait on a signal; then the queue's state is checked again. */
const WAIT_SECS = '0.5';

/** One blocked operation: cancellable through its run's scope (and the store's close). */
class Waiter implements Cancellable {
  cancelledWith: OpError | undefined;
  blocker: Blocker | undefined;
  readonly #queue: RedisQueue<unknown>;
  constructor(queue: RedisQueue<unknown>) {
    this.#queue = queue;
  }
  cancel(error: OpError): void {
    if (this.cancelledWith !== undefined) return;
    this.cancelledWith = error;
    // Wake the blocked BLPOP on its dedicated connection: CLIENT UNBLOCK from the main one.
    if (this.blocker !== undefined) this.#queue.store.conn.unblock(this.blocker);
  }
}

/**
 * A FIFO queue in Redis, shared by every process of the job: a list, a capacity checked in Lua,
 * blocking enqueue and dequeue. Elements move only inside atomic scripts; a blocked operation
 * waits on a signal list (`BLPOP` on a dedicated connection), so cancelling it (`CLIENT
 * UNBLOCK`) or losing the connection never loses an element.
 * @internal
 */
export class RedisQueue<T> implements QueueResource<T> {
  readonly store: RedisStore;
  readonly name: string;
  readonly capacity: number;

  constructor(store: RedisStore, name: string, capacity: number) {
    this.store = store;
    this.name = name;
    this.capacity = capacity;
  }

  enqueue(item: T, scope: RunScope): Promise<void> {
    return this.enqueueMany([item], scope);
  }

  async enqueueMany(items: readonly T[], scope: RunScope): Promise<void> {
    const encoded = items.map((item, i) => encodeStored(item, `${this.name}[${i}]`));
    if (encoded.length === 0) return;
    let next = 0;
    await this.#blocking(scope, 'space', async (epoch, attempt) => {
      const mode = attempt === 0 ? 'new' : 'pending';
      const pushed = (await this.#run(
        ENQUEUE,
        epoch,
        [this.#cap(), mode, ...encoded.slice(next)],
        'enqueue',
      )) as number;
      if (pushed === -1) throw new CancelledError(`FIFOQueue '${this.name}' is closed.`);
      if (pushed === -2)
        throw new CancelledError(`Enqueue operation was cancelled: FIFOQueue '${this.name}' was closed.`);
      next += pushed;
      return next === encoded.length ? true : undefined;
    });
  }

  async dequeue(scope: RunScope): Promise<T> {
    const [item] = await this.#take(1, scope);
    return item as T;
  }

  async dequeueMany(n: number, scope: RunScope): Promise<T[]> {
    if (n === 0) return [];
    return this.#take(n, scope);
  }

  async size(): Promise<number> {
    return (await this.#state())[0];
  }

  async isClosed(): Promise<boolean> {
    return (await this.#state())[1];
  }

  async close(cancelPendingEnqueues: boolean): Promise<void> {
    const epoch = await this.store.requireEpoch(`FIFOQueue '${this.name}'.close`);
    await this.#run(CLOSE, epoch, [cancelPendingEnqueues ? 'cancel' : 'closed'], 'close');
  }

  async #take(n: number, scope: RunScope): Promise<T[]> {
    const got: Buffer[] = [];
    let epochUsed: string | undefined;
    try {
      await this.#blocking(scope, 'items', async (epoch) => {
        epochUsed = epoch;
        const [status, payload] = (await this.#run(
          DEQUEUE,
          epoch,
          [String(n - got.length), this.#cap()],
          'dequeue',
        )) as [number, Buffer[] | number];
        if (status === 1 || status === 2) got.push(...(payload as Buffer[]));
        if (status === 1) return true;
        if (status === 3) {
          const size = (payload as number) + got.length;
          throw new OutOfRangeError(
            `FIFOQueue '${this.name}' is closed and has insufficient elements (requested ${n}, current size ${size})`,
          );
        }
        return undefined;
      });
      // The run failed while this dequeue completed: its elements must not be lost with it.
      const late = scope.cancelledWith;
      if (late) throw late;
    } catch (error) {
      // Whatever this operation took goes back to the front, in order.
      if (got.length > 0 && epochUsed !== undefined)
        await this.#run(GIVE_BACK, epochUsed, got, 'dequeue').catch(() => {});
      throw error;
    }
    return got.map((raw, i) => decodeStored(raw, `${this.name}[${i}]`) as T);
  }

  /**
   * Runs `attempt` until it answers `true`, waiting on the queue's `signal` list between tries.
   * A cancelled scope stops the loop; an element taken by an attempt that raced the
   * cancellation is given back by the caller.
   */
  async #blocking(
    scope: RunScope,
    signal: 'items' | 'space',
    attempt: (epoch: string, n: number) => Promise<true | undefined>,
  ): Promise<void> {
    const early = scope.cancelledWith;
    if (early) throw early;
    const epoch = await this.store.requireEpoch(`FIFOQueue '${this.name}'`);
    const waiter = new Waiter(this as RedisQueue<unknown>);
    scope.add(waiter);
    this.store.pending.add(waiter);
    // A scope cancelled before `add` never calls us: read its state too.
    const cancelled = (): OpError | undefined => waiter.cancelledWith ?? scope.cancelledWith;
    try {
      for (let n = 0; ; n++) {
        if (n > 0) await this.#wait(waiter, `${this.store.key(epoch, 'q', this.name)}:${signal}!`, cancelled);
        const error = cancelled();
        if (error) throw error;
        if (await attempt(epoch, n)) return;
      }
    } finally {
      scope.delete(waiter);
      this.store.pending.delete(waiter);
    }
  }

  /** One bounded `BLPOP` on the signal list, on a dedicated connection. */
  async #wait(waiter: Waiter, key: string, cancelled: () => OpError | undefined): Promise<void> {
    if (cancelled()) return;
    const blocker = await this.store.conn.blocker(`FIFOQueue '${this.name}'`);
    waiter.blocker = blocker;
    let healthy = true;
    try {
      if (cancelled()) return;
      await blocker.client.sendCommand(['BLPOP', key, WAIT_SECS]);
    } catch (error) {
      healthy = false;
      // Our own CLIENT UNBLOCK (or a destroy after it) is not a failure.
      if (cancelled()) return;
      throw mapRedisError(error, `FIFOQueue '${this.name}'`);
    } finally {
      waiter.blocker = undefined;
      this.store.conn.giveBack(blocker, healthy);
    }
  }

  async #state(): Promise<[number, boolean]> {
    const epoch = await this.store.requireEpoch(`FIFOQueue '${this.name}'`);
    const [size, closed] = (await this.#run(QUEUE_STATE, epoch, [], 'size')) as [number, number];
    return [size, closed === 1];
  }

  #run(script: typeof DEQUEUE, epoch: string, args: readonly (string | Buffer)[], op: string): Promise<unknown> {
    const base = this.store.key(epoch, 'q', this.name);
    return this.store.run(
      script,
      epoch,
      [base, `${base}:closed`, `${base}:items!`, `${base}:space!`],
      args,
      `FIFOQueue '${this.name}'.${op}`,
    );
  }

  #cap(): string {
    return this.capacity === Infinity ? '-1' : String(this.capacity);
  }
}
