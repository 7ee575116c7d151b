import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { DataLossError, NotFoundError } from '../errors.ts';
import { DTYPES, decodeValue, type AnyTypedArray, type Encoded, type TensorEntry } from './encoding.ts';
import { readWhole } from './files.ts';

/** The index file of a checkpoint: what is where in its data file, and the checksums. */
export interface IndexFile {
  format: 'monitored-session-checkpoint';
  version: 1;
  dataFile: string;
  dataBytes: number;
  dataCrc32: number;
  tensors: TensorEntry[];
  variables: Record<string, Encoded>;
  /** State of the saveables, by name (absent in checkpoints written before saveables existed). */
  saveables?: Record<string, Encoded>;
}

export const FORMAT = 'monitored-session-checkpoint';
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

/** A checkpoint read and verified: its encoded values and the typed arrays they reference. */
export interface CheckpointContents {
  variables: Record<string, Encoded>;
  saveables: Record<string, Encoded>;
  tensors: AnyTypedArray[];
}

/** Reads and verifies a checkpoint: its index checksum, then the data file's size and checksum. */
export async function readCheckpoint(prefix: string, api = 'Saver.restore'): Promise<CheckpointContents> {
  const files = checkpointFiles(prefix);
  let raw: Buffer;
  try {
    raw = (await readWhole(files.index, api)).buffer;
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`${api}: checkpoint ${prefix} not found (no ${files.index})`, { cause: error });
    throw error;
  }
  const text = raw.toString('utf8');
  const m = /^(.*)\ncrc32:([0-9a-f]+)\n$/s.exec(text);
  if (!m || crc32(m[1]!).toString(16) !== m[2]) {
    throw new DataLossError(`${api}: checkpoint index ${files.index} is corrupt or truncated (checksum mismatch)`);
  }
  const index = JSON.parse(m[1]!) as IndexFile;
  if (index.format !== FORMAT || index.version !== 1) {
    throw new DataLossError(`${api}: ${files.index} is not a checkpoint index of a known format`);
  }
  const { buffer: data, crc: dataCrc } = await readWhole(path.join(path.dirname(prefix), index.dataFile), api);
  if (data.byteLength !== index.dataBytes || dataCrc !== index.dataCrc32) {
    throw new DataLossError(`${api}: checkpoint data ${files.data} is corrupt or truncated (expected ${index.dataBytes} bytes with CRC-32 ${index.dataCrc32.toString(16)})`);
  }
  const tensors = index.tensors.map((e) => {
    const Ctor = DTYPES[e.dtype];
    const start = data.byteOffset + e.offset;
    // Views share the buffer when aligned (always, for a buffer of its own); else copy.
    const buffer = data.buffer as ArrayBuffer;
    if (start % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buffer, start, e.length) as AnyTypedArray;
    return new Ctor(buffer.slice(start, start + e.byteLength)) as AnyTypedArray;
  });
  return { variables: index.variables, saveables: index.saveables ?? {}, tensors };
}

/**
 * Reads the saveables' state from the checkpoint `prefix` without a session: by saveable name,
 * each the record its `saveState()` returned. Verified like a restore (`DataLossError` when
 * damaged). With `names`, a name that has no state in the checkpoint is a `NotFoundError`.
 */
export async function readSaveableStates(prefix: string, names?: readonly string[]): Promise<Record<string, Record<string, unknown>>> {
  const resolved = path.resolve(prefix);
  const { saveables, tensors } = await readCheckpoint(resolved, 'readSaveableStates');
  const wanted = names ?? Object.keys(saveables);
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of wanted) {
    if (!Object.hasOwn(saveables, name)) {
      throw new NotFoundError(`readSaveableStates: saveable '${name}' not found in checkpoint ${resolved}`);
    }
    out[name] = decodeValue(saveables[name], tensors) as Record<string, unknown>;
  }
  return out;
}
