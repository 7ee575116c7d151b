import { link, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, TempFile } from '../internal/durableFile.ts';
import { fsError } from '../internal/fsError.ts';
import { temporaryName } from '../internal/tempFiles.ts';
import type { TensorEntry } from './encoding.ts';
import { logger } from '../logger.ts';
import { checkpointFiles, deleteCheckpointFiles } from './reader.ts';

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
  drop: readonly string[];
}

/*
 * Crash consistency of a save, with only the fsyncs it needs.
 *
 * What must hold after a crash at any instant (kill -9, or an OS crash / power loss): the
 * checkpoint that the state file names is complete, or a reader finds the newest complete one;
 * a checkpoint is complete exactly when its index exists (the index is renamed into place
 * last and carries the data's CRC-32, so even torn data is refused, never loaded).
 *
 * 1. Every file (data, index, meta, the state file's new text) is written to a temporary and
 *    fsynced before its rename, so any rename that survives a power loss names bytes that
 *    survived too. All these fsyncs run concurrently: one journal commit serves them.
 * 2. One commit point: rename data, meta, the index, then the state file, in that order, and
 *    fsync the directory once. A process crash (kill -9) cannot reorder renames: the state file
 *    never names a checkpoint whose index is not in place. A power loss before the directory
 *    fsync returns loses only this save (it had not returned); on journaling file systems
 *    (ext4, xfs) renames in one directory reach the disk in order, and should a file system
 *    ever persist the state file's rename without the index's, getCheckpointState sees that
 *    the state file names a missing checkpoint and falls back to the newest intact one. A
 *    second directory fsync between the index and the state file would only buy what that
 *    fallback already gives, at the price of one more journal commit per save.
 * 3. Retention deletes dropped checkpoints once the state file's rename is done, alongside the
 *    directory fsync and without one of its own: a deletion lost to a power loss only leaves an
 *    old checkpoint that the state file no longer lists (the next save's directory fsync makes
 *    it durable anyway), and one that persisted while the state file's rename did not is found
 *    missing by getCheckpointState, which then falls back to the newest intact checkpoint.
 *
 * The meta graph does not change between saves of one graph: it is written once (fsynced like
 * the rest) and later checkpoints hard-link to it, which costs one directory entry, covered by
 * the same directory fsync. So a small save costs 3 concurrent file fsyncs and 1 directory
 * fsync; the minimal atomic write of one file costs 1 and 1 (TensorFlow's order costs 7 in a row).
 */
export async function writeCheckpoint(w: CheckpointWrite, api: string): Promise<{ metaWritten: boolean }> {
  const files = checkpointFiles(w.prefix);
  const dir = path.dirname(w.prefix);
  const temps: TempFile[] = [];
  let metaTmp: string | undefined;
  try {
    const create = async (file: string, pieces: Iterable<Uint8Array>): Promise<[TempFile, number]> => {
      const temp = await TempFile.create(file, api);
      temps.push(temp);
      return [temp, await temp.write(pieces)];
    };
    // The meta graph: a hard link to the same graph's meta file when there is one, else written.
    const metaStep = async (): Promise<string | TempFile | undefined> => {
      if (w.meta === undefined) return undefined;
      if (w.meta.linkFrom !== undefined) {
        const tmp = temporaryName(files.meta);
        try {
          await link(w.meta.linkFrom, tmp);
          return (metaTmp = tmp);
        } catch {
          // Gone, or no hard links on this file system: write it instead.
        }
      }
      return (await create(files.meta, [Buffer.from(w.meta.text())]))[0];
    };
    // All bytes first (the index once the data's CRC is known), then every fsync at once, so
    // that they arrive together and share one journal commit.
    const [[data, dataCrc], index, meta, state] = await Promise.all([
      create(files.data, dataPieces(w.tensors, w.entries)),
      TempFile.create(files.index, api).then((t) => (temps.push(t), t)),
      metaStep(),
      w.state === undefined ? undefined : create(w.state.file, [Buffer.from(w.state.text)]).then(([t]) => t),
    ]);
    await index.write([Buffer.from(w.index(dataCrc))]);
    await Promise.all(temps.map((t) => t.sync()));
    // The commit point: the checkpoint with its index last, then the state file; one directory fsync.
    await data.commit();
    if (typeof meta === 'string') await commitLink(meta, files.meta, api);
    else await meta?.commit();
    await index.commit();
    metaTmp = undefined;
    await state?.commit();
    // Retention runs alongside the directory fsync: the state file no longer lists what it deletes.
    await Promise.all([syncDir(dir, api), ...w.drop.map((p) => dropCheckpoint(p))]);
    return { metaWritten: meta instanceof TempFile };
  } catch (error) {
    await Promise.all(temps.map((t) => t.discard()));
    if (metaTmp !== undefined) await rm(metaTmp, { force: true }).catch(() => {});
    throw error;
  }
}

async function commitLink(tmp: string, file: string, api: string): Promise<void> {
  try {
    await rename(tmp, file);
  } catch (error) {
    throw fsError(api, 'write', file, error);
  }
}

async function syncDir(dir: string, api: string): Promise<void> {
  try {
    await fsyncDir(dir);
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

/** Deletes a checkpoint that retention dropped; a failure is logged, the save having succeeded. */
async function dropCheckpoint(prefix: string): Promise<void> {
  try {
    await deleteCheckpointFiles(prefix);
  } catch (error) {
    logger.warn(`Saver.save: could not delete the old checkpoint ${prefix}: ${(error as Error).message}`);
  }
}
