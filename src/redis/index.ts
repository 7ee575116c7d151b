/**
 * `monitored-session/redis`: sessions whose `target` (or `master`) is
 * `redis://[user:pass@]host:port/db?job=NAME` (or `rediss://`) keep their variables, global
 * step and queues in Redis, shared by a chief and its workers in separate processes. Importing
 * this entry registers the `redis:` and `rediss:` targets. Requires the optional peer
 * dependency `redis` (node-redis 6) and a server with `maxmemory-policy noeviction`.
 * @example
 * import 'monitored-session/redis';
 * const master = 'redis://127.0.0.1:6379/0?job=iris';
 * const sess = await monitoredTrainingSession({ graph, master, isChief: true, checkpointDir });
 */
import { registerTargetResolver } from '../graph/Server.ts';
import { RedisConnection } from './connection.ts';
import { RedisStore } from './RedisStore.ts';
import { parseRedisTarget } from './target.ts';

/** The store of a `redis://` target: a new view on the shared connection. */
function resolveRedisTarget(target: string): RedisStore {
  const parsed = parseRedisTarget(target);
  return new RedisStore(RedisConnection.acquire(parsed.url), parsed);
}

let unregister: (() => void) | undefined;

/** Registers the `redis:` and `rediss:` targets (done on import; calling it again is a no-op). */
export function registerRedisTarget(): void {
  if (unregister !== undefined) return;
  const a = registerTargetResolver('redis:', resolveRedisTarget);
  const b = registerTargetResolver('rediss:', resolveRedisTarget);
  unregister = () => {
    a();
    b();
    unregister = undefined;
  };
}

/** Removes the `redis:` and `rediss:` targets. */
export function unregisterRedisTarget(): void {
  unregister?.();
}

/** Closes this process's Redis connections now (they otherwise close 100 ms after their last session). */
export function closeRedisConnections(): Promise<void> {
  return RedisConnection.closeAll();
}

/**
 * Chief: records that the job reached its last step, so that workers still waiting for the chief
 * end cleanly (`OutOfRangeError`, which `withSession` treats as a clean end) instead of waiting
 * for a chief that will not come back (TensorFlow #16213).
 */
export async function markJobDone(target: string, step: number): Promise<void> {
  const store = resolveRedisTarget(target);
  try {
    await store.conn.command(['SET', store.jobKeys.done, String(step)], 'markJobDone');
  } finally {
    store.release();
  }
}

registerRedisTarget();
