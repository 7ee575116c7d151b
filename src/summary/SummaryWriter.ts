import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { systemClock, type Clock } from '../clock.ts';
import { fsError } from '../checkpoint/files.ts';
import { InvalidArgumentError, RuntimeError, ValueError, describeValue } from '../errors.ts';
import { logger } from '../logger.ts';
import { maskedCrc32c } from './crc32c.ts';
import { encodeEvent, type Event, type SessionLog } from './event.ts';
import type { Summary } from './ops.ts';

/** Options of {@link SummaryWriter}. */
export interface SummaryWriterOptions {
  /** Seconds between automatic flushes. @default 120 */
  flushSecs?: number;
  /** Records held in memory before the oldest new ones are dropped (writes never block a step). @default 10000 */
  maxQueue?: number;
  /** Appended to the file name. @default '' */
  filenameSuffix?: string;
  clock?: Clock;
}

/** Frames one record as TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Writes TensorBoard event files (TensorFlow's `FileWriter`): `add*` only queue an encoded
 * record and return at once; a background task appends records, and `flush` writes what is
 * queued and fsyncs. A write failure is kept and thrown by the next `flush` or `close`, never
 * left as an unhandled rejection. Each writer opens a new file, so a restart never rewrites one.
 */
export class SummaryWriter {
  readonly logdir: string;
  /** The event file this writer appends to. */
  readonly filename: string;
  /** Records dropped because the queue was full (the disk did not keep up). */
  droppedRecords = 0;
  readonly #clock: Clock;
  readonly #maxQueue: number;
  readonly #flushMs: number;
  #queue: Uint8Array[] = [];
  #handle: Promise<FileHandle> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #error: unknown;
  #closed = false;
  #timer: unknown;

  constructor(logdir: string, options: SummaryWriterOptions = {}) {
    if (typeof logdir !== 'string' || logdir === '') {
      throw new InvalidArgumentError(`SummaryWriter: expected \`logdir\` to be a non-empty path, got ${describeValue(logdir)}`);
    }
    const flushSecs = options.flushSecs ?? 120;
    if (typeof flushSecs !== 'number' || !(flushSecs > 0)) {
      throw new ValueError(`SummaryWriter: expected \`flushSecs\` to be a positive number, got ${describeValue(flushSecs)}`);
    }
    const maxQueue = options.maxQueue ?? 10_000;
    if (!Number.isInteger(maxQueue) || maxQueue <= 0) {
      throw new ValueError(`SummaryWriter: expected \`maxQueue\` to be a positive integer, got ${describeValue(maxQueue)}`);
    }
    this.logdir = path.resolve(logdir);
    this.#clock = options.clock ?? systemClock;
    this.#maxQueue = maxQueue;
    this.#flushMs = flushSecs * 1000;
    const secs = String(Math.floor(this.#clock.now() / 1000)).padStart(10, '0');
    this.filename = path.join(this.logdir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${nanoid(6)}${options.filenameSuffix ?? ''}`);
    try {
      mkdirSync(this.logdir, { recursive: true });
    } catch (error) {
      throw fsError('SummaryWriter', 'create the directory', this.logdir, error);
    }
    this.addEvent({ wallTime: this.#clock.now() / 1000, fileVersion: 'brain.Event:2' });
    this.#schedule();
  }

  /** Queues a summary at `step`. */
  addSummary(summary: Summary, step: number): void {
    if (summary === null || typeof summary !== 'object' || !Array.isArray(summary.value)) {
      throw new InvalidArgumentError(`SummaryWriter.addSummary: expected a Summary ({ value: [...] }), got ${describeValue(summary)}`);
    }
    this.addEvent({ wallTime: this.#clock.now() / 1000, step, summary });
  }

  /** Queues a session log (START, STOP, CHECKPOINT) at `step`. */
  addSessionLog(log: SessionLog, step: number): void {
    this.addEvent({ wallTime: this.#clock.now() / 1000, step, sessionLog: log });
  }

  /** Queues any event. */
  addEvent(event: Event): void {
    if (this.#closed) throw new RuntimeError(`SummaryWriter: ${this.filename} is closed.`);
    if (this.#queue.length >= this.#maxQueue) {
      if (this.droppedRecords++ === 0) logger.warn(`SummaryWriter: the queue of ${this.#maxQueue} records is full; dropping records until the disk catches up.`);
      return;
    }
    this.#queue.push(tfRecord(encodeEvent(event)));
    if (this.#queue.length === 1) void this.#drain();
  }

  /** Writes every queued record and fsyncs; throws the writer's failure, if any. */
  async flush(): Promise<void> {
    await this.#drain(true);
    if (this.#error !== undefined) throw this.#error;
  }

  /** Flushes and closes the file; throws the writer's failure, if any. Closing twice is fine. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      const handle = this.#handle;
      this.#handle = undefined;
      if (handle) await (await handle.catch(() => undefined))?.close();
      SummaryWriterCache.forget(this);
    }
  }

  #schedule(): void {
    const handle = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.flush().catch((error: unknown) => logger.error(`SummaryWriter: flushing ${this.filename} failed`, error));
      this.#schedule();
    }, this.#flushMs);
    // A periodic flush alone must not keep the process alive.
    (handle as { unref?: () => void } | undefined)?.unref?.();
    this.#timer = handle;
  }

  /** Appends queued records in the background, one write at a time; errors are kept, not thrown. */
  #drain(sync = false): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#error !== undefined) return;
      const records = this.#queue;
      this.#queue = [];
      try {
        this.#handle ??= open(this.filename, 'a');
        const handle = await this.#handle;
        if (records.length > 0) await handle.write(Buffer.concat(records));
        if (sync) await handle.sync();
      } catch (error) {
        this.#error = fsError('SummaryWriter', 'write', this.filename, error);
      }
    });
    return this.#writing;
  }
}

/** One writer per directory, shared by the hooks that write there (TensorFlow's `SummaryWriterCache`). */
export class SummaryWriterCache {
  static readonly #writers = new Map<string, SummaryWriter>();

  /** The writer for `logdir`, created on first use. */
  static get(logdir: string, options?: SummaryWriterOptions): SummaryWriter {
    const key = path.resolve(logdir);
    let writer = SummaryWriterCache.#writers.get(key);
    if (writer === undefined) {
      writer = new SummaryWriter(key, options);
      SummaryWriterCache.#writers.set(key, writer);
    }
    return writer;
  }

  /** Closes and forgets every cached writer. */
  static async clear(): Promise<void> {
    const writers = [...SummaryWriterCache.#writers.values()];
    SummaryWriterCache.#writers.clear();
    await Promise.all(writers.map((w) => w.close()));
  }

  /** @internal */
  static forget(writer: SummaryWriter): void {
    if (SummaryWriterCache.#writers.get(writer.logdir) === writer) SummaryWriterCache.#writers.delete(writer.logdir);
  }
}

/** TensorFlow's alias. */
export const FileWriter = SummaryWriter;
