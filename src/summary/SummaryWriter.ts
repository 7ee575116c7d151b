import { closeSync, fsync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { nanoid } from 'nanoid';
import { systemClock, type Clock } from '../clock.ts';
import { fsError } from '../internal/fsError.ts';
import { RuntimeError } from '../errors.ts';
import { checkOptions, expect, is, isForever, misuse, optional, rule, withMethods } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { maskedCrc32c } from './crc32c.ts';
import { writeEventRecord, type Event, type SessionLog } from './event.ts';
import { RecordEncoder } from './RecordEncoder.ts';
import { checkEvent, checkSessionLog, checkStep, checkSummary } from './checkEvent.ts';
import type { Summary } from './ops.ts';

const fsyncAsync = promisify(fsync);

/** Options of {@link SummaryWriter}. */
export interface SummaryWriterOptions {
  /** Seconds between automatic flushes (fsync); `Infinity` for none. @default 120 */
  flushSecs?: number;
  /**
   * Records held in memory before they are written out. Past it, `add*` appends them to the file
   * right away (back-pressure): no record is ever dropped for want of room. @default 10000
   */
  maxQueue?: number;
  /** Appended to the file name. @default '' */
  filenameSuffix?: string;
  clock?: Clock;
}

/** What a writer has done so far: its figures, for logs and snapshots. */
export interface SummaryWriterStats {
  /** Records accepted (the file-version record included). */
  readonly records: number;
  /** Bytes of those records. */
  readonly bytes: number;
  /** Records not in the file because writing it failed (never for want of room). */
  readonly droppedRecords: number;
  /** Records accepted and not yet handed to the file. */
  readonly pendingRecords: number;
  /** Writes to the file, and those forced by a full queue (back-pressure). */
  readonly writes: number;
  readonly fullQueueWrites: number;
  /** Flushes (fsyncs) done. */
  readonly flushes: number;
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

/** Past this many buffered bytes, records are written out even below `maxQueue`. */
const MAX_PENDING_BYTES = 1 << 20;
const API = 'SummaryWriter';
const graphDefRule = rule<Uint8Array>('a serialized GraphDef (Uint8Array)', 'type', (v) => v instanceof Uint8Array);
const clockRule = withMethods<Clock>(
  'a clock (with now, setTimeout and clearTimeout)',
  'now',
  'setTimeout',
  'clearTimeout',
);

/**
 * Writes TensorBoard event files (TensorFlow's `FileWriter`). `add*` encode the record into one
 * buffer and return; the buffer goes to the file as soon as the event loop is free, or at once
 * when `maxQueue` records are waiting, so a step loop that never yields still loses nothing.
 * `flush` writes what is buffered and fsyncs. A write failure is kept and thrown by the next
 * `flush` or `close` (and counted in `stats.droppedRecords`), never left as an unhandled
 * rejection. Each writer opens a new file, so a restart never rewrites one.
 */
export class SummaryWriter {
  readonly logdir: string;
  /** The event file this writer appends to. */
  readonly filename: string;
  readonly #clock: Clock;
  readonly #maxQueue: number;
  readonly #flushMs: number;
  /** The records not yet in the file, encoded in place: one buffer, reused after each write. */
  #encoder = new RecordEncoder();
  #pending = 0;
  #fd: number | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #error: unknown;
  #closed = false;
  #closing: Promise<void> | undefined;
  #timer: unknown;
  #lastGraph: Uint8Array | undefined;
  readonly #closeListeners: (() => void | Promise<void>)[] = [];
  #stats = { records: 0, bytes: 0, droppedRecords: 0, writes: 0, fullQueueWrites: 0, flushes: 0 };

  constructor(logdir: string, options: SummaryWriterOptions = {}) {
    expect(API, 'logdir', logdir, is.nonEmptyString);
    const opts = checkOptions(API, options, ['flushSecs', 'maxQueue', 'filenameSuffix', 'clock']);
    const flushSecs = optional(API, 'flushSecs', opts.flushSecs, is.positiveNumber) ?? 120;
    this.#maxQueue = optional(API, 'maxQueue', opts.maxQueue, is.positiveInteger) ?? 10_000;
    const suffix = optional(API, 'filenameSuffix', opts.filenameSuffix, is.string) ?? '';
    if (suffix.includes('/') || suffix.includes(path.sep)) misuse(API, 'filenameSuffix', 'a file name suffix', suffix);
    this.#clock = optional(API, 'clock', opts.clock, clockRule) ?? systemClock;
    this.logdir = path.resolve(logdir);
    this.#flushMs = flushSecs * 1000;
    const secs = String(Math.floor(this.#clock.now() / 1000)).padStart(10, '0');
    this.filename = path.join(
      this.logdir,
      `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${nanoid(6)}${suffix}`,
    );
    try {
      mkdirSync(this.logdir, { recursive: true });
    } catch (error) {
      throw fsError(API, 'create the directory', this.logdir, error);
    }
    this.#append({ wallTime: this.#clock.now() / 1000, fileVersion: 'brain.Event:2' });
    if (!isForever(this.#flushMs)) this.#schedule();
  }

  /** Calls `listener` once the file is closed (the cache forgets the writer then); `close` awaits it. @internal */
  onClosed(listener: () => void | Promise<void>): void {
    this.#closeListeners.push(expect(`${API}.onClosed`, 'listener', listener, is.function) as typeof listener);
  }

  /** Records dropped because writing failed (see {@link stats}). */
  get droppedRecords(): number {
    return this.#stats.droppedRecords;
  }

  /** This writer's figures so far. */
  get stats(): SummaryWriterStats {
    return { ...this.#stats, pendingRecords: this.#pending };
  }

  /** Adds a summary at `step`. */
  addSummary(summary: Summary, step: number): void {
    checkSummary(`${API}.addSummary`, 'summary', summary);
    checkStep(`${API}.addSummary`, step);
    this.#append({ wallTime: this.#clock.now() / 1000, step, summary });
  }

  /** Adds a session log (START, STOP, CHECKPOINT) at `step`. */
  addSessionLog(log: SessionLog, step: number): void {
    checkSessionLog(`${API}.addSessionLog`, 'log', log);
    checkStep(`${API}.addSessionLog`, step);
    this.#append({ wallTime: this.#clock.now() / 1000, step, sessionLog: log });
  }

  /**
   * Adds a serialized `GraphDef` (TensorBoard's Graphs tab), as TensorFlow's `add_graph` does.
   * The same graph again in this file is skipped (several hooks may write it).
   */
  addGraph(graphDef: Uint8Array, step = 0): void {
    expect(`${API}.addGraph`, 'graphDef', graphDef, graphDefRule);
    checkStep(`${API}.addGraph`, step);
    if (this.#lastGraph !== undefined && Buffer.compare(this.#lastGraph, graphDef) === 0) return;
    this.#lastGraph = Uint8Array.from(graphDef);
    this.#append({ wallTime: this.#clock.now() / 1000, step, graphDef });
  }

  /** Adds any event. */
  addEvent(event: Event): void {
    this.#append(checkEvent(`${API}.addEvent`, event));
  }

  /** Encodes a checked event at the end of the buffer. */
  #append(event: Event): void {
    if (this.#closed) throw new RuntimeError(`${API}: ${this.filename} is closed.`);
    const encoder = this.#encoder;
    const before = encoder.length;
    try {
      writeEventRecord(encoder, event);
    } catch (error) {
      encoder.length = before; // a malformed event leaves no partial record behind
      throw error;
    }
    this.#stats.records++;
    this.#stats.bytes += encoder.length - before;
    if (this.#error !== undefined) {
      encoder.reset();
      this.#stats.droppedRecords++;
      return;
    }
    this.#pending++;
    this.#afterAppend();
  }

  /** Writes out at once when the queue is full; else as soon as the event loop is free. */
  #afterAppend(): void {
    if (this.#pending >= this.#maxQueue || this.#encoder.length >= MAX_PENDING_BYTES) {
      this.#stats.fullQueueWrites++;
      this.#writeOut();
    } else if (this.#immediate === undefined) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.#writeOut();
      });
    }
  }

  /** Appends the buffered records to the file, whole, in order; a failure is kept, not thrown. */
  #writeOut(): void {
    const { buffer, length } = this.#encoder;
    if (length === 0) return;
    try {
      this.#fd ??= openSync(this.filename, 'a');
      for (let at = 0; at < length;) at += writeSync(this.#fd, buffer, at, length - at);
      this.#stats.writes++;
    } catch (error) {
      this.#fail(error);
    }
    this.#encoder.reset();
    this.#pending = 0;
    // A large one-off record should not pin its memory for the writer's life.
    if (buffer.length > MAX_PENDING_BYTES * 2) this.#encoder = new RecordEncoder();
  }

  #fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = fsError(API, 'write', this.filename, error);
    this.#stats.droppedRecords += this.#pending;
    logger.error(`${API}: writing ${this.filename} failed; further records are counted as dropped.`, this.#error);
  }

  /** Writes every buffered record and fsyncs; throws the writer's failure, if any. */
  async flush(): Promise<void> {
    this.#writeOut();
    if (this.#error === undefined && this.#fd !== undefined) {
      try {
        await fsyncAsync(this.#fd);
        this.#stats.flushes++;
      } catch (error) {
        this.#fail(error);
      }
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Flushes and closes the file; throws the writer's failure, if any. Closing twice is fine. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    let listenerFailure: { error: unknown } | undefined;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      if (this.#immediate !== undefined) clearImmediate(this.#immediate);
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = undefined;
      listenerFailure = await this.#tellClosed();
    }
    // The writer's own failure (thrown by flush) comes first; else a listener's.
    if (listenerFailure !== undefined) throw listenerFailure.error;
  }

  /** Calls every close listener, each awaited; returns the first failure once all have run. */
  async #tellClosed(): Promise<{ error: unknown } | undefined> {
    let failure: { error: unknown } | undefined;
    for (const listener of this.#closeListeners) {
      try {
        await listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    return failure;
  }

  #schedule(): void {
    const handle = this.#clock.setTimeout(() => {
      if (this.#closed || this.#closing) return;
      this.flush().catch((error: unknown) => logger.error(`${API}: flushing ${this.filename} failed`, error));
      this.#schedule();
    }, this.#flushMs);
    // A periodic flush alone must not keep the process alive.
    (handle as { unref?: () => void } | undefined)?.unref?.();
    this.#timer = handle;
  }
}

/** TensorFlow's alias. */
export const FileWriter = SummaryWriter;
