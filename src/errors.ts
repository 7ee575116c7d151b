/**
 * The error taxonomy: TensorFlow's canonical status codes, one class per code, plus the
 * Python-level errors (`RuntimeError`, `ValueError`, `StopIteration`) that TensorFlow's
 * MonitoredSession raises and that its behaviour is specified in terms of.
 */
import { describeValue, errorOptions, messageText, readOptions, readSuggestion } from './describe.ts';

export { describeValue, messageText };

/** TensorFlow's canonical error codes (`tf.errors`), by name. */
export const ErrorCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the names of {@link ErrorCode}. */
export type ErrorCodeName = keyof typeof ErrorCode;

/** Options accepted by every {@link OpError} constructor. */
export interface OpErrorOptions {
  /** Name of the graph node whose execution failed. */
  op?: string | undefined;
  /** The underlying error, kept as the standard `Error.cause`. */
  cause?: unknown;
}

/**
 * Base class of every error raised by executing the dataflow graph (`tf.errors.OpError`).
 * @example
 * try { await sess.run(dequeue) } catch (e) { if (e instanceof OutOfRangeError) ... }
 */
export class OpError extends Error {
  /** The canonical code name, e.g. `'ABORTED'`. */
  readonly code: ErrorCodeName;
  /** The failing node's name, when the error came from a graph node. */
  declare readonly op?: string;

  constructor(code: ErrorCodeName, message: string, options: OpErrorOptions | null = {}) {
    const { op, cause } = readOptions(options);
    super(messageText(message), cause === undefined ? undefined : { cause });
    this.code = code;
    if (op !== undefined) this.op = op as string;
  }

  /** The numeric canonical code, e.g. 10 for `ABORTED`. */
  get errorCode(): number {
    return ErrorCode[this.code];
  }
}

Object.defineProperty(OpError.prototype, 'name', { value: 'OpError', writable: true, configurable: true });

type OpErrorClass = new (message: string, options?: OpErrorOptions) => OpError;

function defineOpError<N extends string>(name: N, code: ErrorCodeName): OpErrorClass {
  const cls = class extends OpError {
    constructor(message: string, options?: OpErrorOptions) {
      super(code, message, options);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

// The subclasses are declared one by one (not in a loop) so that each is a distinct nominal type
// that `instanceof` narrows and that shows its own name in stack traces and editors.

/** The operation was cancelled, e.g. a queue operation pending when its session closed. */
export class CancelledError extends defineOpError('CancelledError', 'CANCELLED') {}
/** An error of unknown kind, e.g. a non-Error value thrown by an op function. */
export class UnknownError extends defineOpError('UnknownError', 'UNKNOWN') {}
/** An argument was invalid: an unfed placeholder, an unknown fetch, a conflicting feed. */
export class InvalidArgumentError extends defineOpError('InvalidArgumentError', 'INVALID_ARGUMENT') {}
/** A deadline expired before the operation completed (`timeoutInMs`, `maxWaitSecs`). */
export class DeadlineExceededError extends defineOpError('DeadlineExceededError', 'DEADLINE_EXCEEDED') {}
/** A requested entity (file, checkpoint, node) was not found. */
export class NotFoundError extends defineOpError('NotFoundError', 'NOT_FOUND') {}
/** An entity that we attempted to create already exists. */
export class AlreadyExistsError extends defineOpError('AlreadyExistsError', 'ALREADY_EXISTS') {}
/** The caller does not have permission, e.g. an unwritable checkpoint directory. */
export class PermissionDeniedError extends defineOpError('PermissionDeniedError', 'PERMISSION_DENIED') {}
/** A resource has been exhausted (memory, quota). */
export class ResourceExhaustedError extends defineOpError('ResourceExhaustedError', 'RESOURCE_EXHAUSTED') {}
/** The system is not in a state required for the operation, e.g. reading an uninitialized variable. */
export class FailedPreconditionError extends defineOpError('FailedPreconditionError', 'FAILED_PRECONDITION') {}
/** The operation was aborted, typically by a concurrency conflict or preemption. Recoverable. */
export class AbortedError extends defineOpError('AbortedError', 'ABORTED') {}
/** The operation went past the valid range, e.g. dequeue from a closed, empty queue (end of input). */
export class OutOfRangeError extends defineOpError('OutOfRangeError', 'OUT_OF_RANGE') {}
/** The operation is not implemented or not supported. */
export class UnimplementedError extends defineOpError('UnimplementedError', 'UNIMPLEMENTED') {}
/** An internal invariant was broken. */
export class InternalError extends defineOpError('InternalError', 'INTERNAL') {}
/** The service is unavailable, e.g. its server closed. Recoverable. */
export class UnavailableError extends defineOpError('UnavailableError', 'UNAVAILABLE') {}
/** Unrecoverable data loss or corruption, e.g. a checkpoint failing its checksum. */
export class DataLossError extends defineOpError('DataLossError', 'DATA_LOSS') {}
/** The request lacks valid authentication credentials. */
export class UnauthenticatedError extends defineOpError('UnauthenticatedError', 'UNAUTHENTICATED') {}

/** The class for each canonical code, for code that maps a code back to its error. */
export const errorClassByCode: Readonly<Record<ErrorCodeName, OpErrorClass>> = Object.freeze({
  CANCELLED: CancelledError,
  UNKNOWN: UnknownError,
  INVALID_ARGUMENT: InvalidArgumentError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  NOT_FOUND: NotFoundError,
  ALREADY_EXISTS: AlreadyExistsError,
  PERMISSION_DENIED: PermissionDeniedError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  FAILED_PRECONDITION: FailedPreconditionError,
  ABORTED: AbortedError,
  OUT_OF_RANGE: OutOfRangeError,
  UNIMPLEMENTED: UnimplementedError,
  INTERNAL: InternalError,
  UNAVAILABLE: UnavailableError,
  DATA_LOSS: DataLossError,
  UNAUTHENTICATED: UnauthenticatedError,
});

function namedError(name: string): new (message?: string, options?: ErrorOptions) => Error {
  const cls = class extends Error {
    constructor(message?: string, options?: ErrorOptions) {
      super(messageText(message), errorOptions(options));
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

/**
 * Python's `StopIteration`: raised by `StepContext.requestStop()`; a `withSession` body that
 * throws exactly this class exits cleanly.
 */
export class StopIteration extends namedError('StopIteration') {}

/** Python's `RuntimeError`: a misuse of the API at run time, e.g. running a closed session. */
export class RuntimeError extends namedError('RuntimeError') {}

/** Python's `ValueError`: an argument with the right type and a wrong value, e.g. a bad option. */
export class ValueError extends namedError('ValueError') {}

/** Raised by `NanTensorHook` when the loss is NaN (TensorFlow's `NanLossDuringTrainingError`). */
export class NanLossDuringTrainingError extends RuntimeError {
  constructor(message = 'NaN loss during training.', options?: ErrorOptions) {
    super(message, options);
  }
}
Object.defineProperty(NanLossDuringTrainingError.prototype, 'name', {
  value: 'NanLossDuringTrainingError',
  writable: true,
  configurable: true,
});

/**
 * True for the errors that mean "the session was lost, recreate it and retry":
 * `AbortedError` and `UnavailableError` (and their subclasses).
 */
export function isRecoverable(error: unknown): boolean {
  try {
    return error instanceof AbortedError || error instanceof UnavailableError;
  } catch {
    return false; // a value that throws when inspected (a revoked proxy) is no session loss
  }
}

/** Sets the failing node's name on an `OpError` that does not carry one yet. @internal */
export function attachOp(error: OpError, op: string): OpError {
  if (error.op === undefined) (error as { op?: string }).op = op;
  return error;
}

const usageBrand = Symbol.for('monitored-session.UsageError');

/** What every misuse error carries: the API, the option and the value received. */
export interface UsageErrorFields {
  /** The public API that was misused, e.g. `'CheckpointSaverHook'` or `'Session.run'`. */
  readonly api: string;
  /** The option or argument at fault, in this API's own (camelCase) name, e.g. `'saveSteps'`. */
  readonly option: string;
  /** The value that was received. */
  readonly received: unknown;
}

/**
 * The family of errors for misuse of the API (a wrong type, a bad value, an unknown option).
 * `e instanceof UsageError` is true for {@link UsageTypeError}, {@link UsageValueError} and
 * {@link UnknownOptionError}; each keeps Python's class (`TypeError` / `ValueError`) as its base.
 * Graph-execution statuses such as `InvalidArgumentError` are not part of it.
 */
export abstract class UsageError extends Error implements UsageErrorFields {
  constructor(message?: string, options?: ErrorOptions) {
    super(messageText(message), errorOptions(options));
  }
  declare readonly api: string;
  declare readonly option: string;
  declare readonly received: unknown;
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[usageBrand] === true;
  }
}

function brandUsage(error: Error, given: UsageErrorFields | undefined): void {
  let fields: Partial<UsageErrorFields> = {};
  try {
    if (given !== null && typeof given === 'object')
      fields = { api: given.api, option: given.option, received: given.received };
  } catch {
    // unreadable fields (a revoked proxy): the error still carries its message
  }
  Object.defineProperty(error, usageBrand, { value: true });
  Object.defineProperty(error, 'api', { value: fields.api, enumerable: true });
  Object.defineProperty(error, 'option', { value: fields.option, enumerable: true });
  Object.defineProperty(error, 'received', { value: fields.received, enumerable: false });
}

/** Misuse: a value of the wrong type, e.g. a string where a function was expected. */
export class UsageTypeError extends TypeError implements UsageErrorFields {
  declare readonly api: string;
  declare readonly option: string;
  declare readonly received: unknown;
  constructor(message: string, fields: UsageErrorFields, options?: ErrorOptions) {
    super(messageText(message), errorOptions(options));
    brandUsage(this, fields);
  }
}
Object.defineProperty(UsageTypeError.prototype, 'name', {
  value: 'UsageTypeError',
  writable: true,
  configurable: true,
});

/** Misuse: a value of the right type and a wrong value, e.g. a negative step count. */
export class UsageValueError extends ValueError implements UsageErrorFields {
  declare readonly api: string;
  declare readonly option: string;
  declare readonly received: unknown;
  constructor(message: string, fields: UsageErrorFields, options?: ErrorOptions) {
    super(message, options);
    brandUsage(this, fields);
  }
}
Object.defineProperty(UsageValueError.prototype, 'name', {
  value: 'UsageValueError',
  writable: true,
  configurable: true,
});

/** Misuse: an option this API does not know, e.g. `checkpoint_dir` for `checkpointDir`. */
export class UnknownOptionError extends UsageValueError {
  /** The known option the unknown one probably meant, when one is close enough. */
  readonly suggestion: string | undefined;
  constructor(message: string, fields: UsageErrorFields & { suggestion?: string | undefined }) {
    super(message, fields);
    this.suggestion = readSuggestion(fields);
  }
}
Object.defineProperty(UnknownOptionError.prototype, 'name', {
  value: 'UnknownOptionError',
  writable: true,
  configurable: true,
});
