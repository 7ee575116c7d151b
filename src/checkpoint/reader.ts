import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { DataLossError, NotFoundError, UnimplementedError, type OpError } from '../errors.ts';
import { unusableFile } from '../internal/fsError.ts';
import { arrayOf, expect, is, optional } from '../internal/validate.ts';
import { DTYPES, decodeValue, type AnyTypedArray, type Encoded, type TensorEntry } from './encoding.ts';
import { readWhole } from './files.ts';
import { callsFor } from '../internal/fileCalls.ts';
import { newChecksum, type ChecksumKind } from '../internal/checksum.ts';

/** The index file of a checkpoint: what is where in its data file, and the checksums. */
export interface IndexFile {
  format: 'monitored-session-checkpoint';
  /** Says which checksum the data file has (see {@link DATA_CHECKSUMS}). */
  version: 1 | 2;
  dataFile: string;
  dataBytes: number;
  /** Version 1: the data file's CRC-32. */
  dataCrc32?: number;
  /** Version 2: the data file's xxHash64, 16 hex digits. */
  dataXxh64?: string;
  tensors: TensorEntry[];
  variables: Record<string, Encoded>;
  /** State of the saveables, by name (absent in checkpoints written before saveables existed). */
  saveables?: Record<string, Encoded>;
}

export const FORMAT = 'monitored-session-checkpoint';

/**
 * Each index version, the checksum of its data file and the field that holds it. Version 1
 * (every checkpoint before xxHash64, and every small one since) is CRC-32; version 2 is
 * xxHash64 (a large data file, see `checksumKindFor`). An older reader refuses a version-2
 * index as of an unknown format rather than misreading it.
 */
export const DATA_CHECKSUMS = {
  1: { kind: 'crc32', field: 'dataCrc32', name: 'CRC-32', valid: (v: unknown) => typeof v === 'number' },
  2: {
    kind: 'xxh64',
    field: 'dataXxh64',
    name: 'xxHash64',
    valid: (v: unknown) => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v),
  },
} as const satisfies Record<
  IndexFile['version'],
  { kind: ChecksumKind; field: keyof IndexFile; name: string; valid: (v: unknown) => boolean }
>;

const VERSIONS = Object.keys(DATA_CHECKSUMS).map(Number) as IndexFile['version'][];
const LATEST_VERSION = Math.max(...VERSIONS);

/** The index version of a data file checksummed with `kind`. */
export function indexVersionOf(kind: ChecksumKind): IndexFile['version'] {
  return VERSIONS.find((v) => DATA_CHECKSUMS[v].kind === kind)!;
}
const DATA_SUFFIX = '.data-00000-of-00001';

/** The files of the checkpoint `prefix`. */
export function checkpointFiles(prefix: string): { index: string; data: string; meta: string } {
  return { index: `${prefix}.index`, data: `${prefix}${DATA_SUFFIX}`, meta: `${prefix}.meta` };
}

/** True when the checkpoint `prefix` has its index and data files. */
export async function checkpointExists(prefix: string): Promise<boolean> {
  expect('checkpointExists', 'prefix', prefix, is.nonEmptyString);
  const files = checkpointFiles(prefix);
  try {
    await Promise.all([stat(files.index), stat(files.data)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes exactly the files of the checkpoint `prefix`: `<prefix>.index`, `<prefix>.meta` and
 * `<prefix>.data-<shard>-of-<shards>`; never other names that merely begin with the prefix
 * (dropping a checkpoint `model` must not touch `model.ckpt-1.index`).
 */
export async function deleteCheckpointFiles(prefix: string): Promise<void> {
  expect('deleteCheckpointFiles', 'prefix', prefix, is.nonEmptyString);
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const mine = (n: string): boolean => {
    if (!n.startsWith(`${base}.`)) return false;
    const rest = n.slice(base.length);
    return rest === '.index' || rest === '.meta' || /^\.data-\d{5}-of-\d{5}$/.test(rest);
  };
  await Promise.all(
    names.filter(mine).map((n) =>
      unlink(path.join(dir, n)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    ),
  );
}

/** A checkpoint read and verified: its encoded values and the typed arrays they reference. */
export interface CheckpointContents {
  variables: Record<string, Encoded>;
  saveables: Record<string, Encoded>;
  tensors: AnyTypedArray[];
}

/** A checkpoint's data file name from its index, confined to the index's directory. */
function dataFileOf(index: IndexFile, indexFile: string, api: string): string {
  const name = index.dataFile;
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    name !== path.basename(name) ||
    name.includes('\0')
  ) {
    throw new DataLossError(
      `${api}: checkpoint index ${indexFile} names a data file outside its directory (${JSON.stringify(name)})`,
    );
  }
  return path.join(path.dirname(indexFile), name);
}

/**
 * Reads and verifies the index of the checkpoint `prefix` (its checksum and format) and returns
 * it with the path of its data file, which is confined to the index's directory. An index that
 * is not a regular file (a directory, a FIFO, a symbolic link loop) is a `DataLossError`.
 */
export async function readIndex(
  prefix: string,
  api = 'Saver.restore',
): Promise<{ index: IndexFile; dataFile: string }> {
  const files = checkpointFiles(prefix);
  let raw: Buffer;
  try {
    raw = await readWhole(files.index, api, await callsFor(path.dirname(files.index)));
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`${api}: checkpoint ${prefix} not found (no ${files.index})`, { cause: error });
    throw unusableFile(error as OpError);
  }
  const text = raw.toString('utf8');
  const m = /^(.*)\ncrc32:([0-9a-f]+)\n$/s.exec(text);
  if (!m || crc32(m[1]!).toString(16) !== m[2]) {
    throw new DataLossError(`${api}: checkpoint index ${files.index} is corrupt or truncated (checksum mismatch)`);
  }
  let index: IndexFile;
  try {
    index = JSON.parse(m[1]!) as IndexFile;
  } catch (error) {
    throw new DataLossError(`${api}: checkpoint index ${files.index} is not valid JSON`, { cause: error });
  }
  if (index === null || typeof index !== 'object' || index.format !== FORMAT) {
    throw new DataLossError(`${api}: ${files.index} is not a checkpoint index of a known format`);
  }
  const version: unknown = index.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > LATEST_VERSION) {
    // Intact, but of a later release: not damage, which a scan would skip for an older checkpoint.
    throw new UnimplementedError(
      `${api}: ${files.index} is a checkpoint index of version ${version}, written by a later release of monitored-session; this one reads versions 1 to ${LATEST_VERSION}`,
    );
  }
  if (
    !VERSIONS.includes(version as IndexFile['version']) ||
    !DATA_CHECKSUMS[version as IndexFile['version']].valid(
      index[DATA_CHECKSUMS[version as IndexFile['version']].field],
    ) ||
    !Array.isArray(index.tensors)
  ) {
    throw new DataLossError(`${api}: ${files.index} is not a checkpoint index of a known format`);
  }
  return { index, dataFile: dataFileOf(index, files.index, api) };
}

/** Reads and verifies a checkpoint: its index checksum, then the data file's size and checksum. */
export async function readCheckpoint(prefix: string, api = 'Saver.restore'): Promise<CheckpointContents> {
  expect(api, 'prefix', prefix, is.nonEmptyString);
  const { index, dataFile } = await readIndex(prefix, api);
  const { kind, field, name } = DATA_CHECKSUMS[index.version];
  const checksum = await newChecksum(kind);
  let data: Buffer;
  try {
    data = await readWhole(dataFile, api, await callsFor(path.dirname(dataFile)), checksum);
  } catch (error) {
    throw unusableFile(error as OpError);
  }
  const expected = index[field]!;
  if (checksum.digest() !== expected || data.byteLength !== index.dataBytes) {
    throw new DataLossError(
      `${api}: checkpoint data ${dataFile} is corrupt or truncated (expected ${index.dataBytes} bytes with ${name} ${expected.toString(16)})`,
    );
  }
  const tensors = index.tensors.map((e) => {
    const Ctor = DTYPES[e.dtype];
    if (
      Ctor === undefined ||
      !(
        e.offset >= 0 &&
        e.offset + e.byteLength <= data.byteLength &&
        e.length * Ctor.BYTES_PER_ELEMENT === e.byteLength
      )
    ) {
      throw new DataLossError(`${api}: checkpoint index of ${prefix} describes a tensor outside its data file`);
    }
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
export async function readSaveableStates(
  prefix: string,
  names?: readonly string[],
): Promise<Record<string, Record<string, unknown>>> {
  expect('readSaveableStates', 'prefix', prefix, is.nonEmptyString);
  optional('readSaveableStates', 'names', names, arrayOf(is.string));
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
