import { FailedPreconditionError, OpError, UnavailableError } from '../errors.ts';
import { FIFOQueueState } from './FIFOQueueState.ts';
import type { ResourceStore } from './ResourceStore.ts';

/**
 * The default {@link ResourceStore}: variables and queues in this process's memory. Every call
 * answers synchronously, so the executor's fast path never waits on it.
 * @internal
 */
export class InMemoryStore implements ResourceStore {
  readonly #variables = new Map<string, unknown>();
  readonly #queues = new Map<string, FIFOQueueState<unknown>>();
  #closedWith: Error | undefined;
  /** One session's own store (target `''`), not a server's that other sessions share. */
  readonly #private: boolean;

  constructor(options: { private?: boolean } = {}) {
    this.#private = options.private ?? false;
  }

  /**
   * The session that owned this private store closed: its values are let go at once, not when the
   * closed `Session` object is collected. A recovery restores a new session while the lost one
   * may still be referenced, and a model's worth of memory held twice would make the restore
   * collect garbage. A server's store keeps its values for the sessions still on it.
   */
  release(): void {
    if (this.#private) this.#variables.clear();
  }

  get closedWith(): Error | undefined {
    return this.#closedWith;
  }

  readVariable(name: string): unknown {
    const value = this.#variables.get(name);
    if (value === undefined && !this.#variables.has(name)) {
      throw new FailedPreconditionError(`Attempting to use uninitialized value ${name}`, { op: name });
    }
    return value;
  }

  writeVariable(name: string, value: unknown): void {
    this.#variables.set(name, value);
  }

  /** Atomic here: nothing else runs between the read and the write. */
  assignAdd(name: string, delta: number | bigint): unknown {
    const next = (this.readVariable(name) as number) + (delta as number);
    this.#variables.set(name, next);
    return next;
  }

  isInitialized(name: string): boolean {
    return this.#variables.has(name);
  }

  queue<T>(name: string, capacity: number): FIFOQueueState<T> {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new FIFOQueueState<unknown>(name, capacity);
      this.#queues.set(name, queue);
    }
    return queue as FIFOQueueState<T>;
  }

  close(error: Error): void {
    if (this.#closedWith) return;
    this.#closedWith = error;
    const opError = error instanceof OpError ? error : new UnavailableError(error.message, { cause: error });
    for (const queue of this.#queues.values()) queue.abort(opError);
  }
}
