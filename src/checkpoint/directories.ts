import { mkdir } from 'node:fs/promises';
import { callsFor, type FileCalls } from '../internal/fileCalls.ts';
import { fsError, removeStrayTemporaries } from './files.ts';

/**
 * What one saver knows of the directories it writes to and reads from: each is made once and
 * cleaned of stray temporaries once, so that a save after the first costs no `mkdir` or
 * directory scan.
 */
export class CheckpointDirectories {
  readonly #made = new Set<string>();
  readonly #cleaned = new Set<string>();

  /** Makes `dir` (once) and cleans it (once); the calls suited to its file system. */
  async prepare(dir: string): Promise<FileCalls> {
    if (!this.#made.has(dir)) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        throw fsError('Saver.save', 'create the directory', dir, error);
      }
      this.#made.add(dir);
    }
    await this.clean(dir);
    return callsFor(dir); // answered from its cache after the first time
  }

  /** Forgets that `dir` was made (it was found gone); true when it had been made here. */
  forget(dir: string): boolean {
    return this.#made.delete(dir);
  }

  /** Removes the stray temporaries of `dir`, once per directory. */
  async clean(dir: string): Promise<void> {
    if (this.#cleaned.has(dir)) return;
    this.#cleaned.add(dir);
    await removeStrayTemporaries(dir);
  }
}
