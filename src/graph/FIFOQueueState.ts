import { CancelledError, OutOfRangeError, type OpError } from '../errors.ts';
import { Deque } from '../internal/Deque.ts';
import type { QueueResource } from './ResourceStore.ts';
import type { Cancellable, RunScope } from './RunScope.ts';

interface DequeueWaiter<T> extends Cancellable {
  readonly n: number;
  /** Elements already taken for a request larger than the capacity. */
  got: T[];
  readonly many: boolean;
  readonly scope: RunScope;
  resolve(value: T | T[]): void;
  reject(error: unknown): void;
}

interface EnqueueWaiter<T> extends Cancellable {
  readonly items: readonly T[];
  next: number;
  readonly scope: RunScope;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The in-memory state of a FIFO queue: a bounded buffer with back-pressure. Operations that can
 * complete at once complete synchronously (no promise), which keeps the hot path cheap; blocked
 * ones wait in FIFO order and can be cancelled through their run's scope.
 * @internal
 */
export class FIFOQueueState<T> implements QueueResource<T> {
  readonly name: string;
  readonly capacity: number;
  #buffer = new Deque<T>();
  #dequeuers = new Deque<DequeueWaiter<T>>();
  #enqueuers = new Deque<EnqueueWaiter<T>>();
  #closed = false;

  constructor(name: string, capacity: number) {
    this.name = name;
    this.capacity = capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  size(): number {
    return this.#buffer.length;
  }

  enqueue(item: T, scope: RunScope): void | Promise<void> {
    if (this.#closed) throw this.#closedError();
    if (this.#dequeuers.length === 0 && this.#enqueuers.length === 0 && this.#buffer.length < this.capacity) {
      this.#buffer.push(item);
      return;
    }
    return this.enqueueMany([item], scope);
  }

  enqueueMany(items: readonly T[], scope: RunScope): void | Promise<void> {
    if (this.#closed) throw this.#closedError();
    if (items.length === 0) return;
    const error = scope.cancelledWith;
    if (error) throw error;
    return new Promise<void>((resolve, reject) => {
      const waiter: EnqueueWaiter<T> = {
        items,
        next: 0,
        scope,
        resolve,
        reject,
        cancel: (e: OpError) => {
          if (this.#enqueuers.remove(waiter)) reject(e);
        },
      };
      this.#enqueuers.push(waiter);
      scope.add(waiter);
      this.#pump();
    });
  }

  dequeue(scope: RunScope): T | Promise<T> {
    if (this.#buffer.length > 0 && this.#dequeuers.length === 0) {
      const item = this.#buffer.shift() as T;
      if (this.#enqueuers.length > 0) this.#pump();
      return item;
    }
    return this.#wait(1, false, scope) as Promise<T>;
  }

  dequeueMany(n: number, scope: RunScope): T[] | Promise<T[]> {
    if (n === 0) return [];
    if (this.#buffer.length >= n && this.#dequeuers.length === 0) {
      const out = this.#take(n);
      if (this.#enqueuers.length > 0) this.#pump();
      return out;
    }
    return this.#wait(n, true, scope) as Promise<T[]>;
  }

  close(cancelPendingEnqueues: boolean): void {
    this.#closed = true;
    if (cancelPendingEnqueues) {
      const error = new CancelledError(`Enqueue operation was cancelled: FIFOQueue '${this.name}' was closed.`);
      for (const waiter of this.#enqueuers.toArray()) this.#dropEnqueuer(waiter, error);
    }
    this.#pump();
  }

  /** Rejects every waiter (used when the store itself goes away). */
  abort(error: OpError): void {
    this.#closed = true;
    for (const waiter of this.#enqueuers.toArray()) this.#dropEnqueuer(waiter, error);
    for (const waiter of this.#dequeuers.toArray()) {
      this.#dequeuers.remove(waiter);
      waiter.scope.delete(waiter);
      this.#giveBack(waiter);
      waiter.reject(error);
    }
  }

  #wait(n: number, many: boolean, scope: RunScope): Promise<T | T[]> {
    if (this.#closed && this.#enqueuers.length === 0) return Promise.reject(this.#insufficientError(n));
    const error = scope.cancelledWith;
    if (error) return Promise.reject(error);
    return new Promise<T | T[]>((resolve, reject) => {
      const waiter: DequeueWaiter<T> = {
        n,
        got: [],
        many,
        scope,
        resolve,
        reject,
        cancel: (e: OpError) => {
          if (this.#dequeuers.remove(waiter)) {
            this.#giveBack(waiter);
            reject(e);
            this.#pump();
          }
        },
      };
      this.#dequeuers.push(waiter);
      scope.add(waiter);
      this.#pump();
    });
  }

  #take(n: number): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.#buffer.shift() as T;
    return out;
  }

  /** Moves elements between waiters and the buffer until nothing more can progress. */
  #pump(): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      // Admit pending enqueues while there is room.
      for (
        let w = this.#enqueuers.peek();
        w !== undefined && this.#buffer.length < this.capacity;
        w = this.#enqueuers.peek()
      ) {
        while (w.next < w.items.length && this.#buffer.length < this.capacity)
          this.#buffer.push(w.items[w.next++] as T);
        if (w.next < w.items.length) break;
        this.#enqueuers.shift();
        w.scope.delete(w);
        w.resolve();
        progressed = true;
      }
      // Serve dequeuers in order while enough elements are buffered.
      for (let d = this.#dequeuers.peek(); d !== undefined; d = this.#dequeuers.peek()) {
        const missing = d.n - d.got.length;
        if (this.#buffer.length >= missing) {
          this.#dequeuers.shift();
          d.scope.delete(d);
          if (!d.many) d.resolve(this.#buffer.shift() as T);
          else d.resolve(d.got.length === 0 ? this.#take(missing) : d.got.concat(this.#take(missing)));
          progressed = true;
        } else if (this.#buffer.length === this.capacity && this.#buffer.length > 0) {
          // A request larger than the capacity takes what is buffered, so enqueues can go on.
          for (let i = this.#buffer.length; i > 0; i--) d.got.push(this.#buffer.shift() as T);
          progressed = true;
          break;
        } else break;
      }
    }
    if (this.#closed && this.#enqueuers.length === 0) {
      for (let d = this.#dequeuers.shift(); d !== undefined; d = this.#dequeuers.shift()) {
        d.scope.delete(d);
        this.#giveBack(d);
        d.reject(this.#insufficientError(d.n));
      }
    }
  }

  /** Returns the elements a cancelled large request had taken to the front of the buffer. */
  #giveBack(waiter: DequeueWaiter<T>): void {
    for (let i = waiter.got.length - 1; i >= 0; i--) this.#buffer.unshift(waiter.got[i] as T);
    waiter.got = [];
  }

  #dropEnqueuer(waiter: EnqueueWaiter<T>, error: OpError): void {
    if (this.#enqueuers.remove(waiter)) {
      waiter.scope.delete(waiter);
      waiter.reject(error);
    }
  }

  #closedError(): CancelledError {
    return new CancelledError(`FIFOQueue '${this.name}' is closed.`);
  }

  #insufficientError(n: number): OutOfRangeError {
    return new OutOfRangeError(
      `FIFOQueue '${this.name}' is closed and has insufficient elements (requested ${n}, current size ${this.#buffer.length})`,
    );
  }
}
