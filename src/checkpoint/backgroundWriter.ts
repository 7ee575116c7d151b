import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnknownError } from '../errors.ts';
import { threadPool } from '../internal/fileCalls.ts';
import { logger } from '../logger.ts';
import { writeCheckpoint } from './commit.ts';
import { checkpointWrite, receivedError, sendError, type WriteJob } from './writeJob.ts';
import type { FromWriter, ToWriter } from './writerThread.ts';

/** A write in the background: `done` settles with it; `quiet()` is true while it goes on without this thread's event loop turning. */
export interface BackgroundWriting {
  done: Promise<void>;
  quiet(): boolean;
}

interface Sent {
  api: string;
  job: WriteJob;
  metaText: () => string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes a checkpoint in the background (`Saver.saveInBackground`) on the writer thread
 * (`writerThread.ts`): the event loop, which trains meanwhile, hands the job over (the values'
 * memory is transferred, not copied) and takes one reply, rather than a reaction and a
 * thread-pool wake-up for each of a save's twenty-odd file calls, and needs no turn until then
 * (`quiet`). The write itself is `writeCheckpoint`, the same calls in the same order as any save.
 * Until the thread has started (and where none can), the write is made on this thread with
 * thread-pool calls, as before the thread existed.
 */
export function writeInBackground(job: WriteJob, api: string, metaText: () => string): BackgroundWriting {
  const thread = writerThread(api);
  if (thread === undefined || !thread.ready) {
    return {
      done: writeCheckpoint(checkpointWrite(job, threadPool, metaText), api).then(() => {}),
      quiet: () => false,
    };
  }
  let settled = false;
  const done = new Promise<void>((resolve, reject) => thread.write({ api, job, metaText, resolve, reject }));
  return { done: done.finally(() => (settled = true)), quiet: () => !settled && thread.quiet() };
}

let writer: WriterThread | undefined;
let broken = false;

function writerThread(api: string): WriterThread | undefined {
  if (broken) return undefined;
  try {
    return (writer ??= new WriterThread());
  } catch (error) {
    broken = true;
    logger.warn(`${api}: no checkpoint writer thread (${(error as Error).message}); writing on the event loop.`);
    return undefined;
  }
}

/** One writer thread per process, started at the first background write; it keeps the process alive only while it writes. */
class WriterThread {
  readonly #worker: Worker;
  ready = false;
  readonly #sent = new Map<number, Sent>();
  #next = 0;
  /** Messages the thread has posted (it counts them in shared memory), and those received here. */
  readonly #posted = new Int32Array(new SharedArrayBuffer(4));
  #received = 0;
  #lost = false;

  constructor() {
    // `writerThread.ts` beside this module (`.js` once built; the TypeScript source, as in this
    // package's tests, through tsx, whose loader a worker does not inherit).
    const url = new URL(`./writerThread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    const options = { workerData: { posted: this.#posted.buffer } };
    const tsx = (): string => JSON.stringify(import.meta.resolve('tsx/esm/api'));
    this.#worker = url.pathname.endsWith('.ts')
      ? new Worker(`import(${tsx()}).then((t) => (t.register(), import(${JSON.stringify(url.href)})));`, {
          ...options,
          eval: true,
        })
      : new Worker(url, options);
    this.#worker.on('message', (m: FromWriter) => this.#receive(m));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the checkpoint writer thread exited (code ${code})`)));
    this.#worker.unref(); // after `on('message')`, which refs it
  }

  write(s: Sent): void {
    const id = this.#next++;
    this.#sent.set(id, s);
    if (this.#sent.size === 1) this.#worker.ref(); // the process waits for the write
    const transfer = [...new Set(s.job.tensors.map((t) => t.buffer as ArrayBuffer))];
    this.#worker.postMessage({ kind: 'write', id, job: s.job, api: s.api } satisfies ToWriter, transfer);
  }

  /** True when the thread has posted nothing unread: nothing can happen here until it posts (shared memory, no system call). */
  quiet(): boolean {
    return !this.#lost && Atomics.load(this.#posted, 0) === this.#received;
  }

  #receive(m: FromWriter): void {
    this.#received++;
    if (m.kind === 'ready') {
      this.ready = true;
      return;
    }
    const s = this.#sent.get(m.id);
    if (s === undefined) return;
    if (m.kind === 'meta') {
      let reply: ToWriter;
      try {
        reply = { kind: 'meta', id: m.id, text: s.metaText() };
      } catch (error) {
        reply = { kind: 'meta', id: m.id, error: sendError(error) };
      }
      this.#worker.postMessage(reply);
      return;
    }
    this.#sent.delete(m.id);
    if (this.#sent.size === 0) this.#worker.unref();
    for (const w of m.warnings) logger.warn(w);
    if (m.kind === 'done') return s.resolve();
    s.job.tensors = m.tensors; // handed back: the saver may write them again
    s.reject(receivedError(m.error));
  }

  /** The thread failed or exited: the writes handed over fail, later ones are made on this thread. */
  #fail(error: Error): void {
    if (this.#lost) return;
    [this.#lost, broken] = [true, true];
    if (writer === this) writer = undefined;
    const sent = [...this.#sent.values()];
    this.#sent.clear();
    for (const s of sent)
      s.reject(new UnknownError(`${s.api}: the checkpoint writer thread failed: ${error.message}`, { cause: error }));
    void this.#worker.terminate();
  }
}
