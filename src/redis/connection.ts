import { createClient, RESP_TYPES, type RedisClientType } from 'redis';
import { UnavailableError } from '../errors.ts';
import { logger } from '../logger.ts';
import { isRefusal, mapRedisError } from './errors.ts';
import type { Script } from './scripts.ts';

type Client = RedisClientType<any, any, any, any, any>;
type Reply = unknown;

/** How long a command waits for a (re)connection before failing with `UnavailableError`. */
const CONNECT_WAIT_MS = 2000;
/** How long an unused connection stays open after its last session closed. */
const LINGER_MS = 100;

/** node-redis, configured as measured (DISTRIBUTED.md): fail fast, never give up reconnecting. */
function makeClient(url: string, name: string): Client {
  const client = createClient({
    url,
    name,
    // Fail at once while disconnected: the session's recovery retries (no command replayed twice).
    disableOfflineQueue: true,
    pingInterval: 5000,
    // No per-command timeout (the 5 s default costs throughput); blocking waits are bounded here.
    commandOptions: { timeout: 0, typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
  } as Parameters<typeof createClient>[0]) as unknown as Client;
  let lastLog = 0;
  client.on('error', (error: unknown) => {
    // Every error is also seen by the command that failed; this only keeps Node from crashing.
    const now = Date.now();
    if (now - lastLog > 5000) {
      lastLog = now;
      logger.debug(`Redis ${name}: ${mapRedisError(error, 'connection').message}`);
    }
  });
  return client;
}

/** A dedicated connection for one blocking wait at a time, with its id for `CLIENT UNBLOCK`. @internal */
export interface Blocker {
  readonly client: Client;
  readonly id: number;
}

/**
 * One connection to a Redis server, shared by every session of this process on that URL
 * (reference-counted), with a pool of dedicated connections for blocking waits.
 * @internal
 */
export class RedisConnection {
  static readonly #open = new Map<string, RedisConnection>();
  readonly url: string;
  readonly #client: Client;
  #connecting: Promise<void> | undefined;
  #refs = 0;
  #linger: ReturnType<typeof setTimeout> | undefined;
  #idle: Blocker[] = [];
  #closed = false;

  private constructor(url: string) {
    this.url = url;
    this.#client = makeClient(url, 'monitored-session');
  }

  /** The shared connection for `url`; pair with {@link release}. */
  static acquire(url: string): RedisConnection {
    let conn = RedisConnection.#open.get(url);
    if (conn === undefined) RedisConnection.#open.set(url, (conn = new RedisConnection(url)));
    conn.#refs++;
    if (conn.#linger !== undefined) clearTimeout(conn.#linger);
    conn.#linger = undefined;
    return conn;
  }

  /** Closes every connection of this process now. */
  static async closeAll(): Promise<void> {
    await Promise.all([...RedisConnection.#open.values()].map((c) => c.#close()));
  }

  release(): void {
    if (--this.#refs > 0 || this.#closed) return;
    this.#linger = setTimeout(() => void this.#close(), LINGER_MS);
    this.#linger.unref?.();
  }

  /** Sends a command; synchronous issue when connected, so one tick's commands share a round trip. */
  command(args: readonly (string | Buffer)[], what: string): Promise<Reply> {
    const waiting = this.#whenReady(what);
    if (waiting !== undefined) return waiting.then(() => this.command(args, what));
    return this.#client.sendCommand(args as (string | Buffer)[]).catch((error: unknown) => {
      throw mapRedisError(error, what);
    });
  }

  /**
   * {@link command} for the per-step path: when connected, the client's own promise, whose
   * rejection the caller maps with `mapRedisError` (one promise less per command).
   */
  send(args: readonly (string | Buffer)[], what: string): Promise<Reply> {
    if (!this.#client.isReady) return this.command(args, what);
    return this.#client.sendCommand(args as (string | Buffer)[]);
  }

  /** Runs a script: `EVALSHA`, and `EVAL` when the server does not know it (e.g. after a restart). */
  run(script: Script, keys: readonly string[], args: readonly (string | Buffer)[], what: string): Promise<Reply> {
    const tail = [String(keys.length), ...keys, ...args];
    const waiting = this.#whenReady(what);
    if (waiting !== undefined) return waiting.then(() => this.run(script, keys, args, what));
    return this.#client.sendCommand(['EVALSHA', script.sha, ...tail]).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.#client.sendCommand(['EVAL', script.source, ...tail]).catch((e: unknown) => {
          throw mapRedisError(e, what);
        });
      }
      throw mapRedisError(error, what);
    });
  }

  /** A dedicated connection for a blocking command; give it back with {@link giveBack}. */
  async blocker(what: string): Promise<Blocker> {
    const idle = this.#idle.pop();
    if (idle !== undefined && idle.client.isReady) return idle;
    if (idle !== undefined) idle.client.destroy();
    const client = makeClient(this.url, 'monitored-session-blocking');
    try {
      await withDeadline(untilRefused(client, client.connect(), what), CONNECT_WAIT_MS, what);
      const id = Number(await client.sendCommand(['CLIENT', 'ID']));
      return { client, id };
    } catch (error) {
      client.destroy();
      throw mapRedisError(error, what);
    }
  }

  giveBack(blocker: Blocker, healthy: boolean): void {
    if (healthy && !this.#closed && blocker.client.isReady && this.#idle.length < 8) this.#idle.push(blocker);
    else blocker.client.destroy();
  }

  /** Wakes a blocked command of `blocker` (its reply is then nil). Errors are ignored. */
  unblock(blocker: Blocker): void {
    if (!this.#client.isReady) {
      blocker.client.destroy();
      return;
    }
    this.#client.sendCommand(['CLIENT', 'UNBLOCK', String(blocker.id)]).catch(() => blocker.client.destroy());
  }

  /** `undefined` when ready (the fast path); else a promise that settles once connected, or fails. */
  #whenReady(what: string): Promise<void> | undefined {
    if (this.#client.isReady) return undefined;
    if (this.#closed)
      return Promise.reject(new UnavailableError(`${what}: the Redis connection to ${redact(this.url)} was closed`));
    if (!this.#client.isOpen) {
      this.#connecting ??= this.#client.connect().then(
        () => undefined,
        (error: unknown) => {
          this.#connecting = undefined;
          throw mapRedisError(error, what);
        },
      );
    }
    const ready = this.#connecting ?? new Promise<void>((resolve) => this.#client.once('ready', () => resolve()));
    return withDeadline(untilRefused(this.#client, ready, what), CONNECT_WAIT_MS, what).then(() => {
      if (!this.#client.isReady) throw new UnavailableError(`${what}: not connected to Redis at ${redact(this.url)}`);
    });
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    RedisConnection.#open.delete(this.url);
    for (const b of this.#idle.splice(0)) b.client.destroy();
    if (this.#client.isOpen) this.#client.destroy();
  }
}

/**
 * `connected`, unless the server refuses the connection first (a wrong or missing password, an
 * untrusted TLS certificate): node-redis reports those as 'error' events and goes on
 * reconnecting, so a wait would end as "unreachable" and the session would retry forever. The
 * refusal is the answer, at once.
 */
function untilRefused<T>(client: Client, connected: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (error: unknown): void => {
      const mapped = mapRedisError(error, what);
      if (!isRefusal(mapped)) return;
      client.off('error', onError);
      reject(mapped);
    };
    client.on('error', onError);
    connected.then(
      (value) => {
        client.off('error', onError);
        resolve(value);
      },
      (error: unknown) => {
        client.off('error', onError);
        reject(mapRedisError(error, what));
      },
    );
  });
}

/** Rejects with `UnavailableError` when `promise` takes longer than `ms`; never leaves it unhandled. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnavailableError(`${what}: no connection to Redis within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(mapRedisError(error, what));
      },
    );
  });
}

/** Deletes the keys matching `pattern` (SCAN + UNLINK); best effort, failures are only logged. @internal */
export async function deleteKeys(conn: RedisConnection, pattern: string): Promise<void> {
  try {
    let cursor = '0';
    do {
      const reply = await conn.command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'], 'cleanup');
      const [next, keys] = reply as [Buffer, Buffer[]];
      cursor = next.toString();
      if (keys.length > 0) await conn.command(['UNLINK', ...keys], 'cleanup');
    } while (cursor !== '0');
  } catch (error) {
    logger.debug(`Redis: could not delete the keys ${pattern}: ${(error as Error).message}`);
  }
}

/** The URL without its password, for messages. @internal */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
