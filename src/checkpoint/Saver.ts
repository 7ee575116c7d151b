import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { systemClock, type Clock } from '../clock.ts';
import { DataLossError, InvalidArgumentError, NotFoundError, UnimplementedError, ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { DTYPES, decodeValue, encodeValue, layoutTensors, type AnyTypedArray, type Encoded, type TensorEntry } from './encoding.ts';
import { fsError, fsyncDir, readWhole, removeStrayTemporaries, writeFileAtomic } from './files.ts';
import { graphDef } from './graphDef.ts';
import { updateCheckpointState } from './state.ts';

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

interface IndexFile {
  format: 'monitored-session-checkpoint';
  version: 1;
  dataFile: string;
  dataBytes: number;
  dataCrc32: number;
  tensors: TensorEntry[];
  variables: Record<string, Encoded>;
}

const FORMAT = 'monitored-session-checkpoint';
const DATA_SUFFIX = '.data-00000-of-00001';

/** The files of the checkpoint `prefix`. */
export function checkpointFiles(prefix: string): { index: string; data: string; meta: string } {
  return { index: `${prefix}.index`, data: `${prefix}${DATA_SUFFIX}`, meta: `${prefix}.meta` };
}

/** True when the checkpoint `prefix` has its index and data files. */
export async function checkpointExists(prefix: string): Promise<boolean> {
  const files = checkpointFiles(prefix);
  try {
    await Promise.all([stat(files.index), stat(files.data)]);
    return true;
  } catch {
    return false;
  }
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

  #variables(graph: Graph): Variable[] {
    return [...(this.#varList ?? graph.globalVariables())];
  }

  /**
   * Saves the variables' values as `<savePath>-<globalStep>` (or `savePath` without a step) and
   * returns that prefix. Creates the directory if needed.
   */
  async save(session: Session, savePath: string, options: SaveOptions = {}): Promise<string> {
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
    const values = await session.run(variables);
    const tensors: ArrayBufferView[] = [];
    const encoded: Record<string, Encoded> = {};
    variables.forEach((v, i) => (encoded[v.name] = encodeValue(values[i], tensors, v.name)));
    const { entries, totalBytes } = layoutTensors(tensors);

    const files = checkpointFiles(prefix);
    // 1. The data: raw bytes of every typed array, written from their own memory (no copy).
    const dataCrc = await writeFileAtomic(files.data, dataPieces(tensors, entries));
    // 2. The index, last: a checkpoint is complete exactly when its index exists.
    const index: IndexFile = {
      format: FORMAT,
      version: 1,
      dataFile: path.basename(files.data),
      dataBytes: totalBytes,
      dataCrc32: dataCrc,
      tensors: entries,
      variables: encoded,
    };
    const body = JSON.stringify(index);
    await writeFileAtomic(files.index, [Buffer.from(`${body}\ncrc32:${crc32(body).toString(16)}\n`)]);
    if (options.writeMetaGraph ?? true) {
      await writeFileAtomic(files.meta, [Buffer.from(JSON.stringify(graphDef(session.graph, this), null, 1))]);
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
   * Restores the variables from the checkpoint `prefix`. A missing checkpoint is `NotFoundError`;
   * a torn or corrupt one is `DataLossError` naming the file; a variable missing from it is
   * `NotFoundError` naming the variable.
   */
  async restore(session: Session, prefix: string): Promise<void> {
    checkLittleEndian('Saver.restore');
    if (typeof prefix !== 'string' || prefix === '') {
      throw new InvalidArgumentError(`Saver.restore: expected \`prefix\` to be a checkpoint prefix, got ${describeValue(prefix)}`);
    }
    const resolved = path.resolve(prefix);
    await this.#cleanOnce(path.dirname(resolved));
    const { variables, tensors } = await readCheckpoint(resolved);
    const wanted = this.#variables(session.graph);
    for (const v of wanted) {
      if (!(v.name in variables)) throw new NotFoundError(`Saver.restore: Key ${v.name} not found in checkpoint ${resolved}`);
    }
    // All writes at once: a remote store sends them in one round trip.
    await Promise.all(wanted.map(async (v) => session.store.writeVariable(v.name, decodeValue(variables[v.name], tensors))));
    this.#restoredFrom = resolved;
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

/** Deletes every file of the checkpoint `prefix`. */
export async function deleteCheckpointFiles(prefix: string): Promise<void> {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith(`${base}.`)).map((n) => rm(path.join(dir, n), { force: true })));
}

/** Reads and verifies a checkpoint: its index checksum, then the data file's size and checksum. */
export async function readCheckpoint(prefix: string): Promise<{ variables: Record<string, Encoded>; tensors: AnyTypedArray[] }> {
  const files = checkpointFiles(prefix);
  let raw: Buffer;
  try {
    raw = (await readWhole(files.index, 'Saver.restore')).buffer;
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`Saver.restore: checkpoint ${prefix} not found (no ${files.index})`, { cause: error });
    throw error;
  }
  const text = raw.toString('utf8');
  const m = /^(.*)\ncrc32:([0-9a-f]+)\n$/s.exec(text);
  if (!m || crc32(m[1]!).toString(16) !== m[2]) {
    throw new DataLossError(`Saver.restore: checkpoint index ${files.index} is corrupt or truncated (checksum mismatch)`);
  }
  const index = JSON.parse(m[1]!) as IndexFile;
  if (index.format !== FORMAT || index.version !== 1) {
    throw new DataLossError(`Saver.restore: ${files.index} is not a checkpoint index of a known format`);
  }
  const { buffer: data, crc: dataCrc } = await readWhole(path.join(path.dirname(prefix), index.dataFile), 'Saver.restore');
  if (data.byteLength !== index.dataBytes || dataCrc !== index.dataCrc32) {
    throw new DataLossError(`Saver.restore: checkpoint data ${files.data} is corrupt or truncated (expected ${index.dataBytes} bytes with CRC-32 ${index.dataCrc32.toString(16)})`);
  }
  const tensors = index.tensors.map((e) => {
    const Ctor = DTYPES[e.dtype];
    const start = data.byteOffset + e.offset;
    // Views share the buffer when aligned (always, for a buffer of its own); else copy.
    const buffer = data.buffer as ArrayBuffer;
    if (start % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buffer, start, e.length) as AnyTypedArray;
    return new Ctor(buffer.slice(start, start + e.byteLength)) as AnyTypedArray;
  });
  return { variables: index.variables, tensors };
}

