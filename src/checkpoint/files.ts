import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { nanoid } from 'nanoid';
import { NotFoundError, OpError, PermissionDeniedError, ResourceExhaustedError, UnknownError } from '../errors.ts';
import { logger } from '../logger.ts';

/** Marks temporary files: `<final name>.tmp-<id>`. */
const TMP_MARK = '.tmp-';
/** One `write` moves at most this much (the OS limit is about 2 GiB). */
const MAX_WRITE = 1 << 30;

/** Maps a file system error to the canonical error class, naming the operation and path. */
export function fsError(api: string, action: string, file: string, error: unknown): OpError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = `${api}: cannot ${action} '${file}': ${(error as Error)?.message ?? String(error)}`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new PermissionDeniedError(message, { cause: error });
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EMFILE') return new ResourceExhaustedError(message, { cause: error });
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NotFoundError(message, { cause: error });
  return error instanceof OpError ? error : new UnknownError(message, { cause: error });
}

/** Writes every byte of `data` at the handle's position, in pieces of at most 1 GiB. */
async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.byteLength; ) {
    const piece = data.subarray(offset, Math.min(data.byteLength, offset + MAX_WRITE));
    const { bytesWritten } = await handle.write(piece, 0, piece.byteLength);
    offset += bytesWritten;
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
    if ((error as NodeJS.ErrnoException).code !== 'EISDIR' && (error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `pieces` to `file` crash-consistently: a temporary file in the same directory, fsync,
 * rename into place. (The caller fsyncs the directory once after its renames.) Returns the
 * CRC-32 of the bytes written. A failure removes the temporary file.
 */
export async function writeFileAtomic(file: string, pieces: Iterable<Uint8Array>, api = 'Saver.save'): Promise<number> {
  const tmp = `${file}${TMP_MARK}${nanoid(8)}`;
  let handle: FileHandle | undefined;
  let crc = 0;
  try {
    handle = await open(tmp, 'w');
    for (const piece of pieces) {
      // Checksum this piece while the write of it is in flight.
      const writing = writeAll(handle, piece);
      crc = crc32(piece, crc);
      await writing;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, file);
    return crc;
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw fsError(api, 'write', file, error);
  }
}

/**
 * Writes one small file durably: {@link writeFileAtomic}, then the directory fsync that makes
 * the rename itself survive a crash.
 */
export async function writeFileDurably(file: string, text: string, api: string): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(text)], api);
  await fsyncDir(path.dirname(file));
}

const READ_CHUNK = 16 * 1024 * 1024;

/**
 * Reads a whole file into one buffer that owns its memory (so typed-array views can align),
 * computing its CRC-32 on the way: each chunk is checksummed while the next one is being read.
 */
export async function readWhole(file: string, api: string): Promise<{ buffer: Buffer; crc: number }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafeSlow(size);
    let crc = 0;
    let offset = 0;
    let pending = size > 0 ? handle.read(buffer, 0, Math.min(size, READ_CHUNK), 0) : undefined;
    while (pending !== undefined) {
      const { bytesRead } = await pending;
      const start = offset;
      offset += bytesRead;
      pending = bytesRead > 0 && offset < size ? handle.read(buffer, offset, Math.min(size - offset, READ_CHUNK), offset) : undefined;
      crc = crc32(buffer.subarray(start, offset), crc);
    }
    return { buffer: offset === size ? buffer : buffer.subarray(0, offset), crc };
  } catch (error) {
    throw fsError(api, 'read', file, error);
  } finally {
    await handle?.close();
  }
}

/** Removes temporary files left by a process that died while writing (`*.tmp-*`). */
export async function removeStrayTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stray = names.filter((n) => n.includes(TMP_MARK));
  await Promise.all(stray.map((n) => rm(path.join(dir, n), { force: true })));
  if (stray.length > 0) logger.info(`Removed ${stray.length} stray temporary file(s) in ${dir}`);
  return stray;
}

/** True when `file` is `dir` or inside it. */
export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
