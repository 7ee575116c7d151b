import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  Graph,
  NanLossDuringTrainingError,
  StopIteration,
  UnknownOptionError,
  UsageTypeError,
} from '../../src/index.ts';
import { Tally, classify, signature } from './outcome.ts';
import { discoverTargets, isClass } from './targets.ts';
import { HostileError } from './values.ts';

describe('API fuzz harness', () => {
  it('classifies typed errors, propagated hostile errors and raw JS errors', () => {
    assert.equal(classify(new AbortedError('a')), 'typed');
    assert.equal(classify(new UsageTypeError('m', { api: 'a', option: 'o', received: 1 })), 'typed');
    assert.equal(classify(new UnknownOptionError('m', { api: 'a', option: 'o', received: 1 })), 'typed');
    assert.equal(classify(new StopIteration()), 'typed');
    assert.equal(classify(new NanLossDuringTrainingError()), 'typed');
    assert.equal(classify(new HostileError('x')), 'propagated');
    assert.equal(classify(new TypeError("Cannot read properties of undefined (reading 'x')")), 'raw');
    assert.equal(classify(new RangeError('Maximum call stack size exceeded')), 'raw');
    assert.equal(classify(Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' })), 'raw');
    assert.equal(classify('a string'), 'raw');
  });

  it('lists each distinct raw error once per API, ignoring the value received', () => {
    const tally = new Tally();
    tally.record('f', 'raw', '(1)', new TypeError('f: expected `x` to be a string, got 1'));
    tally.record('f', 'raw', '(2)', new TypeError('f: expected `x` to be a string, got {"a":2}'));
    tally.record('f', 'ok', '()');
    tally.record('g', 'hang', '()');
    assert.equal(tally.raws.size, 2);
    assert.equal(tally.total('raw'), 2);
    assert.equal(tally.total('calls'), 4);
    assert.match(signature(Object.assign(new TypeError('x'), { code: 'ERR_X' })), /^TypeError \[ERR_X\]/);
    assert.match(tally.report(), /totals: calls=4 ok=1 typed=0 propagated=0 raw=2 hang=1/);
  });

  it('discovers every exported class and function, statics and namespace members included', () => {
    const names = new Set(discoverTargets().map((t) => t.name));
    for (const expected of [
      'new Graph',
      'new Session',
      'registerTargetResolver',
      'MonitoredSession.create',
      'summary.scalar',
    ]) {
      assert.ok(names.has(expected), expected);
    }
    assert.ok(isClass(Graph));
    assert.equal(
      isClass(() => 1),
      false,
    );
  });
});
