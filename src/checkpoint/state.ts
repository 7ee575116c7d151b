import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeValue, InvalidArgumentError } from '../errors.ts';
import { logger } from '../logger.ts';
import { isInside, writeFileDurably } from './files.ts';

/** TensorFlow's `CheckpointState`: the newest checkpoint and every one kept, oldest first. */
export interface CheckpointState {
  /** Prefix of the newest checkpoint (absolute when read through `getCheckpointState`). */
  modelCheckpointPath: string;
  /** Prefixes of the kept checkpoints, oldest first; the last equals `modelCheckpointPath`. */
  allModelCheckpointPaths: string[];
}

/** The state file's name inside a checkpoint directory. */
export const CHECKPOINT_STATE_FILE = 'checkpoint';

function unquote(raw: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(raw.trim());
  return m ? JSON.parse(`"${m[1]}"`) as string : undefined;
}

/** Parses the text of a state file; `undefined` when it is not a valid `CheckpointState`. */
export function parseCheckpointState(text: string): CheckpointState | undefined {
  let model: string | undefined;
  const all: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const colon = trimmed.indexOf(':');
    if (colon < 0) return undefined;
    const key = trimmed.slice(0, colon).trim();
    const value = unquote(trimmed.slice(colon + 1));
    if (value === undefined) return undefined;
    if (key === 'model_checkpoint_path') model = value;
    else if (key === 'all_model_checkpoint_paths') all.push(value);
    // Unknown fields (timestamps of newer TensorFlow versions) are ignored.
  }
  if (model === undefined || model === '') return undefined;
  if (all.length === 0 || all[all.length - 1] !== model) all.push(model);
  return { modelCheckpointPath: model, allModelCheckpointPaths: all };
}

/** Renders a state file, with paths relative to the directory when they are inside it. */
export function formatCheckpointState(dir: string, state: CheckpointState): string {
  const rel = (p: string): string => {
    const r = path.isAbsolute(p) ? path.relative(dir, p) : p;
    return r.startsWith('..') ? p : r;
  };
  const q = (p: string): string => JSON.stringify(rel(p));
  return [
    `model_checkpoint_path: ${q(state.modelCheckpointPath)}`,
    ...state.allModelCheckpointPaths.map((p) => `all_model_checkpoint_paths: ${q(p)}`),
    '',
  ].join('\n');
}

/**
 * Reads `<dir>/checkpoint`; relative paths are resolved against `dir`. A missing or unparsable
 * file means "no checkpoint": `undefined`, not an error.
 */
export async function getCheckpointState(dir: string): Promise<CheckpointState | undefined> {
  if (typeof dir !== 'string' || dir === '') {
    throw new InvalidArgumentError(`getCheckpointState: expected \`dir\` to be a non-empty path, got ${describeValue(dir)}`);
  }
  let text: string;
  try {
    text = await readFile(path.join(dir, CHECKPOINT_STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const state = parseCheckpointState(text);
  if (state === undefined) return undefined;
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(dir, p));
  // Paths are confined to the directory: a state file cannot make us read elsewhere.
  const model = abs(state.modelCheckpointPath);
  if (!isInside(dir, model)) {
    logger.warn(`getCheckpointState: ignoring ${path.join(dir, CHECKPOINT_STATE_FILE)}: it points outside its directory (${model})`);
    return undefined;
  }
  const all = state.allModelCheckpointPaths.map(abs).filter((p) => isInside(dir, p));
  return { modelCheckpointPath: model, allModelCheckpointPaths: all };
}

/** Writes `<dir>/checkpoint` crash-consistently (temporary file, fsync, rename, directory fsync). */
export async function updateCheckpointState(dir: string, state: CheckpointState): Promise<void> {
  await writeFileDurably(path.join(dir, CHECKPOINT_STATE_FILE), formatCheckpointState(dir, state), 'Saver.save');
}

/** The prefix of the newest checkpoint in `dir`, or `undefined`. */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  return (await getCheckpointState(dir))?.modelCheckpointPath;
}
