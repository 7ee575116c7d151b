import { Pending } from './pending.ts';

/** True for promises and other thenables (what `await` would wait for). @internal */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Continues with `fn` at once for plain values, after settling for promises; a {@link Pending}
 * continues in its own callback (no promise reaction between them). @internal
 */
export function andThen<A, B>(value: A | PromiseLike<A>, fn: (value: A) => B | Promise<B>): B | Promise<B> {
  if (value instanceof Pending) return (value as Pending<A>).map(fn) as Promise<B>;
  return isThenable(value) ? Promise.resolve(value).then(fn) : fn(value as A);
}
