import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Graph } from '../graph/Graph.ts';
import { CliError } from './failure.ts';

const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The nearest existing ancestor of `dir` (itself included) that is not a directory, if any. */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let p = dir; ; p = path.dirname(p)) {
    const info = await stat(p).catch(() => undefined);
    if (info !== undefined) return info.isDirectory() ? undefined : p;
    if (path.dirname(p) === p) return undefined;
  }
}

/**
 * Creates the checkpoint directory and checks that it can be written, so that the usual mistakes
 * fail before training with one line naming the flag: a file in the way, a read-only place.
 */
export async function prepareCheckpointDir(dir: string): Promise<void> {
  const flag = `--checkpoint-dir ${dir}`;
  const file = await fileInTheWay(dir);
  if (file !== undefined) throw new CliError(`${flag}: ${file} is a file, not a directory`);
  const probe = path.join(dir, `.write-probe-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (UNWRITABLE.has(code)) throw new CliError(`${flag} is not writable (${code})`);
    if (code === 'ENOSPC') throw new CliError(`${flag}: no space left on the device`);
    throw error;
  }
}

/** Refuses a checkpoint whose variables are not exactly the model's (a checkpoint of another model). */
export function checkSameModel(dir: string, prefix: string, saved: Record<string, unknown>, graph: Graph): void {
  const expected = graph.globalVariables().map((v) => v.name);
  const missing = expected.filter((name) => !(name in saved));
  const extra = Object.keys(saved).filter((name) => !expected.includes(name));
  if (missing.length === 0 && extra.length === 0) return;
  const names = (list: string[]) => list.map((n) => `'${n}'`).join(', ');
  const what = missing.length > 0 ? `has no variable ${names(missing)}` : `has extra variables ${names(extra)}`;
  throw new CliError(
    `--checkpoint-dir ${dir} holds a checkpoint of another model: ${path.basename(prefix)} ${what}; ` +
      'use another --checkpoint-dir',
  );
}
