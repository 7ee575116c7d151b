import type { RunScope } from './RunScope.ts';

/** A value or a promise of it: stores may answer synchronously (in memory) or not (remote). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A queue resource as the session's executor sees it. The in-memory implementation is
 * `FIFOQueueState`; a remote store returns a proxy with the same shape.
 */
export interface QueueResource<T = unknown> {
  readonly name: string;
  readonly capacity: number;
  /** Enqueues one element; waits (the returned promise) while the queue is full. */
  enqueue(item: T, scope: RunScope): MaybePromise<void>;
  /** Enqueues the items in order; waits while the queue is full. */
  enqueueMany(items: readonly T[], scope: RunScope): MaybePromise<void>;
  /** Dequeues one element; waits while the queue is empty and open. */
  dequeue(scope: RunScope): MaybePromise<T>;
  /** Dequeues exactly `n` elements; waits until that many are there. */
  dequeueMany(n: number, scope: RunScope): MaybePromise<T[]>;
  size(): MaybePromise<number>;
  close(cancelPendingEnqueues: boolean): MaybePromise<void>;
  /** Whether the queue is closed; a remote queue answers asynchronously. */
  isClosed(): MaybePromise<boolean>;
}

/**
 * Where a session's state lives: variable values and queues, keyed by name. A plain `Session`
 * owns a private store; sessions on a `Server`'s target share one. This is the seam a
 * distributed store (e.g. `redis://`) plugs into: every method may return a promise.
 */
export interface ResourceStore {
  /** Reads a variable; throws `FailedPreconditionError` (message has "uninitialized") if unset. */
  readVariable(name: string): MaybePromise<unknown>;
  writeVariable(name: string, value: unknown): MaybePromise<void>;
  isInitialized(name: string): MaybePromise<boolean>;
  /**
   * Reads a variable, or answers `fallback` when it is uninitialized, in one operation (a remote
   * store: one round trip instead of {@link isInitialized} then {@link readVariable}).
   */
  readVariableOr?(name: string, fallback: unknown): MaybePromise<unknown>;
  /**
   * {@link writeVariable} answering `value` once it is written: what an assignment op returns, in
   * one step (a remote store: one continuation on the write's reply instead of two).
   */
  assignVariable?<T>(name: string, value: T): MaybePromise<T>;
  /** The queue named `name`, created with `capacity` on first use. */
  queue<T>(name: string, capacity: number): QueueResource<T>;
  /** Set when the store can no longer serve (its server closed); runs then fail with this error. */
  readonly closedWith: Error | undefined;
  /** Cancels the pending operations of every session on this store and refuses new ones. */
  close(error: Error): void;
  /**
   * Adds `delta` to the numeric (number or bigint) variable `name` atomically, even across
   * processes, and answers the new value. Without it, `Graph.assignAdd` reads then writes.
   */
  assignAdd?(name: string, delta: number | bigint): MaybePromise<unknown>;
  /** Called by `Session.close`: the session no longer uses this store (a view may free its connection). */
  release?(): void;
  /**
   * Chief only, before restore or init: starts a new run generation (epoch) so that every
   * other session still on the old one fails with `AbortedError`.
   */
  startEpoch?(): Promise<void>;
  /** Chief only, once its session is initialized or restored: workers may now use the state. */
  markReady?(): Promise<void>;
  /**
   * Worker only: waits up to `timeoutMs` until the chief marks the state ready; answers whether it
   * did. Lets a worker resume promptly instead of polling every `recoveryWaitSecs`.
   */
  waitForReady?(timeoutMs: number): Promise<boolean>;
}
