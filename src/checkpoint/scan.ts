import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UnimplementedError } from '../errors.ts';
import { readIndex } from './reader.ts';

/** A checkpoint found in a directory whose index verifies and whose data file has the right size. */
export interface FoundCheckpoint {
  prefix: string;
  /** The global step in its name (`<base>-<step>`), or -1 without one. */
  step: number;
  mtimeMs: number;
}

const INDEX = '.index';

/**
 * The checkpoints in `dir` that look intact without reading their data: the index is a regular
 * file whose checksum verifies, and the data file it names is a regular file of the size it
 * records (its checksum is verified by the restore itself). Oldest first: by step, then time.
 * An intact index of a later release's version is thrown (`UnimplementedError`), not skipped:
 * passing over it would resume from an older checkpoint, or from step 0, and lose its progress.
 */
export async function findIntactCheckpoints(dir: string): Promise<FoundCheckpoint[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found = await Promise.all(
    names
      .filter((n) => n.endsWith(INDEX) && n.length > INDEX.length)
      .map(async (n): Promise<FoundCheckpoint | undefined> => {
        const prefix = path.join(dir, n.slice(0, -INDEX.length));
        try {
          const { index, dataFile } = await readIndex(prefix, 'getCheckpointState');
          const data = await stat(dataFile);
          if (!data.isFile() || data.size !== index.dataBytes) return undefined;
          const m = /-(\d+)$/.exec(prefix);
          return { prefix, step: m ? Number(m[1]) : -1, mtimeMs: data.mtimeMs };
        } catch (error) {
          if (error instanceof UnimplementedError) throw error;
          return undefined;
        }
      }),
  );
  return found.filter((f) => f !== undefined).sort((a, b) => a.step - b.step || a.mtimeMs - b.mtimeMs);
}
