import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  InternalError,
  OutOfRangeError,
  UnavailableError,
  UnknownOptionError,
  UsageValueError,
} from '../../src/index.ts';
import {
  decideRecovery,
  failureInfo,
  nextAttempt,
  notifyRecovery,
  resolveRecoveryPolicy,
  type FailureInfo,
  type FailureSource,
  type RecoveryInfo,
} from '../../src/session/recovery.ts';

const SOURCES: FailureSource[] = ['creation', 'run', 'hook', 'stepFn', 'coordinator'];

describe('decideRecovery: the one recovery decision', () => {
  it('by default recovers lost sessions (Aborted/Unavailable) and hands back every other error, whatever the source', () => {
    const policy = resolveRecoveryPolicy({ backoff: { jitter: 0 } });
    for (const source of SOURCES) {
      assert.equal(decideRecovery(policy, failureInfo(policy, new AbortedError('a'), source, 1)).action, 'recover');
      assert.equal(decideRecovery(policy, failureInfo(policy, new UnavailableError('u'), source, 1)).action, 'recover');
      assert.equal(decideRecovery(policy, failureInfo(policy, new OutOfRangeError('o'), source, 1)).action, 'rethrow');
    }
  });

  it('consults retryOn for run, hook, step-function, coordinator and creation errors alike', () => {
    const seen: FailureInfo[] = [];
    const policy = resolveRecoveryPolicy({
      retryOn: (error, info) => {
        seen.push(info);
        return error instanceof InternalError;
      },
      backoff: { jitter: 0 },
    });
    for (const source of SOURCES) {
      assert.equal(
        decideRecovery(policy, failureInfo(policy, new InternalError('i'), source, 1)).action,
        'recover',
        source,
      );
      // A lost session that retryOn refuses is detached, not handed back on a dead session.
      assert.equal(
        decideRecovery(policy, failureInfo(policy, new AbortedError('a'), source, 1)).action,
        'detach',
        source,
      );
    }
    assert.deepEqual(
      seen.map((i) => i.source),
      SOURCES.flatMap((s) => [s, s]),
    );
    assert.ok(seen.every((i) => Object.isFrozen(i)));
  });

  it('gives retryOn a frozen { error, source, attemptNumber, retriesLeft }', () => {
    let got: FailureInfo | undefined;
    const policy = resolveRecoveryPolicy({ maxRetries: 5, retryOn: (_e, info) => ((got = info), true) });
    const error = new AbortedError('x');
    decideRecovery(policy, failureInfo(policy, error, 'hook', 2));
    assert.deepEqual(got, { error, source: 'hook', attemptNumber: 2, retriesLeft: 3 });
    assert.ok(Object.isFrozen(got));
  });

  it('refuses past maxRetries with detach, and a retryOn that throws counts as a refusal', () => {
    const policy = resolveRecoveryPolicy({ maxRetries: 2 });
    assert.equal(decideRecovery(policy, failureInfo(policy, new AbortedError('a'), 'run', 2)).action, 'recover');
    const third = decideRecovery(policy, failureInfo(policy, new AbortedError('a'), 'run', 3));
    assert.deepEqual([third.action, third.why], ['detach', 'maxRetries (2) reached']);
    const throwing = resolveRecoveryPolicy({
      retryOn: () => {
        throw new Error('bad predicate');
      },
    });
    assert.equal(decideRecovery(throwing, failureInfo(throwing, new AbortedError('a'), 'run', 1)).action, 'detach');
    assert.equal(decideRecovery(throwing, failureInfo(throwing, new InternalError('i'), 'run', 1)).action, 'rethrow');
  });

  it('returns the backoff delay of the attempt: none for the first after a success, then exponential, capped', () => {
    const policy = resolveRecoveryPolicy({ backoff: { initialMs: 10, factor: 3, maxMs: 100, jitter: 0 } });
    const delays = [1, 2, 3, 4, 5].map(
      (n) => decideRecovery(policy, failureInfo(policy, new AbortedError('a'), 'run', n)).delayMs,
    );
    assert.deepEqual(delays, [0, 10, 30, 90, 100]);
  });

  it('numbers attempts in one place: 1 after a success, else one more', () => {
    assert.equal(nextAttempt(0, true), 1);
    assert.equal(nextAttempt(4, true), 1);
    assert.equal(nextAttempt(4, false), 5);
  });

  it('notifyRecovery tells onRecovery the frozen info with the delay and swallows its errors', () => {
    const told: RecoveryInfo[] = [];
    const policy = resolveRecoveryPolicy({ onRecovery: (info) => void told.push(info) });
    notifyRecovery(policy, failureInfo(policy, 'e', 'coordinator', 1), 7);
    assert.deepEqual(told, [
      { error: 'e', source: 'coordinator', attemptNumber: 1, retriesLeft: Infinity, delayMs: 7 },
    ]);
    assert.ok(Object.isFrozen(told[0]));
    const throwing = resolveRecoveryPolicy({
      onRecovery: () => {
        throw new Error('x');
      },
    });
    assert.doesNotThrow(() => notifyRecovery(throwing, failureInfo(throwing, 'e', 'run', 1), 0));
  });

  it("validates the policy with this API's option names", () => {
    assert.throws(
      () => resolveRecoveryPolicy({ max_retries: 1 } as never),
      (e) => e instanceof UnknownOptionError && /did you mean `maxRetries`/.test(e.message),
    );
    assert.throws(() => resolveRecoveryPolicy({ backoff: { initial_ms: 1 } } as never), UnknownOptionError);
    assert.throws(
      () => resolveRecoveryPolicy({ maxRetries: -2 }),
      (e) => e instanceof UsageValueError && /`recovery.maxRetries`.*got -2/.test(e.message),
    );
    assert.throws(() => resolveRecoveryPolicy({ retryOn: 'yes' } as never), TypeError);
    assert.throws(() => resolveRecoveryPolicy({ backoff: { jitter: 2 } }), UsageValueError);
  });
});
