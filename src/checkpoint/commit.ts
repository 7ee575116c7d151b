import { rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { newChecksum, type ChecksumKind } from '../internal/checksum.ts';
import { Directory, TempFile } from '../internal/durableFile.ts';
import { SMALL_FILE, callsForSize, threadPool, type FileCalls } from '../internal/fileCalls.ts';
import { fsError } from '../internal/fsError.ts';
import { temporaryName } from '../internal/tempFiles.ts';
import type { TensorEntry } from './encoding.ts';
import { logger } from '../logger.ts';
import { DATA_CHECKSUMS, checkpointFiles, deleteCheckpointFiles, type IndexFile } from './reader.ts';

/** A checkpoint that retention drops, with its files when this process wrote them (else found by a scan). */
export interface Dropped {
  prefix: string;
  files: readonly string[] | undefined;
}

/** A checkpoint that retention keeps: written at `time` (the saver's clock), with its files when this process wrote them. */
export interface Kept {
  path: string;
  time: number;
  files: readonly string[] | undefined;
}

/** What one save writes. */
export interface CheckpointWrite {
  prefix: string;
  tensors: readonly ArrayBufferView[];
  entries: readonly TensorEntry[];
  /** The data file's checksum, as the index's version says (`checksumKindFor` its size). */
  checksum: ChecksumKind;
  /** The index text, given the data file's checksum. */
  index(dataChecksum: number | string): string;
  /** The meta graph: its text, or an existing meta file with the same text to hard-link. */
  meta: { text(): string | Promise<string>; linkFrom?: string | undefined } | undefined;
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
 * Crash consistency of a save, with only the fsyncs it needs, all at once.
 *
 * What must hold after a crash at any instant (kill -9, or an OS crash / power loss): the
 * checkpoint that the state file names is complete, or a reader finds the newest complete one,
 * and that one is never older than the checkpoint before this save; once `save` returns, its
 * checkpoint survives a power loss. A checkpoint is complete exactly when its index exists and
 * checks out: the index is renamed into place after the data and carries its own CRC-32 and the
 * data's, so torn bytes are refused (`DataLossError`), never loaded, and restore falls back.
 *
 * 1. Every file is written to a temporary, then renamed into place: data and meta, then the
 *    index, then the state file. A process crash (kill -9) cannot reorder renames or lose page
 *    cache bytes: the state file never names a checkpoint whose files are not all in place.
 * 2. Then one round of fsyncs, all concurrent so that one journal commit can serve them: the
 *    data, the index, the meta graph when it was written, and the directory (the renames). The
 *    files' fsyncs start before the state file's rename, the directory's after it. A
 *    power loss before they all return can leave the new files torn or missing, never the older
 *    checkpoints: nothing of them was touched, and retention deletes only after this round.
 *    Readers then refuse the torn index or data and fall back to the newest intact checkpoint;
 *    a state file that names it, or that is itself empty (its text is never fsynced: it only
 *    ever repeats what the scan finds), is handled the same way by getCheckpointState.
 *    Exception: a save that replaces files of an existing checkpoint (the same prefix, as when
 *    a run saves again at the step it restored) would, with its renames first, put unsynced
 *    bytes in place of durable ones. Such a save fsyncs its files before the renames (a check
 *    for the names costs one `lstat`), and so does every save on Windows, which cannot rename
 *    an open file.
 * 3. Retention deletes dropped checkpoints after that round, with no fsync of its own: a
 *    deletion lost to a power loss only leaves an old checkpoint that the state file no longer
 *    lists (the next save's directory fsync makes it durable anyway).
 *
 * The meta graph does not change between saves of one graph: it is written once and later
 * checkpoints hard-link to it (one directory entry, covered by the directory fsync). So a small
 * save costs one round of concurrent fsyncs (data, index, directory) where the minimal atomic
 * write of one file costs two in a row (the file, then the directory), and TensorFlow's order 7.
 *
 * The path is also kept short in calls: on a local disk the cheap calls (open, write, rename,
 * close) run inline rather than as thread-pool round trips (see `fileCalls.ts`), the directory
 * is opened alongside the writes, a data file is one `writev` of the tensors' own memory, and a
 * small data file's CRC is known before its write, so that the index is written alongside it.
 * Retention's unlinks free blocks (slow on ext4): they run in the thread pool, all at once. A
 * write in the background (`Saver.saveInBackground`) runs this same function on the writer
 * thread (`backgroundWriter.ts`), its cheap calls inline there: the event loop trains meanwhile.
 */
export async function writeCheckpoint(w: CheckpointWrite, api: string): Promise<{ metaWritten: boolean }> {
  const files = checkpointFiles(w.prefix);
  const dir = path.dirname(w.prefix);
  const temps: TempFile[] = [];
  let metaTmp: string | undefined;
  let directory: Promise<Directory> | undefined;
  const pieces = [...dataPieces(w.tensors, w.entries)];
  // A small data file's checksum is cheap to know first, so its index is written alongside it;
  // a large one's is computed while its write is in flight, and its index follows.
  const bytes = pieces.reduce((n, p) => n + p.byteLength, 0);
  const small = bytes <= SMALL_FILE;
  const calls = callsForSize(w.calls ?? threadPool, bytes);
  const checksum = await newChecksum(w.checksum);
  try {
    directory = Directory.open(dir, calls).catch((error: unknown) => {
      throw fsError(api, 'open the directory', dir, error);
    });
    const create = async (file: string): Promise<TempFile> => {
      const temp = await TempFile.create(file, api, calls);
      temps.push(temp);
      return temp;
    };
    const write = async (file: string, pieces: Iterable<Uint8Array>, sum?: typeof checksum): Promise<TempFile> => {
      const temp = await create(file);
      await temp.write(pieces, sum);
      return temp;
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
      return write(files.meta, [Buffer.from(await w.meta.text())]);
    };
    if (small) for (const piece of pieces) checksum.update(piece);
    const indexStep = async (): Promise<TempFile> =>
      small ? write(files.index, [Buffer.from(w.index(checksum.digest()))]) : create(files.index);
    const [data, index, meta, state, replacing] = await Promise.all([
      write(files.data, pieces, small ? undefined : checksum),
      indexStep(),
      metaStep(),
      w.state === undefined ? undefined : write(w.state.file, [Buffer.from(w.state.text)]),
      Promise.all([calls.taken(files.index), calls.taken(files.data)]).then(([i, d]) => i || d),
      directory,
    ]);
    if (!small) await index.write([Buffer.from(w.index(checksum.digest()))]);
    const durable = (): Promise<unknown> =>
      Promise.all([data.sync(), index.sync(), meta instanceof TempFile ? meta.sync() : undefined]);
    const syncFirst = replacing || process.platform === 'win32';
    if (syncFirst) await durable();
    if (process.platform === 'win32') await closeAll(temps);
    // The commit point: data and meta, the index, then the state file.
    await Promise.all([
      data.commit(),
      typeof meta === 'string' ? commitLink(calls, meta, files.meta, api) : meta?.commit(),
    ]);
    await index.commit();
    metaTmp = undefined;
    // One round of fsyncs: the files' (unless done above) start now, alongside the state file's
    // rename (a rename over a file, which ext4 makes flush it); the directory's once every rename
    // is done.
    const handle = await directory;
    await Promise.all([
      syncFirst ? undefined : durable(),
      state === undefined ? syncDir(handle, dir, api) : state.commit().then(() => syncDir(handle, dir, api)),
    ]);
    // Retention only once the new checkpoint is durable; its removes (thread pool) go on while
    // the temporaries are closed.
    const dropping = Promise.all(w.drop.map((d) => dropCheckpoint(d, calls)));
    await closeAll(temps);
    await dropping;
    return { metaWritten: meta instanceof TempFile };
  } catch (error) {
    await Promise.all(temps.map((t) => t.discard()));
    if (metaTmp !== undefined) await rm(metaTmp, { force: true }).catch(() => {});
    throw error;
  } finally {
    await directory?.then((d) => d.close()).catch(() => {});
  }
}

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
async function dropCheckpoint({ prefix, files }: Dropped, calls: FileCalls): Promise<void> {
  try {
    if (files === undefined) return await deleteCheckpointFiles(prefix);
    await Promise.all(files.map((f) => calls.remove(f).catch(absent)));
  } catch (error) {
    logger.warn(`Saver.save: could not delete the old checkpoint ${prefix}: ${(error as Error).message}`);
  }
}

function absent(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/**
 * The index's JSON in two pieces, before and after the value of the data's checksum (the field
 * its version says): the checksum is known only once the data is written, and the rest is
 * stringified when the values are taken.
 */
export function indexText(index: Omit<IndexFile, 'dataCrc32' | 'dataXxh64'>): [string, string] {
  const { format, version, dataFile, dataBytes, ...rest } = index;
  const head = JSON.stringify({ format, version, dataFile, dataBytes }); // `{...}`
  const tail = JSON.stringify(rest); // `{"tensors":...}`: never empty
  return [`${head.slice(0, -1)},"${DATA_CHECKSUMS[version].field}":`, `,${tail.slice(1)}`];
}

/** The index file's text from {@link indexText}'s pieces, given the data's checksum: the JSON, then its own CRC-32. */
export function indexFrom(head: string, tail: string): (dataChecksum: number | string) => string {
  return (dataChecksum) => {
    const body = `${head}${JSON.stringify(dataChecksum)}${tail}`;
    return `${body}\ncrc32:${crc32(body).toString(16)}\n`;
  };
}
