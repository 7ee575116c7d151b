/**
 * The checkpoint writer thread (a `node:worker_threads` worker, see `backgroundWriter.ts`): runs
 * `writeCheckpoint` for the background writes of this process, each file call made on this
 * thread (`inline`, fsyncs and unlinks in the thread pool), and reports each write once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inline } from '../internal/fileCalls.ts';
import { setLogger } from '../logger.ts';
import { writeCheckpoint } from './commit.ts';
import { checkpointWrite, receivedError, sendError, type SentError, type WriteJob } from './writeJob.ts';

export type ToWriter =
  | { kind: 'write'; id: number; job: WriteJob; api: string }
  | { kind: 'meta'; id: number; text: string }
  | { kind: 'meta'; id: number; error: SentError };
export type FromWriter =
  | { kind: 'ready' }
  | { kind: 'meta'; id: number }
  | { kind: 'done'; id: number; warnings: string[] }
  | { kind: 'failed'; id: number; error: SentError; warnings: string[]; tensors: ArrayBufferView[] };

const port = parentPort!;
/** Messages posted so far, counted after each post: the main thread reads it without turning its event loop. */
const posted = new Int32Array((workerData as { posted: SharedArrayBuffer }).posted);
const post = (message: FromWriter, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
  Atomics.add(posted, 0, 1);
};
/** Warnings logged here (a dropped checkpoint that could not be deleted), passed on to the main thread's logger. */
let warnings: string[] = [];
const keep = (message: string): void => void warnings.push(message);
setLogger({ debug() {}, info() {}, warn: keep, error: keep });
const taken = (): string[] => {
  const out = warnings;
  warnings = [];
  return out;
};
/** Writes waiting for their meta graph's text (a hard link to the previous meta file failed). */
const metaWaits = new Map<number, (reply: Extract<ToWriter, { kind: 'meta' }>) => void>();

port.on('message', (message: ToWriter) => {
  if (message.kind === 'meta') {
    metaWaits.get(message.id)?.(message);
    metaWaits.delete(message.id);
    return;
  }
  const { id, job, api } = message;
  const metaText = (): Promise<string> =>
    new Promise((resolve, reject) => {
      metaWaits.set(id, (reply) => ('text' in reply ? resolve(reply.text) : reject(receivedError(reply.error))));
      post({ kind: 'meta', id });
    });
  writeCheckpoint(checkpointWrite(job, inline, metaText), api).then(
    () => post({ kind: 'done', id, warnings: taken() }),
    // A failed write hands its values back: the saver may write them again (a directory removed meanwhile).
    (error: unknown) =>
      post({ kind: 'failed', id, error: sendError(error), warnings: taken(), tensors: job.tensors }, [
        ...new Set(job.tensors.map((t) => t.buffer as ArrayBuffer)),
      ]),
  );
});
post({ kind: 'ready' });
