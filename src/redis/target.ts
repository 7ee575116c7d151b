import { InvalidArgumentError, describeValue } from '../errors.ts';

/** A parsed `redis://[user:pass@]host:port/db?job=NAME[&epoch=new][&queues=local]` target. @internal */
export interface RedisTarget {
  /** The URL the client connects to (without the query). */
  readonly url: string;
  readonly job: string;
  /** `epoch=new`: each session starts its own run generation (single-process use and tests). */
  readonly newEpoch: boolean;
  /**
   * `queues=local`: FIFO queues stay in this process, one set per session, like a TF worker's
   * local input queues; variables and the global step are still shared. @default shared in Redis
   */
  readonly localQueues: boolean;
}

/** Parses a Redis target; `InvalidArgumentError` names what is wrong. @internal */
export function parseRedisTarget(target: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InvalidArgumentError(`Session: expected \`target\` to be a redis:// URL, got ${describeValue(target)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(`Session: expected a redis:// or rediss:// target, got ${describeValue(target)}`);
  }
  const job = url.searchParams.get('job');
  if (job === null || !/^[A-Za-z0-9_.-]{1,100}$/.test(job)) {
    throw new InvalidArgumentError(
      "Session: expected the Redis target to name its job as ?job=NAME (letters, digits, '_', '.', '-'), " +
        `got ${describeValue(target)}`,
    );
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new InvalidArgumentError(
      `Session: expected the Redis target's path to be a database number, got ${describeValue(target)}`,
    );
  }
  for (const key of url.searchParams.keys()) {
    if (key !== 'job' && key !== 'epoch' && key !== 'queues') {
      throw new InvalidArgumentError(
        `Session: unknown parameter ${describeValue(key)} in Redis target (known: job, epoch, queues)`,
      );
    }
  }
  const epoch = url.searchParams.get('epoch');
  if (epoch !== null && epoch !== 'new') {
    throw new InvalidArgumentError(
      `Session: expected \`epoch\` in a Redis target to be 'new', got ${describeValue(epoch)}`,
    );
  }
  const queues = url.searchParams.get('queues');
  if (queues !== null && queues !== 'local' && queues !== 'shared') {
    throw new InvalidArgumentError(
      `Session: expected \`queues\` in a Redis target to be 'local' or 'shared', got ${describeValue(queues)}`,
    );
  }
  const auth = url.username || url.password ? `${url.username}:${url.password}@` : '';
  const base = `${url.protocol}//${auth}${url.host}${db === '' ? '' : `/${db}`}`;
  return { url: base, job, newEpoch: epoch === 'new', localQueues: queues === 'local' };
}
