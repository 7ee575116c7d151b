import path from 'node:path';
import { NotFoundError } from '../errors.ts';
import { writeFileDurably } from '../internal/durableFile.ts';
import { callsFor } from '../internal/fileCalls.ts';
import { arrayOf, checkOptions, expect, is, optional } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { isInside, readWhole } from './files.ts';
import { findIntactCheckpoints } from './scan.ts';
import { formatTextString, parseTextValue } from './textFormat.ts';

/** TensorFlow's `CheckpointState`: the newest checkpoint and every one kept, oldest first. */
export interface CheckpointState {
  /** Prefix of the newest checkpoint (absolute when read through `getCheckpointState`). */
  modelCheckpointPath: string;
  /** Prefixes of the kept checkpoints, oldest first; the last equals `modelCheckpointPath`. */
  allModelCheckpointPaths: string[];
  /** Unix seconds at which each kept checkpoint was written (TensorFlow 2's state files). */
  allModelCheckpointTimestamps?: number[];
  /** Unix seconds of the last checkpoint kept by `keepCheckpointEveryNHours` (TensorFlow 2). */
  lastPreservedTimestamp?: number;
}

const STATE_KEYS = [
  'modelCheckpointPath',
  'allModelCheckpointPaths',
  'allModelCheckpointTimestamps',
  'lastPreservedTimestamp',
] as const;

/** Checks a `CheckpointState` given by a user. */
function checkState(api: string, state: unknown): void {
  const s = checkOptions(api, state, STATE_KEYS, { name: 'state', required: true });
  expect(api, 'state.modelCheckpointPath', s.modelCheckpointPath, is.nonEmptyString);
  expect(api, 'state.allModelCheckpointPaths', s.allModelCheckpointPaths, arrayOf(is.string));
  optional(api, 'state.allModelCheckpointTimestamps', s.allModelCheckpointTimestamps, arrayOf(is.finiteNumber));
  optional(api, 'state.lastPreservedTimestamp', s.lastPreservedTimestamp, is.finiteNumber);
}

/** The state file's name inside a checkpoint directory. */
export const CHECKPOINT_STATE_FILE = 'checkpoint';

/** Parses the text of a state file; `undefined` when it is not a valid `CheckpointState`. */
export function parseCheckpointState(text: string): CheckpointState | undefined {
  expect('parseCheckpointState', 'text', text, is.string);
  let model: string | undefined;
  const all: string[] = [];
  const timestamps: number[] = [];
  let preserved: number | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$/.exec(trimmed);
    if (!m) return undefined;
    const value = parseTextValue(m[2]!);
    if (value === undefined) return undefined;
    const key = m[1]!;
    if (key === 'model_checkpoint_path' || key === 'all_model_checkpoint_paths') {
      if (typeof value !== 'string') return undefined;
      if (key === 'model_checkpoint_path') model = value;
      else all.push(value);
    } else if (key === 'all_model_checkpoint_timestamps' || key === 'last_preserved_timestamp') {
      if (typeof value !== 'number') return undefined;
      if (key === 'last_preserved_timestamp') preserved = value;
      else timestamps.push(value);
    }
    // An unknown field makes the file unparsable, as for TensorFlow's text_format parser: a
    // damaged field name must not silently drop the checkpoints it listed.
    else return undefined;
  }
  if (model === undefined || model === '') return undefined;
  if (all.length === 0 || all[all.length - 1] !== model) all.push(model);
  return {
    modelCheckpointPath: model,
    allModelCheckpointPaths: all,
    ...(timestamps.length > 0 ? { allModelCheckpointTimestamps: timestamps } : {}),
    ...(preserved !== undefined ? { lastPreservedTimestamp: preserved } : {}),
  };
}

/** Renders a state file, with paths relative to the directory when they are inside it. */
export function formatCheckpointState(dir: string, state: CheckpointState): string {
  expect('formatCheckpointState', 'dir', dir, is.string);
  checkState('formatCheckpointState', state);
  return renderCheckpointState(dir, state);
}

/** {@link formatCheckpointState} of a state this library built (no checks: the saver's own path). */
export function renderCheckpointState(dir: string, state: CheckpointState): string {
  const rel = (p: string): string => {
    const r = path.isAbsolute(p) ? path.relative(dir, p) : p;
    return r.startsWith('..') ? p : r;
  };
  const q = (p: string): string => formatTextString(rel(p));
  return [
    `model_checkpoint_path: ${q(state.modelCheckpointPath)}`,
    ...state.allModelCheckpointPaths.map((p) => `all_model_checkpoint_paths: ${q(p)}`),
    ...(state.allModelCheckpointTimestamps ?? []).map((t) => `all_model_checkpoint_timestamps: ${t}`),
    ...(state.lastPreservedTimestamp === undefined
      ? []
      : [`last_preserved_timestamp: ${state.lastPreservedTimestamp}`]),
    '',
  ].join('\n');
}

/** Reads and parses `<dir>/checkpoint`: the state, or why there is none (`missing` when there is no file). */
type StateFileRead = CheckpointState | 'missing' | { ignored: string; state?: CheckpointState };

async function readStateFile(dir: string): Promise<StateFileRead> {
  const file = path.join(dir, CHECKPOINT_STATE_FILE);
  const calls = await callsFor(dir);
  let text: string;
  try {
    text = (await readWhole(file, 'getCheckpointState', calls)).toString('utf8');
  } catch (error) {
    if (error instanceof NotFoundError) return 'missing';
    return { ignored: `${file} cannot be read (${(error as Error).message})` };
  }
  const state = parseCheckpointState(text);
  if (state === undefined) {
    return { ignored: `${file} is ${text.trim() === '' ? 'empty' : 'not a valid CheckpointState'}` };
  }
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(dir, p));
  // Paths are confined to the directory: a state file cannot make us read elsewhere.
  const model = abs(state.modelCheckpointPath);
  if (!isInside(dir, model)) return { ignored: `${file} points outside its directory (${model})` };
  const { allModelCheckpointPaths: _, ...rest } = state;
  const all = state.allModelCheckpointPaths.map(abs).filter((p) => isInside(dir, p));
  const resolved = { ...rest, modelCheckpointPath: model, allModelCheckpointPaths: all };
  try {
    if ((await calls.stat(`${model}.index`)).isFile()) return resolved;
  } catch {
    // Missing, or a symbolic link loop.
  }
  return { ignored: `${file} names ${model}, which does not exist or is not a regular file`, state: resolved };
}

/**
 * Reads `<dir>/checkpoint`; relative paths are resolved against `dir`. Without a state file and
 * without checkpoints this is "no checkpoint": `undefined`, not an error. A state file that is
 * damaged, empty, unparsable, missing or names a checkpoint that is not there never hides
 * intact checkpoints: the directory is scanned and the newest one whose index verifies is
 * returned, with a warning that says what was ignored. (A valid state file naming missing
 * checkpoints, with none to be found, is returned as it is, as TensorFlow does.)
 */
export async function getCheckpointState(dir: string): Promise<CheckpointState | undefined> {
  expect('getCheckpointState', 'dir', dir, is.nonEmptyString);
  const read = await readStateFile(dir);
  if (read !== 'missing' && !('ignored' in read)) return read;
  const found = await findIntactCheckpoints(dir);
  const why = read === 'missing' ? `there is no ${path.join(dir, CHECKPOINT_STATE_FILE)}` : `ignored ${read.ignored}`;
  if (found.length === 0) {
    // A state file naming checkpoints that are not (yet) here stays authoritative, as in TensorFlow.
    if (read !== 'missing' && read.state !== undefined) return read.state;
    if (read !== 'missing') logger.warn(`getCheckpointState: ${why}, and no intact checkpoint was found in ${dir}.`);
    return undefined;
  }
  const newest = found[found.length - 1]!.prefix;
  logger.warn(`getCheckpointState: ${why}; resuming from ${newest}, the newest intact checkpoint found in ${dir}.`);
  return { modelCheckpointPath: newest, allModelCheckpointPaths: found.map((f) => f.prefix) };
}

/** Writes `<dir>/checkpoint` crash-consistently (temporary file, fsync, rename, directory fsync). */
export async function updateCheckpointState(dir: string, state: CheckpointState): Promise<void> {
  expect('updateCheckpointState', 'dir', dir, is.nonEmptyString);
  checkState('updateCheckpointState', state);
  await writeFileDurably(path.join(dir, CHECKPOINT_STATE_FILE), formatCheckpointState(dir, state), 'Saver.save');
}

/** The prefix of the newest checkpoint in `dir`, or `undefined`. */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  expect('latestCheckpoint', 'dir', dir, is.nonEmptyString);
  return (await getCheckpointState(dir))?.modelCheckpointPath;
}
