import { rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { crc32Update } from '../internal/crc.ts';
import { Directory, TempFile } from '../internal/durableFile.ts';
import { threadPool, type FileCalls } from '../internal/fileCalls.ts';
import { fsError } from '../internal/fsError.ts';
import { temporaryName } from '../internal/tempFiles.ts';
import type { TensorEntry } from './encoding.ts';
import { logger } from '../logger.ts';
import { checkpointFiles, deleteCheckpointFiles } from './reader.ts';

/** A checkpoint that retention drops; `ours` when this process wrote it, so its files are exactly `checkpointFiles`. */
export interface Dropped {
  prefix: string;
  ours: boolean;
}

/** What one save writes. */
export interface CheckpointWrite {
  prefix: string;
  tensors: readonly ArrayBufferView[];
  entries: readonly TensorEntry[];
  /** The index text, given the data file's CRC-32. */
  index(dataCrc: number): string;
  /** The meta graph: its text, or an existing meta file with the same text to hard-link. */
  meta: { text(): string; linkFrom?: string | undefined } | undefined;
  /** The state file's text, or `undefined` to leave the state file alone. */
  state: { file: string; text: string } | undefined;
  /** Checkpoints to delete once the state file no longer lists them (retention). */
  drop: readonly Dropped[];
  /**
   * How the system calls of a small save are made in this directory (`callsFor`: `inline` on a
   * local disk); a large save's and every fsync go to the thread pool.
   */
  calls?: FileCalls | undefined;
}

/*
 * Crash consistency of a save, with only the fsyncs it needs.
 *
 * What must hold after a crash at any instant (kill -9, or an OS crash / power loss): the
 * checkpoint that the state file names is complete, or a reader finds the newest complete one;
 * a checkpoint is complete exactly when its index exists (the index is renamed into place
 * last and carries the data's CRC-32, so even torn data is refused, never loaded).
 *
 * 1. The checkpoint's files (data, index, and the meta graph when it is written) go to
 *    temporaries and are fsynced before their renames, so any rename that survives a power loss
 *    names bytes that survived too. These fsyncs run concurrently.
 * 2. One commit point: rename data and meta, then the index, then the state file, and fsync the
 *    directory once. A process crash (kill -9) cannot reorder renames: the state file never
 *    names a checkpoint whose index is not in place. A power loss before the directory fsync
 *    returns loses only this save (it had not returned); on journaling file systems (ext4, xfs)
 *    renames in one directory reach the disk in order, and should a file system ever persist
 *    the state file's rename without the index's, getCheckpointState sees that the state file
 *    names a missing checkpoint and falls back to the newest intact one.
 * 3. The state file's new text is not fsynced before its rename. Its only loss after a power
 *    loss is a state file that is empty or torn, and getCheckpointState then scans the
 *    directory for the newest intact checkpoint: the same answer the file would have given. A
 *    process crash cannot tear it (the rename is atomic and the bytes are in the page cache).
 * 4. Retention deletes dropped checkpoints once the state file's rename is done, alongside the
 *    directory fsync and without one of its own: a deletion lost to a power loss only leaves an
 *    old checkpoint that the state file no longer lists (the next save's directory fsync makes
 *    it durable anyway), and one that persisted while the state file's rename did not is found
 *    missing by getCheckpointState, which then falls back to the newest intact checkpoint.
 *
 * The meta graph does not change between saves of one graph: it is written once (fsynced like
 * the rest) and later checkpoints hard-link to it, which costs one directory entry, covered by
 * the same directory fsync. So a small save costs 2 concurrent file fsyncs and 1 directory
 * fsync; the minimal atomic write of one file costs 1 and 1 (TensorFlow's order costs 7 in a row).
 *
 * The path is also kept short in calls: on a local disk the cheap calls (open, write, rename,
 * close) run inline rather than as thread-pool round trips (see `fileCalls.ts`), the directory
 * is opened alongside the writes, a data file is one `writev` of the tensors' own memory, a small data file's CRC is known before its
 * write so that the index is written alongside it, files are closed alongside the renames
 * (POSIX), and renames that need no order between them run together.
 */
export async function writeCheckpoint(w: CheckpointWrite, api: string): Promise<{ metaWritten: boolean }> {
  const files = checkpointFiles(w.prefix);
  const dir = path.dirname(w.prefix);
  const temps: TempFile[] = [];
  let metaTmp: string | undefined;
  let directory: Promise<Directory> | undefined;
  const pieces = [...dataPieces(w.tensors, w.entries)];
  // A small data file's CRC is cheap to know first, so its index is written alongside it; a
  // large one's is computed while its write is in flight, and its index follows.
  const small = pieces.reduce((n, p) => n + p.byteLength, 0) <= SMALL_DATA;
  const calls = (small && w.calls) || threadPool;
  try {
    directory = Directory.open(dir, calls).catch((error: unknown) => {
      throw fsError(api, 'open the directory', dir, error);
    });
    const create = async (file: string): Promise<TempFile> => {
      const temp = await TempFile.create(file, api, calls);
      temps.push(temp);
      return temp;
    };
    const write = async (file: string, pieces: Iterable<Uint8Array>): Promise<[TempFile, number]> => {
      const temp = await create(file);
      return [temp, await temp.write(pieces)];
    };
    // The meta graph: a hard link to the same graph's meta file when there is one, else written.
    const metaStep = async (): Promise<string | TempFile | undefined> => {
      if (w.meta === undefined) return undefined;
      if (w.meta.linkFrom !== undefined) {
        const tmp = temporaryName(files.meta);
        try {
          await calls.link(w.meta.linkFrom, tmp);
          return (metaTmp = tmp);
        } catch {
          // Gone, or no hard links on this file system: write it instead.
        }
      }
      return (await write(files.meta, [Buffer.from(w.meta.text())]))[0];
    };
    const early = small ? pieces.reduce(crc32Update, 0) : undefined;
    const indexStep = async (): Promise<TempFile> =>
      early === undefined ? create(files.index) : (await write(files.index, [Buffer.from(w.index(early))]))[0];
    const [[data, dataCrc], index, meta, state] = await Promise.all([
      write(files.data, pieces),
      indexStep(),
      metaStep(),
      w.state === undefined ? undefined : write(w.state.file, [Buffer.from(w.state.text)]).then(([t]) => t),
      directory,
    ]);
    if (early === undefined) await index.write([Buffer.from(w.index(dataCrc))]);
    await Promise.all([data.sync(), index.sync(), meta instanceof TempFile ? meta.sync() : undefined]);
    // The commit point: data and meta, the index, then the state file; one directory fsync.
    const closing = closeAll(temps);
    closing.catch(() => {}); // awaited below, after the renames
    if (process.platform === 'win32') await closing; // Windows cannot rename an open file.
    await Promise.all([
      data.commit(),
      typeof meta === 'string' ? commitLink(calls, meta, files.meta, api) : meta?.commit(),
    ]);
    await index.commit();
    metaTmp = undefined;
    await state?.commit();
    await closing;
    // Retention runs alongside the directory fsync: the state file no longer lists what it deletes.
    const dirHandle = await directory;
    await Promise.all([syncDir(dirHandle, dir, api), ...w.drop.map((d) => dropCheckpoint(d))]);
    return { metaWritten: meta instanceof TempFile };
  } catch (error) {
    await Promise.all(temps.map((t) => t.discard()));
    if (metaTmp !== undefined) await rm(metaTmp, { force: true }).catch(() => {});
    throw error;
  } finally {
    await directory?.then((d) => d.close()).catch(() => {});
  }
}

/** A data file up to this size is small: its CRC computed before its write, its calls inline on a local disk. */
const SMALL_DATA = 1 << 20;

/** Closes every temporary; the first failure is thrown once all are closed. */
async function closeAll(temps: readonly TempFile[]): Promise<void> {
  const results = await Promise.allSettled(temps.map((t) => t.close()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function commitLink(calls: FileCalls, tmp: string, file: string, api: string): Promise<void> {
  try {
    await calls.rename(tmp, file);
  } catch (error) {
    throw fsError(api, 'write', file, error);
  }
}

async function syncDir(directory: Directory, dir: string, api: string): Promise<void> {
  try {
    await directory.sync();
  } catch (error) {
    throw fsError(api, 'sync the directory', dir, error);
  }
}

/** The data file's bytes: every typed array from its own memory (no copy), 8-byte aligned. */
function* dataPieces(tensors: readonly ArrayBufferView[], entries: readonly TensorEntry[]): Generator<Uint8Array> {
  let at = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    const entry = entries[i]!;
    if (entry.offset > at) yield new Uint8Array(entry.offset - at);
    yield new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    at = entry.offset + entry.byteLength;
  }
}

/**
 * Deletes a checkpoint that retention dropped: one this process wrote by its known file names,
 * any other by a scan for its files (data shards). A failure is logged, the save having succeeded.
 */
async function dropCheckpoint({ prefix, ours }: Dropped): Promise<void> {
  try {
    if (!ours) return await deleteCheckpointFiles(prefix);
    await Promise.all(Object.values(checkpointFiles(prefix)).map((f) => unlink(f).catch(absent)));
  } catch (error) {
    logger.warn(`Saver.save: could not delete the old checkpoint ${prefix}: ${(error as Error).message}`);
  }
}

function absent(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
