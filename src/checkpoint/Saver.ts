import { mkdir } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { systemClock, type Clock } from '../clock.ts';
import { DataLossError, InvalidArgumentError, NotFoundError, UnimplementedError, ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { decodeValue, encodeValue, layoutTensors, type Encoded, type TensorEntry } from './encoding.ts';
import { fsError, fsyncDir, removeStrayTemporaries, writeFileAtomic } from './files.ts';
import { graphDef } from './graphDef.ts';
import { logger } from '../logger.ts';
import { FORMAT, checkpointFiles, deleteCheckpointFiles, readCheckpoint, type IndexFile } from './reader.ts';
import { checkSaveables, collectSaveables, gatherStates, type RestoreResult, type Saveable } from './Saveable.ts';
import { updateCheckpointState } from './state.ts';

export { checkpointExists, checkpointFiles, deleteCheckpointFiles, readCheckpoint } from './reader.ts';

/** Options of {@link Saver}. */
export interface SaverOptions {
  /** Variables to save and restore. @default the graph's global variables at each save/restore */
  varList?: readonly Variable[];
  /** Checkpoints kept; older ones are deleted. 0 or null keeps all. @default 5 */
  maxToKeep?: number | null;
  /** Also keep one checkpoint every N hours, whatever `maxToKeep` says. @default 10000 */
  keepCheckpointEveryNHours?: number;
  /** Clock for `keepCheckpointEveryNHours`. @default systemClock */
  clock?: Clock;
  /**
   * State that is not a graph variable, by name, saved in the same pass and files (`<name>/<key>`).
   * Saveables in the graph collection `GraphKeys.SAVEABLE_OBJECTS` are added at each save/restore.
   * @default {}
   */
  saveables?: Readonly<Record<string, Saveable>>;
}

/** Options of {@link Saver.save}. */
export interface SaveOptions {
  /** Appended to the prefix: `<savePath>-<step>`. A number or a tensor whose value is one. */
  globalStep?: number | Tensor<number>;
  /** Also write `<prefix>.meta` (the graph's description). @default true */
  writeMetaGraph?: boolean;
  /** Update the `checkpoint` state file and apply retention. @default true */
  writeState?: boolean;
}

function checkLittleEndian(api: string): void {
  if (endianness() !== 'LE') throw new UnimplementedError(`${api}: checkpoints are little-endian; this host is big-endian`);
}

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
  #last: { path: string; time: number }[] = [];
  #nextKeepTime: number;
  #restoredFrom: string | undefined;
  readonly #cleanedDirs = new Set<string>();
  readonly #saveables: ReadonlyMap<string, Saveable>;
  #lastRestore: RestoreResult | undefined;
  #failedSaves = 0;
  #lastSaveError: unknown;

  constructor(options: SaverOptions = {}) {
    const { varList, maxToKeep = 5, keepCheckpointEveryNHours = 10000 } = options;
    if (varList !== undefined && (!Array.isArray(varList) || varList.some((v) => !(v instanceof Variable)))) {
      throw new InvalidArgumentError(`Saver: expected \`varList\` to be an array of Variables, got ${describeValue(varList)}`);
    }
    if (maxToKeep !== null && !(Number.isInteger(maxToKeep) && maxToKeep >= 0)) {
      throw new ValueError(`Saver: expected \`maxToKeep\` to be a non-negative integer or null, got ${describeValue(maxToKeep)}`);
    }
    if (typeof keepCheckpointEveryNHours !== 'number' || !(keepCheckpointEveryNHours > 0)) {
      throw new ValueError(`Saver: expected \`keepCheckpointEveryNHours\` to be a positive number, got ${describeValue(keepCheckpointEveryNHours)}`);
    }
    this.#varList = varList;
    this.maxToKeep = maxToKeep ?? 0;
    this.keepCheckpointEveryNHours = keepCheckpointEveryNHours;
    this.#clock = options.clock ?? systemClock;
    this.#saveables = checkSaveables('Saver', options.saveables);
    this.#nextKeepTime = this.#clock.now() + keepCheckpointEveryNHours * 3_600_000;
  }

  /** Prefixes of the kept checkpoints, oldest first. */
  get lastCheckpoints(): string[] {
    return this.#last.map((c) => c.path);
  }

  /** Continues the retention of checkpoints a previous run left (from the state file). */
  recoverLastCheckpoints(paths: readonly string[]): void {
    const now = this.#clock.now();
    this.#last = paths.map((p) => ({ path: p, time: now }));
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
   * returns that prefix. Creates the directory if needed.
   */
  async save(session: Session, savePath: string, options: SaveOptions = {}): Promise<string> {
    try {
      return await this.#save(session, savePath, options);
    } catch (error) {
      this.#failedSaves++;
      this.#lastSaveError = error;
      throw error;
    }
  }

  /** Saves that failed (threw) since this saver was made: a lost checkpoint is never only a log line. */
  get failedSaves(): number {
    return this.#failedSaves;
  }

  /** The error of the last failed save, or `undefined`. */
  get lastSaveError(): unknown {
    return this.#lastSaveError;
  }

  async #save(session: Session, savePath: string, options: SaveOptions): Promise<string> {
    checkLittleEndian('Saver.save');
    if (typeof savePath !== 'string' || savePath === '') {
      throw new InvalidArgumentError(`Saver.save: expected \`savePath\` to be a non-empty path, got ${describeValue(savePath)}`);
    }
    let step = options.globalStep;
    if (step instanceof Tensor) step = await session.run(step);
    if (step !== undefined && !Number.isInteger(step)) {
      throw new InvalidArgumentError(`Saver.save: expected \`globalStep\` to be an integer, got ${describeValue(step)}`);
    }
    const prefix = path.resolve(step === undefined ? savePath : `${savePath}-${step}`);
    const dir = path.dirname(prefix);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw fsError('Saver.save', 'create the directory', dir, error);
    }
    await this.#cleanOnce(dir);

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

    const files = checkpointFiles(prefix);
    // 1. The data: raw bytes of every typed array, written from their own memory (no copy).
    const dataCrc = await writeFileAtomic(files.data, dataPieces(tensors, entries), 'Saver.save');
    // 2. The index, last: a checkpoint is complete exactly when its index exists.
    const index: IndexFile = {
      format: FORMAT,
      version: 1,
      dataFile: path.basename(files.data),
      dataBytes: totalBytes,
      dataCrc32: dataCrc,
      tensors: entries,
      variables: encoded,
      ...(states.size > 0 ? { saveables: encodedStates } : {}),
    };
    const body = JSON.stringify(index);
    await writeFileAtomic(files.index, [Buffer.from(`${body}\ncrc32:${crc32(body).toString(16)}\n`)], 'Saver.save');
    if (options.writeMetaGraph ?? true) {
      await writeFileAtomic(files.meta, [Buffer.from(JSON.stringify(graphDef(session.graph, this), null, 1))], 'Saver.save');
    }
    await fsyncDir(dir);

    if (options.writeState ?? true) {
      this.#remember(prefix);
      const dropped = this.#retain();
      // 3. The state file (listing what is kept), then 4. delete what fell out of the window.
      await updateCheckpointState(dir, { modelCheckpointPath: prefix, allModelCheckpointPaths: this.lastCheckpoints });
      for (const old of dropped) await deleteCheckpointFiles(old);
      if (dropped.length > 0) await fsyncDir(dir);
    }
    return prefix;
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
    if (typeof prefix !== 'string' || prefix === '') {
      throw new InvalidArgumentError(`Saver.restore: expected \`prefix\` to be a checkpoint prefix, got ${describeValue(prefix)}`);
    }
    const resolved = path.resolve(prefix);
    logger.info(`Restoring parameters from ${resolved}`);
    await this.#cleanOnce(path.dirname(resolved));
    const { variables, saveables: stored, tensors } = await readCheckpoint(resolved);
    const wanted = this.#variables(session.graph);
    for (const v of wanted) {
      if (!(v.name in variables)) throw new NotFoundError(`Saver.restore: Key ${v.name} not found in checkpoint ${resolved}`);
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
      logger.warn(`Saver.restore: checkpoint ${resolved} holds no state for ${absent.join(', ')} (written before they existed); their state was not restored.`);
    }
    this.#restoredFrom = resolved;
    const unknown = Object.keys(stored).filter((n) => !saveables.has(n));
    this.#lastRestore = Object.freeze({ prefix: resolved, restoredSaveables: restored, absentSaveables: absent, unknownSaveables: unknown });
  }

  #remember(prefix: string): void {
    this.#last = this.#last.filter((c) => c.path !== prefix);
    this.#last.push({ path: prefix, time: this.#clock.now() });
  }

  /**
   * Takes the oldest checkpoints past `maxToKeep` out of the list and returns those to delete:
   * not one due under `keepCheckpointEveryNHours`, nor the one this run restored from.
   */
  #retain(): string[] {
    const dropped: string[] = [];
    if (this.maxToKeep === 0) return dropped;
    while (this.#last.length > this.maxToKeep) {
      const oldest = this.#last.shift()!;
      if (oldest.time >= this.#nextKeepTime) {
        this.#nextKeepTime += this.keepCheckpointEveryNHours * 3_600_000;
        continue;
      }
      if (oldest.path !== this.#restoredFrom) dropped.push(oldest.path);
    }
    return dropped;
  }

  async #cleanOnce(dir: string): Promise<void> {
    if (this.#cleanedDirs.has(dir)) return;
    this.#cleanedDirs.add(dir);
    await removeStrayTemporaries(dir);
  }
}

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

/** The one place restore writes variables (a backend may batch these writes). */
async function writeVariables(session: Session, variables: readonly Variable[], values: readonly unknown[]): Promise<void> {
  for (let i = 0; i < variables.length; i++) await session.store.writeVariable(variables[i]!.name, values[i]);
}
