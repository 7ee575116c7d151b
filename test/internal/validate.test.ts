import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownOptionError, UsageError, UsageTypeError, UsageValueError, ValueError } from '../../src/index.ts';
import { checkOptions, expect, is, isForever, optional, suggest } from '../../src/internal/validate.ts';
import { throwsWith } from '../helpers/assert.ts';

describe('validate', () => {
  it('names the API, the option and the value received', () => {
    const error = throwsWith(() => expect('CheckpointSaverHook', 'saveSteps', -1, is.positiveInteger), UsageValueError);
    assert.equal(error.message, 'CheckpointSaverHook: expected `saveSteps` to be a positive integer, got -1');
    assert.ok(error instanceof UsageError);
    assert.ok(error instanceof ValueError);
    assert.equal((error as UsageValueError).option, 'saveSteps');
    assert.equal((error as UsageValueError).received, -1);
  });

  it('reports a wrong type as a UsageTypeError, still a TypeError and a UsageError', () => {
    const error = throwsWith(() => expect('FeedFnHook', 'feedFn', 'x', is.function), UsageTypeError);
    assert.ok(error instanceof TypeError);
    assert.ok(error instanceof UsageError);
    assert.ok(!(new TypeError('x') instanceof UsageError));
  });

  it('accepts undefined for an optional option and checks anything else', () => {
    assert.equal(optional('A', 'b', undefined, is.positiveInteger), undefined);
    assert.equal(optional('A', 'b', 3, is.positiveInteger), 3);
    throwsWith(() => optional('A', 'b', 0, is.positiveInteger), UsageValueError, '`b`');
  });

  it('refuses unknown options and names the camelCase option meant', () => {
    const error = throwsWith(
      () => checkOptions('monitoredTrainingSession', { checkpoint_dir: '/tmp/x' }, ['checkpointDir', 'graph']),
      UnknownOptionError,
    );
    assert.match(error.message, /unknown option `checkpoint_dir`; did you mean `checkpointDir`\?/);
    assert.equal((error as UnknownOptionError).suggestion, 'checkpointDir');
    assert.equal(suggest('saveCheckpointStep', ['saveCheckpointSteps', 'saveCheckpointSecs']), 'saveCheckpointSteps');
    assert.equal(suggest('zzzzzz', ['graph']), undefined);
  });

  it('refuses a non-object options argument', () => {
    throwsWith(
      () => checkOptions('Saver', 5, ['maxToKeep']),
      UsageTypeError,
      'expected `options` to be an options object, got 5',
    );
    assert.deepEqual(checkOptions('Saver', undefined, ['maxToKeep']), {});
  });

  it('reads Infinity and delays past a timer range as forever', () => {
    assert.ok(isForever(Infinity));
    assert.ok(isForever(2 ** 31));
    assert.ok(!isForever(2 ** 31 - 1));
  });
});
