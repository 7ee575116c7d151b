import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsError } from './fsError.ts';
import { temporaryName } from './tempFiles.ts';

/** One `write` moves at most this much (the OS limit is about 2 GiB). */
const MAX_WRITE = 1 << 30;

/** Writes every byte of `data` at the handle's position, in pieces of at most 1 GiB. */
async function writeAll(handle: Pick<FileHandle, 'write'>, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.byteLength;) {
    const piece = data.subarray(offset, Math.min(data.byteLength, offset + MAX_WRITE));
    const { bytesWritten } = await handle.write(piece, 0, piece.byteLength);
    offset += bytesWritten;
  }
}

/** At most this many buffers per `writev` (IOV_MAX is 1024 on Linux and macOS). */
const MAX_IOV = 1024;

/** Non-empty `pieces` in batches of at most {@link MAX_IOV} buffers and {@link MAX_WRITE} bytes (a larger piece alone). */
function* batches(pieces: Iterable<Uint8Array>): Generator<Uint8Array[]> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for (const piece of pieces) {
    // Empty pieces are skipped: once Node has handed an empty array's (null) memory to a write,
    // `crc32(empty, crc)` returns 0 instead of `crc` (zlib's "initial value" case).
    if (piece.byteLength === 0) continue;
    if (batch.length > 0 && (batch.length === MAX_IOV || bytes + piece.byteLength > MAX_WRITE)) {
      yield batch;
      [batch, bytes] = [[], 0];
    }
    batch.push(piece);
    bytes += piece.byteLength;
  }
  if (batch.length > 0) yield batch;
}

/** Writes a batch with one `writev`; what a short write leaves is written piece by piece. */
export async function writeBatch(
  handle: Pick<FileHandle, 'write' | 'writev'>,
  batch: readonly Uint8Array[],
): Promise<void> {
  if (batch.length === 1) return writeAll(handle, batch[0]!);
  let { bytesWritten } = await handle.writev(batch);
  for (const piece of batch) {
    if (bytesWritten >= piece.byteLength) {
      bytesWritten -= piece.byteLength;
      continue;
    }
    await writeAll(handle, piece.subarray(bytesWritten));
    bytesWritten = 0;
  }
}

/** Flushes a directory entry change (a rename or unlink) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * A file being written under a temporary name in its final directory (named after this
 * process, see `temporaryName`): `write` its bytes, `sync` them (fsync, close), then `commit`
 * (rename into place). Nothing is visible under the final name before `commit`; `discard`
 * removes the temporary after a failure.
 */
export class TempFile {
  readonly file: string;
  readonly tmp: string;
  readonly #api: string;
  #handle: FileHandle | undefined;

  private constructor(file: string, api: string, handle: FileHandle, tmp: string) {
    this.file = file;
    this.tmp = tmp;
    this.#api = api;
    this.#handle = handle;
  }

  /** Creates the temporary file of `file` (exclusively: never an existing name). */
  static async create(file: string, api: string): Promise<TempFile> {
    const tmp = temporaryName(file);
    try {
      return new TempFile(file, api, await open(tmp, 'wx'), tmp);
    } catch (error) {
      throw fsError(api, 'write', file, error);
    }
  }

  /**
   * Writes `pieces` in order and returns their CRC-32. Pieces go out in batches, one `writev` per
   * batch (a checkpoint's many small tensors cost one trip to the thread pool, not one each), and
   * a batch is checksummed while its write is in flight.
   */
  async write(pieces: Iterable<Uint8Array>): Promise<number> {
    let crc = 0;
    try {
      for (const batch of batches(pieces)) {
        const writing = writeBatch(this.#handle!, batch);
        for (const piece of batch) crc = crc32(piece, crc);
        await writing;
      }
      return crc;
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Makes the bytes durable (fsync) and closes the file. */
  async sync(): Promise<void> {
    try {
      await this.#handle!.sync();
      const handle = this.#handle!;
      this.#handle = undefined;
      await handle.close();
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Renames the (synced) temporary into place; durable once the directory is fsynced. */
  async commit(): Promise<void> {
    try {
      await rename(this.tmp, this.file);
    } catch (error) {
      throw fsError(this.#api, 'write', this.file, error);
    }
  }

  /** Closes and removes the temporary file (after a failure); never throws. */
  async discard(): Promise<void> {
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
    await rm(this.tmp, { force: true }).catch(() => {});
  }
}

/**
 * Writes `pieces` to `file` crash-consistently: a temporary file in the same directory, fsync,
 * rename into place. The caller fsyncs the directory once after its renames. Returns the CRC-32
 * of the bytes written. A failure removes the temporary file.
 */
export async function writeFileAtomic(file: string, pieces: Iterable<Uint8Array>, api: string): Promise<number> {
  const temp = await TempFile.create(file, api);
  try {
    const crc = await temp.write(pieces);
    await temp.sync();
    await temp.commit();
    return crc;
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
