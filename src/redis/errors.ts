import { ErrorReply } from 'redis';
import {
  AbortedError,
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  OpError,
  OutOfRangeError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
  UnknownError,
} from '../errors.ts';

/** Errors the client raises when the connection is gone or not there yet. */
const CONNECTION_ERRORS = new Set([
  'ClientOfflineError',
  'ClientClosedError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'DisconnectsClientError',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
]);

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Node's codes for a TLS peer certificate it does not trust (OpenSSL's verify errors, the host name check). */
const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|HOSTNAME_MISMATCH/;

/**
 * True for an error that waiting for the server will not mend: refused credentials, a missing
 * permission, an untrusted certificate. A connection that meets one fails at once with it,
 * where an unreachable server is `UnavailableError` (retried).
 * @internal
 */
export function isRefusal(error: OpError): boolean {
  return error instanceof UnauthenticatedError || error instanceof PermissionDeniedError;
}

/** Prefixes of the error replies our Lua scripts send, and of Redis' own replies, by class. */
const REPLY_PREFIXES: readonly [string, new (message: string, options?: { cause?: unknown }) => OpError][] = [
  ['ABORTED', AbortedError],
  ['FAILED_PRECONDITION', FailedPreconditionError],
  ['OUT_OF_RANGE', OutOfRangeError],
  ['CANCELLED', CancelledError],
  ['OOM', ResourceExhaustedError],
  ['LOADING', UnavailableError],
  ['READONLY', UnavailableError],
  ['MASTERDOWN', UnavailableError],
  ['TRYAGAIN', UnavailableError],
  ['CLUSTERDOWN', UnavailableError],
  ['BUSY', UnavailableError],
  ['NOAUTH', UnauthenticatedError],
  ['WRONGPASS', UnauthenticatedError],
  ['NOPERM', PermissionDeniedError],
];

/**
 * Maps anything the Redis client throws to the error taxonomy, so that no raw client error
 * escapes: connection loss, `LOADING` and `READONLY` are `UnavailableError` (the session
 * retries), a changed or missing run generation is `AbortedError`, `OOM` is
 * `ResourceExhaustedError`; what is left is `InternalError` (a reply) or `UnknownError`.
 * @internal
 */
export function mapRedisError(error: unknown, what: string): OpError {
  if (error instanceof OpError) return error;
  const name = (error as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ErrorReply) {
    for (const [prefix, Cls] of REPLY_PREFIXES) {
      if (message.startsWith(prefix)) {
        // Our own scripts' replies carry the whole message after the code.
        const own =
          Cls === AbortedError || Cls === FailedPreconditionError || Cls === OutOfRangeError || Cls === CancelledError;
        return new Cls(own ? message.slice(prefix.length + 1) : `${what}: Redis replied ${message}`, { cause: error });
      }
    }
    return new InternalError(`${what}: Redis replied ${message}`, { cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_TRUST.test(code)) {
    return new UnauthenticatedError(
      `${what}: the Redis server's TLS certificate is not trusted (${code}: ${message}); a private CA's certificate goes in NODE_EXTRA_CA_CERTS`,
      { cause: error },
    );
  }
  if (CONNECTION_ERRORS.has(name) || (typeof code === 'string' && CONNECTION_CODES.has(code))) {
    return new UnavailableError(`${what}: the Redis server is unreachable (${name || String(code)}: ${message})`, {
      cause: error,
    });
  }
  if (name === 'TimeoutError' || name === 'CommandTimeoutDuringMaintenanceError') {
    return new DeadlineExceededError(`${what}: ${message}`, { cause: error });
  }
  if (name === 'AbortError') return new CancelledError(`${what}: ${message}`, { cause: error });
  return new UnknownError(`${what}: ${message}`, { cause: error });
}
