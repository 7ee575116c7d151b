import { constants } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Checksum } from '../internal/checksum.ts';
import { FailedPreconditionError } from '../errors.ts';
import { fsError } from '../internal/fsError.ts';
import { callsForSize, threadPool, type FileCalls } from '../internal/fileCalls.ts';
import { isAbandoned, isTemporary } from '../internal/tempFiles.ts';
import { expect, is } from '../internal/validate.ts';
import { logger } from '../logger.ts';

export { fsError } from '../internal/fsError.ts';
export { fsyncDir, writeFileAtomic } from '../internal/durableFile.ts';

// Small enough that checksumming one chunk overlaps the read of the next from the first megabytes on.
const READ_CHUNK = 2 * 1024 * 1024;

/**
 * Opens `file` for reading without ever blocking on it: `O_NONBLOCK`, so a FIFO named like a
 * checkpoint file opens at once, then `fstat` refuses anything but a regular file with
 * `FailedPreconditionError`. Returns the descriptor (the caller closes it) and the file's size.
 */
export async function openRegular(file: string, api: string, calls: FileCalls): Promise<{ fd: number; size: number }> {
  let fd: number | undefined;
  try {
    fd = await calls.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await calls.fstat(fd);
    if (!stats.isFile()) {
      const kind = stats.isDirectory()
        ? 'a directory'
        : stats.isFIFO()
          ? 'a FIFO'
          : stats.isSocket()
            ? 'a socket'
            : 'a device';
      throw new FailedPreconditionError(`${api}: cannot read '${file}': it is ${kind}, not a regular file`);
    }
    return { fd, size: stats.size };
  } catch (error) {
    if (fd !== undefined) await calls.close(fd).catch(() => {});
    throw fsError(api, 'read', file, error);
  }
}

/**
 * Reads a whole regular file into one buffer that owns its memory (so typed-array views can
 * align), feeding it to `checksum` on the way: each chunk is checksummed while the next one is
 * read. `calls` (see `callsFor`) serve a small file; a large one is read in the thread pool.
 */
export async function readWhole(
  file: string,
  api: string,
  calls: FileCalls = threadPool,
  checksum?: Checksum,
): Promise<Buffer> {
  const { fd, size } = await openRegular(file, api, calls);
  const reads = callsForSize(calls, size);
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    let offset = 0;
    let pending = size > 0 ? reads.read(fd, buffer, 0, Math.min(size, READ_CHUNK), 0) : undefined;
    while (pending !== undefined) {
      const bytesRead = await pending;
      const start = offset;
      offset += bytesRead;
      const more = bytesRead > 0 && offset < size;
      pending = more ? reads.read(fd, buffer, offset, Math.min(size - offset, READ_CHUNK), offset) : undefined;
      checksum?.update(buffer.subarray(start, offset));
    }
    return offset === size ? buffer : buffer.subarray(0, offset);
  } catch (error) {
    throw fsError(api, 'read', file, error);
  } finally {
    await calls.close(fd).catch(() => {});
  }
}

/**
 * Removes the temporary files (`*.tmp-*`) in `dir` that provably belong to no live writer: their
 * writer was a process of this host that has exited, or they were left untouched for an hour
 * (`STALE_TEMPORARY_MS`). The temporaries of a save in flight in another process are never
 * touched. A temporary that cannot be removed (a read-only directory) is logged and skipped.
 * Returns the names removed.
 */
export async function removeStrayTemporaries(dir: string): Promise<string[]> {
  expect('removeStrayTemporaries', 'dir', dir, is.nonEmptyString);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  await Promise.all(
    names.filter(isTemporary).map(async (n) => {
      const file = path.join(dir, n);
      if (!(await isAbandoned(file))) return;
      try {
        await rm(file, { force: true });
        removed.push(n);
      } catch (error) {
        logger.warn(`Cannot remove the stray temporary file ${file}: ${(error as Error).message}`);
      }
    }),
  );
  if (removed.length > 0) logger.info(`Removed ${removed.length} stray temporary file(s) in ${dir}`);
  return removed;
}

/** True when `file` is `dir` or inside it. */
export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
