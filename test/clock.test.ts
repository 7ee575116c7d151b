import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestClock, sleep } from '../src/index.ts';

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
});
