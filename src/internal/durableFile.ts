import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsError } from './fsError.ts';
import { temporaryName } from './tempFiles.ts';

/** One `write` moves at most this much (the OS limit is about 2 GiB). */
const MAX_WRITE = 1 << 30;

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
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `pieces` to `file` crash-consistently: a temporary file in the same directory (named
 * after this process, see `temporaryName`), fsync, rename into place. The caller fsyncs the
 * directory once after its renames. Returns the CRC-32 of the bytes written. A failure removes
 * the temporary file.
 */
export async function writeFileAtomic(file: string, pieces: Iterable<Uint8Array>, api: string): Promise<number> {
  const tmp = temporaryName(file);
  let handle: FileHandle | undefined;
  let crc = 0;
  try {
    handle = await open(tmp, 'wx');
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
  try {
    await fsyncDir(path.dirname(file));
  } catch (error) {
    throw fsError(api, 'sync the directory of', file, error);
  }
}
