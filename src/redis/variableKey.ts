import { Pending } from '../internal/pending.ts';
import { encodeArg, ReusableEncoding } from './codec.ts';
import type { RedisConnection } from './connection.ts';
import { mapRedisError } from './errors.ts';

/**
 * A variable's key in a store's bound epoch, the names of its operations (for errors), and the
 * encoding of its last write, rewritten in place by the next write once that one was answered (a
 * reply means the server read every byte, so no write still holds them).
 * @internal
 */
export class VariableKey {
  readonly key: string;
  readonly read: string;
  readonly write: string;
  readonly add: string;
  #encoding: ReusableEncoding | undefined;
  /** A `SET` carrying {@link #encoding} awaits its reply. */
  #sending = false;

  constructor(key: string, name: string) {
    this.key = key;
    this.read = `read of ${name}`;
    this.write = `write of ${name}`;
    this.add = `assignAdd of ${name}`;
  }

  /** `value` as a `SET` argument (`InvalidArgumentError`, naming `where`, when it cannot be stored). */
  encode(value: unknown, where: string): string | Buffer {
    if (!this.#sending) {
      let encoding = this.#encoding;
      if (encoding === undefined || !encoding.write(value)) encoding = this.#encoding = ReusableEncoding.of(value);
      if (encoding !== undefined) return encoding.buffer;
    }
    return encodeArg(value, where);
  }

  /** Sends `SET` of what {@link encode} made, answering `answer` once written. */
  set<T>(conn: RedisConnection, encoded: string | Buffer, answer: T): Pending<T> {
    const reused = encoded === this.#encoding?.buffer;
    if (reused) this.#sending = true;
    const out = new Pending<T>();
    conn.send(['SET', this.key, encoded], this.write).then(
      () => {
        if (reused) this.#sending = false;
        out.resolve(answer);
      },
      (error: unknown) => {
        // The bytes may still be queued on a dying socket: never rewrite them.
        if (reused) this.#forget();
        out.reject(mapRedisError(error, this.write));
      },
    );
    return out;
  }

  #forget(): void {
    this.#encoding = undefined;
    this.#sending = false;
  }
}
