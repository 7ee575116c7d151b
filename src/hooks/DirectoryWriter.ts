import { SummaryWriterCache, type SummaryWriter } from '../summary/SummaryWriter.ts';

/**
 * A hook's use of the shared writer of a summary directory: acquired when a monitored session
 * begins, released when it ends (cleanly or on error), so the last session using a directory
 * closes its event file. @internal
 */
export class DirectoryWriter {
  readonly #dir: string | undefined;
  #writer: SummaryWriter | undefined;

  constructor(dir: string | undefined) {
    this.#dir = dir;
  }

  /** The directory's writer, acquired once per session; `undefined` without a directory. */
  acquire(): SummaryWriter | undefined {
    if (this.#dir !== undefined) this.#writer ??= SummaryWriterCache.acquire(this.#dir);
    return this.#writer;
  }

  /** Ends this use; the last user closes the file. Safe to call when nothing was acquired. */
  async release(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    if (writer !== undefined) await SummaryWriterCache.release(writer);
  }
}
