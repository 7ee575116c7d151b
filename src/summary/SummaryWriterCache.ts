import path from 'node:path';
import { expect, instanceOf, is } from '../internal/validate.ts';
import { SummaryWriter, type SummaryWriterOptions } from './SummaryWriter.ts';

const API = 'SummaryWriterCache';
const writerRule = instanceOf(SummaryWriter);

interface CacheEntry {
  readonly writer: SummaryWriter;
  /** Sessions (hooks) using it now. */
  refs: number;
  /** Handed out by `get`, which has no matching release: kept until `clear()`. */
  pinned: boolean;
}

/**
 * One writer per directory, shared by the hooks that write there (TensorFlow's
 * `SummaryWriterCache`). Hooks `acquire` a directory's writer when a session begins and
 * `release` it when it ends: the last release closes the event file. `get` hands out a writer
 * kept until `clear()`, as TensorFlow's cache does.
 */
export class SummaryWriterCache {
  static readonly #entries = new Map<string, CacheEntry>();

  static #entry(logdir: string, options?: SummaryWriterOptions): CacheEntry {
    const key = path.resolve(expect(API, 'logdir', logdir, is.nonEmptyString));
    let entry = SummaryWriterCache.#entries.get(key);
    if (entry === undefined) {
      const writer = new SummaryWriter(key, options);
      writer.onClosed(() => SummaryWriterCache.forget(writer));
      entry = { writer, refs: 0, pinned: false };
      SummaryWriterCache.#entries.set(key, entry);
    }
    return entry;
  }

  /** The writer for `logdir`, created on first use and kept until {@link clear}. */
  static get(logdir: string, options?: SummaryWriterOptions): SummaryWriter {
    const entry = SummaryWriterCache.#entry(logdir, options);
    entry.pinned = true;
    return entry.writer;
  }

  /** The writer for `logdir`, counted as one more user until its {@link release}. */
  static acquire(logdir: string, options?: SummaryWriterOptions): SummaryWriter {
    const entry = SummaryWriterCache.#entry(logdir, options);
    entry.refs++;
    return entry.writer;
  }

  /** Ends one use of `writer`; the last one (unless pinned by `get`) flushes and closes its file. */
  static async release(writer: SummaryWriter): Promise<void> {
    expect(`${API}.release`, 'writer', writer, writerRule);
    const entry = SummaryWriterCache.#entries.get(writer.logdir);
    if (entry === undefined || entry.writer !== writer) return;
    entry.refs = Math.max(0, entry.refs - 1);
    if (entry.refs > 0 || entry.pinned) {
      await writer.flush();
      return;
    }
    SummaryWriterCache.#entries.delete(writer.logdir);
    await writer.close();
  }

  /** Closes and forgets every cached writer. */
  static async clear(): Promise<void> {
    const writers = [...SummaryWriterCache.#entries.values()].map((e) => e.writer);
    SummaryWriterCache.#entries.clear();
    await Promise.all(writers.map((w) => w.close()));
  }

  /** @internal */
  static forget(writer: SummaryWriter): void {
    expect(`${API}.forget`, 'writer', writer, writerRule);
    if (SummaryWriterCache.#entries.get(writer.logdir)?.writer === writer)
      SummaryWriterCache.#entries.delete(writer.logdir);
  }
}
