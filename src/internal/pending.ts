/**
 * Who a {@link Pending} calls back when it settles; `key` (given to {@link Pending.listen}) tells
 * the listener which of its operations settled, so one listener object serves many. A listener
 * must not throw: it is called from inside whatever settled the `Pending`.
 * @internal
 */
export interface Listener<K> {
  settled(key: K, value: unknown): void;
  failed(key: K, error: unknown): void;
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/**
 * A result a remote store delivers by calling its listeners back directly when the reply is in:
 * no promise reaction of its own between the reply and the op that uses it (the executor, a
 * store's per-step path). It is also a thenable with the `Promise` API, so `await` and any code
 * written for promises take it as is (through one real promise, made on demand). Unlike a
 * promise, a rejection nobody listens to is not reported: every producer hands it to a listener.
 * @internal
 */
export class Pending<T = unknown> implements Promise<T> {
  #state = PENDING;
  #result: unknown;
  #listener: Listener<unknown> | undefined;
  #key: unknown;
  /** Further listeners and their keys, in pairs (rare: usually one op listens). */
  #more: unknown[] | undefined;

  get [Symbol.toStringTag](): string {
    return 'Pending';
  }

  /**
   * Calls `listener` back with `key` once this settles; never during this call (a `Pending`
   * already settled calls back in a microtask, as a promise would).
   */
  listen<K>(listener: Listener<K>, key: K): void {
    if (this.#state !== PENDING) {
      queueMicrotask(() => this.#call(listener as Listener<unknown>, key));
      return;
    }
    if (this.#listener === undefined) {
      this.#listener = listener as Listener<unknown>;
      this.#key = key;
    } else (this.#more ??= []).push(listener, key);
  }

  resolve(value: T): void {
    this.#settle(FULFILLED, value);
  }

  reject(error: unknown): void {
    this.#settle(REJECTED, error);
  }

  /** Settles as `value` does: at once for a plain value, when it settles for a thenable. */
  follow(value: T | PromiseLike<T>): void {
    if (value instanceof Pending) (value as Pending<T>).listen(FORWARD, this as Pending<unknown>);
    else if (isThenable(value))
      Promise.resolve(value).then(
        (v) => this.resolve(v),
        (error: unknown) => this.reject(error),
      );
    else this.resolve(value as T);
  }

  /** `fn` of the value, as a `Pending` settled in this one's callback (no promise between them). */
  map<U>(fn: (value: T) => U | PromiseLike<U>): Pending<U> {
    const out = new Pending<U>();
    this.listen(MAP, { fn: fn as (value: unknown) => unknown, out: out as Pending<unknown> });
    return out;
  }

  // A thenable on purpose: `await` and code written for promises must take it as one.
  // oxlint-disable-next-line unicorn/no-thenable
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return new Promise<T>((resolve, reject) =>
      this.listen(SETTLE, { resolve: resolve as (value: unknown) => void, reject }),
    ).then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  #settle(state: number, result: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = state;
    this.#result = result;
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    this.#call(listener, this.#key);
    const more = this.#more;
    if (more === undefined) return;
    this.#more = undefined;
    for (let i = 0; i < more.length; i += 2) this.#call(more[i] as Listener<unknown>, more[i + 1]);
  }

  #call(listener: Listener<unknown>, key: unknown): void {
    if (this.#state === FULFILLED) listener.settled(key, this.#result);
    else listener.failed(key, this.#result);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Settles the `Pending` given as key like the one listened to. */
const FORWARD: Listener<Pending<unknown>> = {
  settled: (out, value) => out.resolve(value),
  failed: (out, error) => out.reject(error),
};

const MAP: Listener<{ fn: (value: unknown) => unknown; out: Pending<unknown> }> = {
  settled({ fn, out }, value) {
    let next: unknown;
    try {
      next = fn(value);
    } catch (error) {
      out.reject(error);
      return;
    }
    out.follow(next);
  },
  failed: ({ out }, error) => out.reject(error),
};

const SETTLE: Listener<{ resolve: (value: unknown) => void; reject: (error: unknown) => void }> = {
  settled: ({ resolve }, value) => resolve(value),
  failed: ({ reject }, error) => reject(error),
};
