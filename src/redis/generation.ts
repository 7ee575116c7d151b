/**
 * A job's run generations (epochs) in Redis: the chief starts one before it restores or
 * initializes, marks it ready once its session is, and marks the job done at its last step; a
 * worker binds to the generation that is ready. Keys: `ms:<job>:epoch`, `:ready`, `:done`.
 */
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from './connection.ts';
import { START_EPOCH } from './scripts.ts';

/** The job-level keys: epoch, ready marker, done marker. */
export interface JobKeys {
  readonly epoch: string;
  readonly ready: string;
  readonly done: string;
}

export function jobKeysOf(prefix: string): JobKeys {
  return { epoch: `${prefix}:epoch`, ready: `${prefix}:ready`, done: `${prefix}:done` };
}

/** Chief: starts a new run generation; answers it and the one it replaced (whose keys go), if any. */
export async function startGeneration(
  conn: RedisConnection,
  keys: JobKeys,
): Promise<{ epoch: string; old: string | null }> {
  const epoch = randomBytes(8).toString('hex');
  const old = (await conn.run(
    START_EPOCH,
    [keys.epoch, keys.ready, keys.done],
    [epoch],
    'start of a run generation',
  )) as Buffer | null;
  return { epoch, old: old === null ? null : old.toString() };
}

/** The generation a worker may use: the current one once the chief marked it ready and the job is not done; else `null`. */
export async function readyGeneration(conn: RedisConnection, keys: JobKeys): Promise<string | null> {
  const [e, r, d] = (await conn.command(
    ['MGET', keys.epoch, keys.ready, keys.done],
    'session start',
  )) as (Buffer | null)[];
  return e && r && e.equals(r) && !d ? e.toString() : null;
}
