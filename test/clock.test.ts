import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TestClock,
  UsageTypeError,
  UsageValueError,
  setLogger,
  silentLogger,
  sleep,
  systemClock,
} from '../src/index.ts';
import { checkClock } from '../src/clock.ts';

describe('TestClock', () => {
  it('fires timers in due order only when time is advanced', async () => {
    const clock = new TestClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@200'), 200);
    clock.setTimeout(() => fired.push('a@100'), 100);
    clock.setTimeout(() => fired.push('c@200'), 200);
    await clock.advance(99);
    assert.deepEqual(fired, []);
    assert.equal(clock.now(), 1099);
    await clock.advance(101);
    assert.deepEqual(fired, ['a@100', 'b@200', 'c@200']);
    assert.equal(clock.now(), 1200);
    assert.equal(clock.pendingTimers, 0);
  });

  it('cleared timers never fire', async () => {
    const clock = new TestClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(handle);
    await clock.advance(100);
    assert.equal(fired, false);
  });

  it('runs promise continuations between timers, so chained sleeps complete in one advance', async () => {
    const clock = new TestClock();
    let done = false;
    const chain = (async () => {
      await sleep(clock, 10);
      await sleep(clock, 10);
      done = true;
    })();
    await clock.advance(20);
    assert.equal(done, true);
    await chain;
  });

  it('sleep rejects with the abort reason and clears its timer', async () => {
    const clock = new TestClock();
    const controller = new AbortController();
    const slept = sleep(clock, 1000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(slept, /stop/);
    assert.equal(clock.pendingTimers, 0);
  });

  it('a timer callback whose promise rejects fails advance with that error instead of an unhandled rejection', async () => {
    const clock = new TestClock();
    const boom = new Error('callback failed');
    let later = false;
    clock.setTimeout(() => Promise.reject(boom) as never, 10);
    clock.setTimeout(() => (later = true), 20);
    await assert.rejects(clock.advance(30), (e: unknown) => e === boom);
    assert.equal(later, true);
  });

  it('runAll drains every timer', async () => {
    const clock = new TestClock();
    const order: number[] = [];
    clock.setTimeout(() => {
      order.push(1);
      clock.setTimeout(() => order.push(3), 50);
    }, 10);
    clock.setTimeout(() => order.push(2), 30);
    await clock.runAll();
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(clock.now(), 60);
  });

  it('a "forever" delay (Infinity, 2^31 ms and above) schedules no timer; just below it still does', async () => {
    const clock = new TestClock();
    let fired = 0;
    for (const ms of [Infinity, 2 ** 31, 2 ** 50]) clock.setTimeout(() => fired++, ms);
    assert.equal(clock.pendingTimers, 0);
    clock.setTimeout(() => fired++, 2 ** 31 - 1);
    assert.equal(clock.pendingTimers, 1);
    await clock.runAll();
    assert.equal(fired, 1);
  });

  it('sleep(clock, Infinity) waits until aborted, with no timer', async () => {
    const clock = new TestClock();
    const controller = new AbortController();
    const slept = sleep(clock, Infinity, controller.signal);
    assert.equal(clock.pendingTimers, 0);
    controller.abort(new Error('enough'));
    await assert.rejects(slept, /enough/);
  });

  it('refuses bad arguments with UsageErrors naming them', async () => {
    const clock = new TestClock();
    assert.throws(() => new TestClock(Number.NaN), UsageValueError);
    assert.throws(() => clock.setTimeout('nope' as never, 1), /TestClock.setTimeout: expected `fn` to be a function/);
    assert.throws(() => clock.setTimeout(() => {}, '1' as never), UsageTypeError);
    await assert.rejects(clock.advance(-1), UsageValueError);
    await assert.rejects(clock.advance(Infinity), UsageValueError);
    assert.throws(() => sleep({} as never, 1), /sleep: expected `clock` to be a clock/);
    assert.throws(() => sleep(clock, 1, 'signal' as never), UsageTypeError);
  });

  it('a NaN delay means now, as for Node timers, and keeps timers ordered', async () => {
    const clock = new TestClock();
    const order: string[] = [];
    clock.setTimeout(() => order.push('later'), 5);
    clock.setTimeout(() => order.push('nan'), Number.NaN);
    await clock.runAll();
    assert.deepEqual(order, ['nan', 'later']);
  });
});

describe('systemClock', () => {
  it('schedules nothing for a forever delay, so it never fires after ~1 ms', async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), Infinity);
    await new Promise((resolve) => setTimeout(resolve, 15));
    assert.equal(fired, false);
    systemClock.clearTimeout(handle);
  });
});

describe('systemClock callbacks', () => {
  it('a callback whose promise rejects is logged, not left as an unhandled rejection', async () => {
    const seen: string[] = [];
    const previous = setLogger({ ...silentLogger, error: (m: string) => seen.push(m) });
    try {
      systemClock.setTimeout(() => Promise.reject(new Error('late failure')) as never, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      setLogger(previous);
    }
    assert.deepEqual(seen, ["A timer callback's promise rejected: late failure"]);
  });

  it('a callback that throws is logged, not left as an uncaught exception (found by the API fuzz)', async () => {
    const seen: string[] = [];
    const previous = setLogger({ ...silentLogger, error: (m: string) => seen.push(m) });
    try {
      systemClock.setTimeout(() => {
        throw new Error('sync failure');
      }, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      setLogger(previous);
    }
    assert.deepEqual(seen, ['A timer callback threw: sync failure']);
  });
});

describe('checkClock', () => {
  it('returns a valid clock, undefined when left out, and refuses anything else naming the API and option', () => {
    assert.equal(checkClock('X', 'clock', systemClock), systemClock);
    assert.equal(checkClock('X', 'clock', undefined), undefined);
    const e = (() => {
      try {
        checkClock('SummaryWriter', 'clock', { now: () => 0 });
      } catch (error) {
        return error as UsageTypeError;
      }
      return undefined;
    })();
    assert.ok(e instanceof UsageTypeError);
    assert.equal(e.option, 'clock');
    assert.match(e.message, /^SummaryWriter: expected `clock` to be a clock/);
  });

  it('systemClock.setTimeout refuses a non-function and a non-number delay (not Node ERR_INVALID_ARG_TYPE)', () => {
    assert.throws(() => systemClock.setTimeout({} as never, 1), UsageTypeError);
    assert.throws(() => systemClock.setTimeout(() => {}, 1n as never), /systemClock.setTimeout: expected `ms`/);
  });

  it('systemClock.clearTimeout ignores what is not a timer handle, even a revoked proxy', () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    for (const junk of [r.proxy, Symbol('s'), {}, 1n]) systemClock.clearTimeout(junk);
  });
});
