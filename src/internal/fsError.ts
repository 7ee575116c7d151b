import { DataLossError, FailedPreconditionError, NotFoundError, OpError, PermissionDeniedError, ResourceExhaustedError, UnknownError } from '../errors.ts';

/**
 * Maps a file system error to the canonical error class, naming the operation and path:
 * `EACCES`/`EPERM`/`EROFS` are `PermissionDeniedError`, a full disk `ResourceExhaustedError`, a
 * missing path `NotFoundError`, a symbolic link loop (`ELOOP`) or a path of the wrong kind
 * (`EISDIR`, a FIFO) `FailedPreconditionError`.
 */
export function fsError(api: string, action: string, file: string, error: unknown): OpError {
  if (error instanceof OpError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = `${api}: cannot ${action} '${file}': ${(error as Error)?.message ?? String(error)}`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new PermissionDeniedError(message, { cause: error });
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EMFILE' || code === 'ENFILE') return new ResourceExhaustedError(message, { cause: error });
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NotFoundError(message, { cause: error });
  if (code === 'ELOOP' || code === 'EISDIR' || code === 'ERR_FS_EISDIR' || code === 'ENAMETOOLONG' || code === 'ENXIO') {
    return new FailedPreconditionError(message, { cause: error });
  }
  return new UnknownError(message, { cause: error });
}

/**
 * For a file that is part of a checkpoint being read: a file that cannot be what it should be
 * (a directory, a FIFO, a symbolic link loop) makes the checkpoint unusable, a `DataLossError`,
 * so that restore falls back to an older one. Permission and resource errors stay what they are.
 */
export function unusableFile(error: OpError): OpError {
  if (error instanceof FailedPreconditionError) return new DataLossError(error.message, { cause: error.cause });
  return error;
}
