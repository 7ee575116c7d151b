import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Coordinator, OutOfRangeError, RuntimeError, TestClock, UnknownError, ValueError } from '../../src/index.ts';
import { deferred, rejectsWith, tick } from '../helpers/assert.ts';

describe('Coordinator', () => {
  it('requestStop sets the flag; the first error wins; later errors after the stop are dropped', () => {
    const coord = new Coordinator();
    assert.equal(coord.shouldStop(), false);
    const first = new UnknownError('first');
    coord.requestStop(first);
    coord.requestStop(new UnknownError('second'));
    assert.equal(coord.shouldStop(), true);
    assert.throws(
      () => coord.raiseRequestedException(),
      (e) => e === first,
    );
    // raise does not clear the error
    assert.throws(
      () => coord.raiseRequestedException(),
      (e) => e === first,
    );
  });

  it('an error after a plain stop request is dropped', () => {
    const coord = new Coordinator();
    coord.requestStop();
    coord.requestStop(new UnknownError('late'));
    assert.doesNotThrow(() => coord.raiseRequestedException());
  });

  it('clean-stop error types count as no error (OutOfRangeError by default; none in a monitored session)', () => {
    const coord = new Coordinator();
    coord.requestStop(new OutOfRangeError('end'));
    assert.equal(coord.hasException, false);
    const strict = new Coordinator({ cleanStopExceptionTypes: [] });
    strict.requestStop(new OutOfRangeError('end'));
    assert.equal(strict.hasException, true);
  });

  it('clearStop clears the flag, the joined state and the error', async () => {
    const coord = new Coordinator();
    coord.requestStop(new UnknownError('x'));
    await assert.rejects(coord.join());
    coord.clearStop();
    assert.equal(coord.shouldStop(), false);
    assert.equal(coord.joined, false);
    assert.doesNotThrow(() => coord.raiseRequestedException());
  });

  it('after join, reporting an error throws it at once in the caller', async () => {
    const coord = new Coordinator();
    coord.requestStop();
    await coord.join();
    const late = new UnknownError('late');
    assert.throws(
      () => coord.requestStop(late),
      (e) => e === late,
    );
  });

  it('waitForStop resolves true on stop, false after its timeout on the clock', async () => {
    const clock = new TestClock();
    const coord = new Coordinator({ clock });
    const timed = coord.waitForStop(100);
    await clock.advance(100);
    assert.equal(await timed, false);
    const waiting = coord.waitForStop(1000);
    coord.requestStop();
    assert.equal(await waiting, true);
    assert.equal(clock.pendingTimers, 0);
  });

  it('stopOnException reports and swallows what its body throws', async () => {
    const coord = new Coordinator();
    const boom = new UnknownError('boom');
    await coord.stopOnException(() => {
      throw boom;
    });
    assert.equal(coord.exception, boom);
  });

  it('join waits for registered tasks and re-raises the recorded error', async () => {
    const coord = new Coordinator();
    const task = deferred();
    coord.registerThread(task.promise, 't1');
    const joined = coord.join();
    let done = false;
    void joined.then(
      () => (done = true),
      () => (done = true),
    );
    await tick();
    assert.equal(done, false);
    task.resolve();
    assert.deepEqual(await joined, []);
    assert.equal(coord.joined, true);
  });

  it('join gives live tasks the grace period, then throws naming them (or only logs with ignoreLiveThreads)', async () => {
    const clock = new TestClock();
    const coord = new Coordinator({ clock });
    coord.registerThread(new Promise(() => {}), 'stuck_producer');
    coord.requestStop();
    const joining = rejectsWith(
      coord.join({ stopGracePeriodSecs: 5 }),
      RuntimeError,
      'Coordinator stopped with threads still running: stuck_producer',
    );
    await clock.advance(4999);
    await clock.advance(1);
    await joining;

    const lenient = new Coordinator({ clock });
    lenient.registerThread(new Promise(() => {}), 'stuck');
    lenient.requestStop();
    const result = lenient.join({ stopGracePeriodSecs: 1, ignoreLiveThreads: true });
    await clock.advance(1000);
    assert.deepEqual(await result, ['stuck']);
  });

  it('join prefers the recorded error over stragglers', async () => {
    const clock = new TestClock();
    const coord = new Coordinator({ clock });
    coord.registerThread(new Promise(() => {}), 'stuck');
    const boom = new UnknownError('boom');
    coord.requestStop(boom);
    const joining = assert.rejects(coord.join({ stopGracePeriodSecs: 1 }), (e) => e === boom);
    await clock.advance(1000);
    await joining;
  });

  it('validates its options', async () => {
    assert.throws(() => new Coordinator({ cleanStopExceptionTypes: [1 as never] }), TypeError);
    await rejectsWith(new Coordinator().join({ stopGracePeriodSecs: -1 }), ValueError, /`stopGracePeriodSecs`.*got -1/);
  });
});
