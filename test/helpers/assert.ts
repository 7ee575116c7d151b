import assert from 'node:assert/strict';

/** Asserts that `promise` rejects with an instance of `cls` whose message matches `message`. */
export async function rejectsWith(
  promise: Promise<unknown> | (() => Promise<unknown>),
  cls: abstract new (...args: any[]) => Error,
  message?: RegExp | string,
): Promise<Error> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a rejection with ${cls.name}, got a resolution`);
  assert.ok(
    caught instanceof cls,
    `expected ${cls.name}, got ${caught instanceof Error ? caught.stack : JSON.stringify(caught)}`,
  );
  if (message !== undefined) {
    if (typeof message === 'string')
      assert.ok(
        caught.message.includes(message),
        `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(message)}`,
      );
    else assert.match(caught.message, message);
  }
  return caught;
}

/** Asserts that `fn` throws an instance of `cls` whose message matches `message`. */
export function throwsWith(
  fn: () => unknown,
  cls: abstract new (...args: any[]) => Error,
  message?: RegExp | string,
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a throw of ${cls.name}`);
  assert.ok(
    caught instanceof cls,
    `expected ${cls.name}, got ${caught instanceof Error ? caught.stack : JSON.stringify(caught)}`,
  );
  if (message !== undefined) {
    if (typeof message === 'string')
      assert.ok(
        caught.message.includes(message),
        `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(message)}`,
      );
    else assert.match(caught.message, message);
  }
  return caught;
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a promise settled to: its value, or what it threw. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** What `p` threw, or undefined when it resolved. */
export async function errorOf(p: Promise<unknown>): Promise<unknown> {
  const o = await outcome(p);
  return o.ok ? undefined : o.error;
}
