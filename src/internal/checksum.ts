import { crc32 } from 'node:zlib';
import { InternalError } from '../errors.ts';
import { SMALL_FILE } from './fileCalls.ts';

/**
 * The checksum of a checkpoint's data file, decided here and nowhere else, by the file's size:
 *
 * - up to {@link SMALL_FILE}: CRC-32 (`zlib.crc32`), synchronous and at hand, so a small data
 *   file's checksum is known before its write and its index goes out alongside it;
 * - larger: xxHash64 (`hash-wasm`, WebAssembly), loaded on the first large file. On a large
 *   checkpoint the checksum runs while the write (or the read) is in the thread pool, and CRC-32
 *   at 2.2 GB/s took longer than the write itself (4 GB/s into the page cache): a 256 MB save
 *   cost 1.29x its plain write + fsync. xxHash64 runs at 6 GB/s and hides behind the write.
 *
 * Both detect a torn or damaged file: CRC-32 every burst up to 32 bits, xxHash64 a random
 * change with probability 1 - 2^-64.
 */
export type ChecksumKind = 'crc32' | 'xxh64';

/** A running checksum over the pieces of one file, in order. */
export interface Checksum {
  update(bytes: Uint8Array): void;
  /** The checksum as the index stores it: CRC-32 as a number, xxHash64 as 16 hex digits. */
  digest(): number | string;
}

/**
 * The checksum kind of a data file of `bytes` bytes. Where there is no WebAssembly (`node
 * --jitless`), every file is CRC-32.
 */
export function checksumKindFor(bytes: number): ChecksumKind {
  return bytes <= SMALL_FILE || typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object'
    ? 'crc32'
    : 'xxh64';
}

/**
 * The CRC-32 of `bytes` continued from `crc`. Node's `zlib.crc32` returns 0 for empty input
 * whatever the running value (Node 20), which would reset a running checksum at an empty
 * piece (an empty tensor): an empty piece leaves the checksum as it is.
 */
function crc32Update(crc: number, bytes: Uint8Array): number {
  return bytes.byteLength === 0 ? crc : crc32(bytes, crc);
}

class Crc32 implements Checksum {
  #crc = 0;
  update(bytes: Uint8Array): void {
    this.#crc = crc32Update(this.#crc, bytes);
  }
  digest(): number {
    return this.#crc;
  }
}

type Hasher = Awaited<ReturnType<(typeof import('hash-wasm/dist/xxhash64.umd.min.js'))['default']['createXXHash64']>>;

let createHasher: Promise<() => Promise<Hasher>> | undefined;
/** Hashers not in use: each has its own WebAssembly memory; a file holds one from its first piece to its digest. */
const idle: Hasher[] = [];

const loadFailure = (error: unknown): InternalError =>
  new InternalError(
    `checkpoint checksum: cannot load xxHash64 from the 'hash-wasm' package (a dependency of monitored-session): ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );

/**
 * hash-wasm's `createXXHash64`, imported once, alone: its 9 KB UMD build, where the package's
 * index holds every algorithm (270 KB, 20 ms to load). A failed import is tried again next time.
 */
function hasherFactory(): Promise<() => Promise<Hasher>> {
  if (createHasher === undefined) {
    createHasher = import('hash-wasm/dist/xxhash64.umd.min.js').then(
      ({ default: api }) =>
        () =>
          api.createXXHash64().catch((error: unknown) => {
            throw loadFailure(error);
          }),
      (error: unknown) => {
        createHasher = undefined;
        throw loadFailure(error);
      },
    );
  }
  return createHasher;
}

/** Pieces smaller than this are gathered before they go to the hasher: each call into WebAssembly costs ~0.1-1 µs. */
const GATHER = 64 * 1024;

class Xxh64 implements Checksum {
  #hasher: Hasher | undefined;
  readonly #gathered = new Uint8Array(GATHER);
  #used = 0;
  constructor(hasher: Hasher) {
    hasher.init();
    this.#hasher = hasher;
  }
  update(bytes: Uint8Array): void {
    if (bytes.byteLength >= GATHER) {
      this.#flush();
      this.#hasher!.update(bytes);
      return;
    }
    if (this.#used + bytes.byteLength > GATHER) this.#flush();
    this.#gathered.set(bytes, this.#used);
    this.#used += bytes.byteLength;
  }
  #flush(): void {
    if (this.#used > 0) this.#hasher!.update(this.#gathered.subarray(0, this.#used));
    this.#used = 0;
  }
  /** Once per checksum: the hasher goes back to the idle ones. */
  digest(): string {
    this.#flush();
    const hasher = this.#hasher!;
    this.#hasher = undefined;
    const hex = hasher.digest('hex');
    idle.push(hasher);
    return hex;
  }
}

async function xxh64(): Promise<Checksum> {
  const reused = idle.pop();
  return new Xxh64(reused ?? (await (await hasherFactory())()));
}

/** A new running checksum of `kind`: CRC-32 at once, xxHash64 once its module is loaded (the first time). */
export function newChecksum(kind: ChecksumKind): Checksum | Promise<Checksum> {
  return kind === 'crc32' ? new Crc32() : xxh64();
}
