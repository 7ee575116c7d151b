import { InvalidArgumentError } from '../errors.ts';
import { decodeStored, encodeStored } from './codec.ts';
import { uninitialized } from './jobErrors.ts';
import type { RedisStore } from './RedisStore.ts';
import { ADD, CAS, GET } from './scripts.ts';

/** `InvalidArgumentError` unless `delta` is a number or a bigint. @internal */
export function checkDelta(name: string, delta: unknown): void {
  if (typeof delta !== 'number' && typeof delta !== 'bigint') {
    throw new InvalidArgumentError(
      `Graph.assignAdd: expected \`delta\` to be a number or bigint, got ${typeof delta}`,
      {
        op: name,
      },
    );
  }
}

/**
 * The general `assignAdd` of a {@link RedisStore} (its fast path is a plain `INCRBY`): a Lua add,
 * atomic and epoch-checked, for a finite number; compare-and-set until no one raced us for a
 * bigint, `NaN` or an infinity.
 * @internal
 */
export async function addSlowly(
  store: RedisStore,
  epoch: string,
  name: string,
  delta: number | bigint,
  what: string,
): Promise<unknown> {
  const key = store.key(epoch, 'v', name);
  if (typeof delta === 'number') {
    // Lua: atomic, epoch-checked, and refuses an uninitialized variable.
    const stored = await store.run(ADD, epoch, [key], [String(delta), name], what);
    if (stored !== 0) {
      const value = decodeStored(stored as Buffer, what) as number;
      if (Number.isSafeInteger(value)) store.integers.add(name);
      return value;
    }
  }
  for (;;) {
    const raw = (await store.run(GET, epoch, [key], [], what)) as Buffer | null;
    if (raw === null) throw uninitialized(name);
    const current = decodeStored(raw, what);
    if (typeof current !== typeof delta) {
      throw new InvalidArgumentError(
        `Graph.assignAdd: variable ${name} holds ${typeof current}, cannot add a ${typeof delta}`,
        { op: name },
      );
    }
    const next = (current as number) + (delta as number);
    if ((await store.run(CAS, epoch, [key], [raw, encodeStored(next, name)], what)) === 1) return next;
  }
}
