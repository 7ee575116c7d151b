import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Checksum } from './checksum.ts';
import { threadPool, type FileCalls } from './fileCalls.ts';
import { fsError } from './fsError.ts';
import { temporaryName } from './tempFiles.ts';

/** One `writev` moves at most this much (the OS limit is about 2 GiB) in at most this many pieces (IOV_MAX). */
const MAX_WRITE = 1 << 30;
const MAX_PIECES = 1024;

/**
 * Writes every byte of `pieces` at the handle's position: one `writev` system call for as many
 * pieces as it takes (a small file is one call), resumed after a short write.
 */
async function writeAll(calls: FileCalls, fd: number, pieces: readonly Uint8Array[]): Promise<void> {
  let i = 0;
  let skip = 0; // bytes of pieces[i] already written
  while (i < pieces.length) {
    const batch: Uint8Array[] = [];
    let bytes = 0;
    for (let j = i; j < pieces.length && batch.length < MAX_PIECES && bytes < MAX_WRITE; j++) {
      const piece = j === i ? pieces[j]!.subarray(skip) : pieces[j]!;
      const part = piece.subarray(0, Math.min(piece.byteLength, MAX_WRITE - bytes));
      batch.push(part);
      bytes += part.byteLength;
    }
    let bytesWritten = bytes === 0 ? 0 : await calls.writev(fd, batch);
    if (bytes > 0 && bytesWritten === 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
    // Advance past what was written (a short write resumes inside a piece).
    while (i < pieces.length) {
      const left = pieces[i]!.byteLength - skip;
      if (bytesWritten < left) {
        skip += bytesWritten;
        break;
      }
      bytesWritten -= left;
      i++;
      skip = 0;
    }
  }
}

/** Codes with which a file system refuses fsync on a directory; the rename is still atomic there. */
const NO_DIR_SYNC = new Set(['EISDIR', 'EINVAL']);

/**
 * A directory opened for the fsync that makes its entry changes (renames, unlinks) durable.
 * Opening it early, alongside the writes, keeps the open off the path after the renames.
 */
export class Directory {
  readonly #fd: number | undefined;
  readonly #calls: FileCalls;

  private constructor(fd: number | undefined, calls: FileCalls) {
    this.#fd = fd;
    this.#calls = calls;
  }

  /** Opens `dir` (a file system that cannot open directories gives a handle whose `sync` does nothing). */
  static async open(dir: string, calls: FileCalls = threadPool): Promise<Directory> {
    try {
      return new Directory(await calls.open(dir, 'r'), calls);
    } catch (error) {
      if (NO_DIR_SYNC.has((error as NodeJS.ErrnoException).code ?? '')) return new Directory(undefined, calls);
      throw error;
    }
  }

  /** Flushes the directory's entries to disk. */
  async sync(): Promise<void> {
    try {
      if (this.#fd !== undefined) await this.#calls.fsync(this.#fd);
    } catch (error) {
      if (!NO_DIR_SYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }

  /** Closes the directory; never throws. */
  async close(): Promise<void> {
    if (this.#fd !== undefined) await this.#calls.close(this.#fd).catch(() => {});
  }
}

/** Flushes a directory entry change (a rename or unlink) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const directory = await Directory.open(dir);
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * A file being written under a temporary name in its final directory (named after this
 * process, see `temporaryName`): `write` its bytes, `sync` them (fsync), `close`, and `commit`
 * (rename into place; on POSIX the rename may run alongside the close). Nothing is visible under
 * the final name before `commit`; `discard` removes the temporary after a failure.
 */
export class TempFile {
  readonly file: string;
  readonly tmp: string;
  readonly #api: string;
  #fd: number | undefined;
  readonly #calls: FileCalls;

  private constructor(file: string, api: string, fd: number, tmp: string, calls: FileCalls) {
    this.file = file;
    this.tmp = tmp;
    this.#api = api;
    this.#fd = fd;
    this.#calls = calls;
  }

  /** Creates the temporary file of `file` (exclusively: never an existing name). */
  static async create(file: string, api: string, calls: FileCalls = threadPool): Promise<TempFile> {
    const tmp = temporaryName(file);
    try {
      return new TempFile(file, api, await calls.open(tmp, 'wx'), tmp, calls);
    } catch (error) {
      throw fsError(api, 'write', file, error);
    }
  }

  /**
   * Writes `pieces` in order (the caller's memory, written without a copy), feeding them to
   * `checksum` while the write is in flight.
   */
  async write(pieces: Iterable<Uint8Array>, checksum?: Checksum): Promise<void> {
    try {
      const all = [...pieces];
      const writing = writeAll(this.#calls, this.#fd!, all);
      // The checksum runs while the write is in the thread pool; a failed write wins over it.
      if (checksum !== undefined) for (const piece of all) checksum.update(piece);
      await writing;
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Makes the bytes durable (fsync); the file stays open until `close`. */
  async sync(): Promise<void> {
    try {
      await this.#calls.fsync(this.#fd!);
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Closes the file (idempotent). */
  async close(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      if (fd !== undefined) await this.#calls.close(fd);
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Renames the (synced) temporary into place; durable once the directory is fsynced. */
  async commit(): Promise<void> {
    try {
      await this.#calls.rename(this.tmp, this.file);
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Closes and removes the temporary file (after a failure); never throws. */
  async discard(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await this.#calls.close(fd).catch(() => {});
    await rm(this.tmp, { force: true }).catch(() => {});
  }
}

/**
 * Writes `pieces` to `file` crash-consistently: a temporary file in the same directory, fsync,
 * rename into place. The caller fsyncs the directory once after its renames. A failure removes
 * the temporary file.
 */
export async function writeFileAtomic(file: string, pieces: Iterable<Uint8Array>, api: string): Promise<void> {
  const temp = await TempFile.create(file, api);
  try {
    await temp.write(pieces);
    await temp.sync();
    await temp.close();
    await temp.commit();
  } catch (error) {
    await temp.discard();
    throw error;
  }
}

/**
 * Writes one small file durably: {@link writeFileAtomic}, then the directory fsync that makes
 * the rename itself survive a crash.
 */
export async function writeFileDurably(file: string, text: string, api: string): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(text)], api);
  try {
    await fsyncDir(path.dirname(file));
  } catch (error) {
    throw fsError(api, 'sync the directory of', file, error);
  }
}
