import path from 'node:path';
import type { Clock } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import type { Session } from '../graph/Session.ts';
import { Graph } from '../graph/Graph.ts';
import { arrayOf, checkOptions, expect, is, optional } from '../internal/validate.ts';
import { checksumKindFor } from '../internal/checksum.ts';
import { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { decodeValue, encodeValue, layoutTensors, type Encoded } from './encoding.ts';
import { indexFrom, indexText, writeCheckpoint, type Kept } from './commit.ts';
import { writeInBackground, type BackgroundWriting } from './backgroundWriter.ts';
import type { WriteJob } from './writeJob.ts';
import { retain } from './retention.ts';
import { CheckpointDirectories } from './directories.ts';
import { trackWrite, type BackgroundSave } from './pendingWrites.ts';
import { graphDef, metaKeyOf, sameMeta } from './graphDef.ts';
import { logger } from '../logger.ts';
import { FORMAT, checkpointFiles, indexVersionOf, readCheckpoint } from './reader.ts';
import { collectSaveables, gatherStates, type RestoreResult, type Saveable } from './Saveable.ts';
import { CHECKPOINT_STATE_FILE, renderCheckpointState } from './state.ts';
import {
  SESSION,
  STEP,
  checkLittleEndian,
  resolveSaverOptions,
  type SaveOptions,
  type SaverOptions,
} from './SaverOptions.ts';

export { checkpointExists, checkpointFiles, deleteCheckpointFiles, readCheckpoint } from './reader.ts';

export type { SaveOptions, SaverOptions } from './SaverOptions.ts';

/**
 * Saves and restores variables (TensorFlow's `tf.train.Saver`), crash-consistently: every file
 * is written to a temporary name, fsynced and renamed, the directory fsynced; the index, written
 * last, carries a CRC-32 of the data, so a torn or corrupt checkpoint is refused with
 * `DataLossError`, never half-loaded. Keeps the newest `maxToKeep` checkpoints and never deletes
 * the one this run restored from.
 */
export class Saver {
  readonly maxToKeep: number;
  readonly keepCheckpointEveryNHours: number;
  readonly #varList: readonly Variable[] | undefined;
  readonly #clock: Clock;
  /** The kept checkpoints, oldest first, with their files when this saver wrote them. */
  #last: Kept[] = [];
  #nextKeepTime: number;
  #restoredFrom: string | undefined;
  /** The last meta graph file written or linked, to link the next one to while the graph is unchanged. */
  #meta: { key: { graph: Graph; shape: string }; file: string } | undefined;
  readonly #dirs = new CheckpointDirectories();
  readonly #saveables: ReadonlyMap<string, Saveable>;
  #lastRestore: RestoreResult | undefined;
  #failedSaves = 0;
  #lastSaveError: unknown;
  #pending: Promise<void> = Promise.resolve();

  constructor(options: SaverOptions = {}) {
    const { varList, maxToKeep, keepCheckpointEveryNHours, clock, saveables } = resolveSaverOptions(options);
    this.#varList = varList;
    this.maxToKeep = maxToKeep;
    this.keepCheckpointEveryNHours = keepCheckpointEveryNHours;
    this.#clock = clock;
    this.#saveables = saveables;
    this.#nextKeepTime = this.#clock.now() + keepCheckpointEveryNHours * 3_600_000;
  }

  /** Prefixes of the kept checkpoints, oldest first. */
  get lastCheckpoints(): string[] {
    return this.#last.map((c) => c.path);
  }

  /** Continues the retention of checkpoints a previous run left (from the state file). */
  recoverLastCheckpoints(paths: readonly string[]): void {
    expect('Saver.recoverLastCheckpoints', 'paths', paths, arrayOf(is.string));
    const now = this.#clock.now();
    this.#last = paths.map((p) => ({ path: p, time: now, files: undefined }));
  }

  /** What the last successful {@link Saver.restore} of this saver restored, or `undefined`. */
  get lastRestore(): RestoreResult | undefined {
    return this.#lastRestore;
  }

  #variables(graph: Graph): Variable[] {
    return [...(this.#varList ?? graph.globalVariables())];
  }

  /**
   * Saves the variables' values as `<savePath>-<globalStep>` (or `savePath` without a step) and
   * returns that prefix. Creates the directory if needed. Restores from the directory in this
   * process wait for it: a recovery during a lost session's save restores that checkpoint.
   */
  save(session: Session, savePath: string, options: SaveOptions = {}): Promise<string> {
    const saving = this.#snapshot(session, savePath, options, false).then((s) => s.write());
    if (typeof savePath === 'string' && savePath !== '') void trackWrite(path.dirname(path.resolve(savePath)), saving);
    return saving;
  }

  /**
   * Asynchronous checkpointing: {@link Saver.save} in two halves. Resolves once the values are
   * taken (copied: training may go on), with `written`, which settles once the checkpoint is on
   * disk as crash-consistently as by `save`. The next save, and session managers' restores from
   * the directory, wait for the write; a failed write counts in `failedSaves` and `lastSaveError`.
   */
  async saveInBackground(session: Session, savePath: string, options: SaveOptions = {}): Promise<BackgroundSave> {
    const { prefix, write, quiet } = await this.#snapshot(session, savePath, options, true);
    const written = write();
    this.#pending = trackWrite(path.dirname(prefix), written);
    return { prefix, written, quiet };
  }

  /** A save's values (copies in the background), taken after the previous write; either half's failure is counted. */
  async #snapshot(session: Session, savePath: string, options: SaveOptions, copy: boolean) {
    await this.#pending;
    const counted = <T>(work: Promise<T>): Promise<T> =>
      work.catch((error: unknown) => {
        [this.#failedSaves, this.#lastSaveError] = [this.#failedSaves + 1, error];
        throw error;
      });
    const { prefix, write, quiet } = await counted(this.#save(session, savePath, options, copy));
    return { prefix, write: () => counted(write()), quiet };
  }

  /** Saves that failed (threw) since this saver was made: a lost checkpoint is never only a log line. */
  get failedSaves(): number {
    return this.#failedSaves;
  }

  /** The error of the last failed save, or `undefined`. */
  get lastSaveError(): unknown {
    return this.#lastSaveError;
  }

  async #save(session: Session, savePath: string, options: SaveOptions, copy: boolean) {
    checkLittleEndian('Saver.save');
    expect('Saver.save', 'session', session, SESSION);
    expect('Saver.save', 'savePath', savePath, is.nonEmptyString);
    const opts = checkOptions('Saver.save', options, ['globalStep', 'writeMetaGraph', 'writeState']);
    let step = optional('Saver.save', 'globalStep', opts.globalStep, STEP);
    optional('Saver.save', 'writeMetaGraph', opts.writeMetaGraph, is.boolean);
    optional('Saver.save', 'writeState', opts.writeState, is.boolean);
    if (step instanceof Tensor) {
      step = expect('Saver.save', 'globalStep (its value)', await session.run(step), is.integer);
    }
    const prefix = path.resolve(step === undefined ? savePath : `${savePath}-${step}`);
    const dir = path.dirname(prefix);
    const calls = await this.#dirs.prepare(dir);

    const variables = this.#variables(session.graph);
    const saveables = collectSaveables('Saver.save', this.#saveables, session.graph);
    // One pass: the variables' values and the saveables' state, encoded into the same files.
    const [values, states] = await Promise.all([
      session.run(variables),
      gatherStates('Saver.save', saveables, { session }),
    ]);
    const tensors: ArrayBufferView[] = [];
    const encoded: Record<string, Encoded> = {};
    variables.forEach((v, i) => (encoded[v.name] = encodeValue(values[i], tensors, v.name)));
    const encodedStates: Record<string, Encoded> = {};
    for (const [name, state] of states) encodedStates[name] = encodeValue(state, tensors, name);
    const { entries, totalBytes } = layoutTensors(tensors);
    // Copies in their own memory (a Node `Buffer`'s `slice` is a view), handed to the writer thread.
    if (copy) tensors.forEach((t, i) => (tensors[i] = new Uint8Array(t.buffer, t.byteOffset, t.byteLength).slice()));

    // The index is stringified now, while the values are the ones taken (the encoding shares
    // objects with them), all but the data's checksum, which the write fills in.
    const checksum = checksumKindFor(totalBytes);
    const [head, tail] = indexText({
      format: FORMAT,
      version: indexVersionOf(checksum),
      dataFile: path.basename(checkpointFiles(prefix).data),
      dataBytes: totalBytes,
      tensors: entries,
      variables: encoded,
      ...(states.size > 0 ? { saveables: encodedStates } : {}),
    });
    const metaKey = metaKeyOf(session.graph);
    const meta =
      (options.writeMetaGraph ?? true)
        ? {
            text: () => JSON.stringify(graphDef(session.graph, this), null, 1),
            linkFrom: sameMeta(this.#meta?.key, metaKey) ? this.#meta?.file : undefined,
          }
        : undefined;
    const { index: indexFile, data: dataFile, meta: metaFile } = checkpointFiles(prefix);
    const written = meta === undefined ? [indexFile, dataFile] : [indexFile, dataFile, metaFile];
    const plan =
      (options.writeState ?? true)
        ? retain(this.#last, { path: prefix, time: this.#clock.now(), files: written }, this.#nextKeepTime, {
            maxToKeep: this.maxToKeep,
            keepEveryMs: this.keepCheckpointEveryNHours * 3_600_000,
            restoredFrom: this.#restoredFrom,
          })
        : undefined;
    const kept = plan?.kept.map((c) => c.path) ?? [];
    const state = plan && {
      file: path.join(dir, CHECKPOINT_STATE_FILE),
      text: renderCheckpointState(dir, { modelCheckpointPath: prefix, allModelCheckpointPaths: kept }),
    };
    const drop = plan?.dropped ?? [];
    const checkpoint = { prefix, tensors, entries, checksum, index: indexFrom(head, tail), meta, state, drop, calls };
    // A write in the background is made on the writer thread (see `backgroundWriter.ts`): the
    // event loop is training meanwhile.
    const job: WriteJob | undefined = copy
      ? {
          prefix,
          tensors,
          entries,
          checksum,
          indexHead: head,
          indexTail: tail,
          meta: meta && { linkFrom: meta.linkFrom, text: meta.linkFrom === undefined ? meta.text() : undefined },
          state,
          drop,
        }
      : undefined;
    let writing: BackgroundWriting | undefined;
    const writeOnce = (): Promise<unknown> =>
      job === undefined
        ? writeCheckpoint(checkpoint, 'Saver.save')
        : (writing = writeInBackground(job, 'Saver.save', () => meta?.text() ?? '')).done;
    const write = async (): Promise<string> => {
      await writeOnce().catch(async (error: unknown) => {
        // The directory was removed since this saver made it: make it again, once.
        if (!(error instanceof NotFoundError) || !this.#dirs.forget(dir)) throw error;
        await this.#dirs.prepare(dir);
        await writeOnce();
      });
      if (meta !== undefined) this.#meta = { key: metaKey, file: checkpointFiles(prefix).meta };
      if (plan !== undefined) {
        this.#last = plan.kept;
        this.#nextKeepTime = plan.nextKeepTime;
      }
      return prefix;
    };
    return { prefix, write, quiet: () => writing?.quiet() === true };
  }

  /**
   * Restores the variables, then the saveables, from the checkpoint `prefix`. A missing
   * checkpoint is `NotFoundError`; a torn or corrupt one is `DataLossError` naming the file; a
   * variable missing from it is `NotFoundError` naming the variable. A saveable with no state in
   * the checkpoint (one written before the saveable existed) does not fail the restore: its
   * `restoreAbsent()` is called if it has one, and its name is in `lastRestore.absentSaveables`.
   */
  async restore(session: Session, prefix: string): Promise<void> {
    checkLittleEndian('Saver.restore');
    expect('Saver.restore', 'session', session, SESSION);
    expect('Saver.restore', 'prefix', prefix, is.nonEmptyString);
    const resolved = path.resolve(prefix);
    logger.info(`Restoring parameters from ${resolved}`);
    await this.#dirs.clean(path.dirname(resolved));
    const { variables, saveables: stored, tensors } = await readCheckpoint(resolved);
    const wanted = this.#variables(session.graph);
    for (const v of wanted) {
      if (!(v.name in variables))
        throw new NotFoundError(`Saver.restore: Key ${v.name} not found in checkpoint ${resolved}`);
    }
    const saveables = collectSaveables('Saver.restore', this.#saveables, session.graph);
    // Everything is decoded and checked before anything is written.
    const values = wanted.map((v) => decodeValue(variables[v.name], tensors));
    await writeVariables(session, wanted, values);
    const restored: string[] = [];
    const absent: string[] = [];
    for (const [name, saveable] of saveables) {
      if (Object.hasOwn(stored, name)) {
        await saveable.restoreState(decodeValue(stored[name], tensors) as Record<string, unknown>, { session });
        restored.push(name);
      } else {
        await saveable.restoreAbsent?.({ session });
        absent.push(name);
      }
    }
    if (absent.length > 0) {
      logger.warn(
        `Saver.restore: checkpoint ${resolved} holds no state for ${absent.join(', ')} ` +
          '(written before they existed); their state was not restored.',
      );
    }
    this.#restoredFrom = resolved;
    const unknown = Object.keys(stored).filter((n) => !saveables.has(n));
    this.#lastRestore = Object.freeze({
      prefix: resolved,
      restoredSaveables: restored,
      absentSaveables: absent,
      unknownSaveables: unknown,
    });
  }
}

/** The one place restore writes variables (a backend may batch these writes). */
async function writeVariables(
  session: Session,
  variables: readonly Variable[],
  values: readonly unknown[],
): Promise<void> {
  // All writes at once: a remote store sends them in one round trip.
  await Promise.all(variables.map(async (v, i) => session.store.writeVariable(v.name, values[i])));
}
