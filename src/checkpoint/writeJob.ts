import { OpError, UnknownError, errorClassByCode, type ErrorCodeName } from '../errors.ts';
import type { FileCalls } from '../internal/fileCalls.ts';
import { indexFrom, type CheckpointWrite, type Dropped } from './commit.ts';
import type { TensorEntry } from './encoding.ts';
import type { ChecksumKind } from '../internal/checksum.ts';

/**
 * A checkpoint write as plain data, to hand to the writer thread (`writerThread.ts`): the
 * tensors are copies whose memory is transferred, the index is its text around the data's
 * checksum, and the meta graph's text is sent only when there is no meta file to link to.
 */
export interface WriteJob {
  prefix: string;
  tensors: ArrayBufferView[];
  entries: readonly TensorEntry[];
  checksum: ChecksumKind;
  indexHead: string;
  indexTail: string;
  meta: { linkFrom: string | undefined; text: string | undefined } | undefined;
  state: { file: string; text: string } | undefined;
  drop: readonly Dropped[];
}

/** The {@link CheckpointWrite} of `job`, its calls made by `calls`; `metaText` gives the meta graph's text when the job has none. */
export function checkpointWrite(
  job: WriteJob,
  calls: FileCalls,
  metaText: () => string | Promise<string>,
): CheckpointWrite {
  const meta = job.meta;
  return {
    prefix: job.prefix,
    tensors: job.tensors,
    entries: job.entries,
    checksum: job.checksum,
    index: indexFrom(job.indexHead, job.indexTail),
    meta: meta && { linkFrom: meta.linkFrom, text: () => meta.text ?? metaText() },
    state: job.state,
    drop: job.drop,
    calls,
  };
}

/** An error as it crosses between threads (its class is rebuilt on the other side). */
export interface SentError {
  message: string;
  /** The canonical code of an `OpError`. */
  code: ErrorCodeName | undefined;
  cause: { message: string; code?: string; syscall?: string; path?: string; errno?: number } | undefined;
}

export function sendError(error: unknown): SentError {
  const e = error as { message?: unknown; cause?: unknown } | null;
  const cause = (error instanceof OpError ? e?.cause : error) as NodeJS.ErrnoException | undefined;
  return {
    message: String(e?.message ?? error),
    code: error instanceof OpError ? error.code : undefined,
    cause:
      cause === undefined || cause === null
        ? undefined
        : {
            message: String(cause.message ?? cause),
            ...(typeof cause.code === 'string' ? { code: cause.code } : {}),
            ...(typeof cause.syscall === 'string' ? { syscall: cause.syscall } : {}),
            ...(typeof cause.path === 'string' ? { path: cause.path } : {}),
            ...(typeof cause.errno === 'number' ? { errno: cause.errno } : {}),
          },
  };
}

/** The error of the writer thread as its own class (`OpError` subclasses by code), else `UnknownError`. */
export function receivedError(sent: SentError): OpError {
  const cause = sent.cause && Object.assign(new Error(sent.cause.message), sent.cause);
  const cls = sent.code === undefined ? UnknownError : errorClassByCode[sent.code];
  return new cls(sent.message, cause === undefined ? {} : { cause });
}
