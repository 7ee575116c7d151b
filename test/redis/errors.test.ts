import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  SimpleError,
  SocketClosedUnexpectedlyError,
} from 'redis';
import {
  AbortedError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  OpError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
  UnknownError,
} from '../../src/index.ts';
import { mapRedisError } from '../../src/redis/errors.ts';

const reply = (message: string): ErrorReply => new SimpleError(message);

describe('mapRedisError: every client error becomes a typed OpError', () => {
  const cases: [string, unknown, abstract new (...args: any[]) => OpError][] = [
    ['our epoch check', reply('ABORTED The run generation of this job changed'), AbortedError],
    [
      'an uninitialized add',
      reply('FAILED_PRECONDITION Attempting to use uninitialized value v'),
      FailedPreconditionError,
    ],
    ['a full server', reply('OOM command not allowed when used memory > maxmemory'), ResourceExhaustedError],
    ['a server loading its data', reply('LOADING Redis is loading the dataset in memory'), UnavailableError],
    ['a replica', reply("READONLY You can't write against a read only replica."), UnavailableError],
    ['a busy script', reply('BUSY Redis is busy running a script'), UnavailableError],
    ['a missing password', reply('NOAUTH Authentication required.'), UnauthenticatedError],
    ['a wrong password', reply('WRONGPASS invalid username-password pair'), UnauthenticatedError],
    ['an ACL refusal', reply('NOPERM this user has no permissions'), PermissionDeniedError],
    ['any other reply', reply('ERR unknown command'), InternalError],
    ['a client offline', new ClientOfflineError(), UnavailableError],
    ['a closed client', new ClientClosedError(), UnavailableError],
    ['a dropped socket', new SocketClosedUnexpectedlyError(), UnavailableError],
    ['a connect timeout', new ConnectionTimeoutError(), UnavailableError],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), UnavailableError],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), UnavailableError],
    ['a timeout', Object.assign(new (class TimeoutError extends Error {})('Timeout')), DeadlineExceededError],
    ['anything else', new RangeError('odd'), UnknownError],
    ['a non-Error', 'a string', UnknownError],
  ];
  for (const [what, error, Cls] of cases) {
    it(`maps ${what} to ${Cls.name}`, () => {
      const mapped = mapRedisError(error, 'read of w');
      assert.ok(mapped instanceof Cls, `${String(error)} became ${mapped.name}`);
      if (error instanceof Error) assert.equal(mapped.cause, error);
    });
  }

  it('keeps the message of our own replies and names the operation in the others', () => {
    assert.equal(mapRedisError(reply('ABORTED gone'), 'read of w').message, 'gone');
    assert.match(mapRedisError(reply('OOM full'), 'write of w').message, /^write of w: Redis replied OOM full/);
  });

  it('leaves OpErrors as they are', () => {
    const error = new AbortedError('x');
    assert.equal(mapRedisError(error, 'y'), error);
  });
});
