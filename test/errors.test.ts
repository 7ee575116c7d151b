import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeValue } from '../src/errors.ts';
import {
  AbortedError,
  CancelledError,
  DataLossError,
  ErrorCode,
  NanLossDuringTrainingError,
  OpError,
  OutOfRangeError,
  RuntimeError,
  StopIteration,
  UnknownOptionError,
  UsageError,
  UsageTypeError,
  UnavailableError,
  ValueError,
  errorClassByCode,
  isRecoverable,
  type ErrorCodeName,
} from '../src/index.ts';

describe('errors', () => {
  it('has one class per canonical code, each an OpError carrying its code', () => {
    const names = Object.keys(ErrorCode) as ErrorCodeName[];
    assert.equal(names.length, 16);
    for (const code of names) {
      const cls = errorClassByCode[code];
      const error = new cls('boom', { op: 'node_1' });
      assert.ok(error instanceof OpError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, code);
      assert.equal(error.errorCode, ErrorCode[code]);
      assert.equal(error.op, 'node_1');
      assert.equal(error.message, 'boom');
      assert.match(String(error), new RegExp(`^${cls.name}: boom`));
    }
  });

  it('keeps the cause and leaves op unset when none is given', () => {
    const cause = new Error('disk full');
    const error = new DataLossError('checkpoint is corrupt', { cause });
    assert.equal(error.cause, cause);
    assert.equal(error.op, undefined);
    assert.ok(!('op' in error));
  });

  it('classes are distinct: an AbortedError is not an UnavailableError', () => {
    assert.ok(!(new AbortedError('x') instanceof UnavailableError));
    assert.ok(!(new CancelledError('x') instanceof OutOfRangeError));
  });

  it('isRecoverable is true exactly for AbortedError and UnavailableError, subclasses included', () => {
    class Preempted extends UnavailableError {}
    assert.equal(isRecoverable(new AbortedError('a')), true);
    assert.equal(isRecoverable(new UnavailableError('u')), true);
    assert.equal(isRecoverable(new Preempted('p')), true);
    for (const code of Object.keys(ErrorCode) as ErrorCodeName[]) {
      if (code === 'ABORTED' || code === 'UNAVAILABLE') continue;
      assert.equal(isRecoverable(new errorClassByCode[code]('x')), false, code);
    }
    assert.equal(isRecoverable(new Error('x')), false);
    assert.equal(isRecoverable('aborted'), false);
    assert.equal(isRecoverable(undefined), false);
  });

  it('has the Python-level errors with their names', () => {
    assert.equal(new StopIteration('s').name, 'StopIteration');
    assert.equal(new RuntimeError('r').name, 'RuntimeError');
    assert.equal(new ValueError('v').name, 'ValueError');
    const nan = new NanLossDuringTrainingError();
    assert.equal(nan.message, 'NaN loss during training.');
    assert.equal(nan.name, 'NanLossDuringTrainingError');
    assert.ok(nan instanceof RuntimeError);
    assert.ok(!(new StopIteration('s') instanceof OpError));
  });

  it('constructors never throw raw errors on bad option arguments', () => {
    assert.equal(new AbortedError('a', null as never).op, undefined);
    assert.equal(new AbortedError('a', 5 as never).cause, undefined);
    const u = new UsageTypeError('m', undefined as never);
    assert.ok(u instanceof UsageError);
    assert.equal(u.api, undefined);
    assert.equal(new UnknownOptionError('m', undefined as never).suggestion, undefined);
  });

  it('describeValue never throws, even on hostile values', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    const fnTrap = new Proxy(() => 1, {
      get() {
        throw new Error('trap');
      },
    });
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const v of [revoked.proxy, trap, fnTrap, cyclic, { big: 1n }, Symbol('s'), Object.create(null)]) {
      assert.equal(typeof describeValue(v), 'string');
    }
  });

  it('error constructors take any message: a Symbol, a null-prototype object, a revoked proxy as options', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    assert.equal(new AbortedError(Symbol('s') as never).message, 'Symbol(s)');
    assert.equal(typeof new RuntimeError(Object.create(null) as never).message, 'string');
    assert.equal(new StopIteration(revoked.proxy as never).message, '[object]');
    assert.equal(new AbortedError('a', revoked.proxy as never).op, undefined);
    assert.ok(new UsageTypeError('m', revoked.proxy as never) instanceof UsageError);
  });
});
