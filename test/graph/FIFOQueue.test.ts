import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError,
  DeadlineExceededError,
  Graph,
  InvalidArgumentError,
  OutOfRangeError,
  Session,
  TestClock,
  ValueError,
} from '../../src/index.ts';
import { rejectsWith, tick } from '../helpers/assert.ts';
import { queueTarget } from '../helpers/queueTarget.ts';

function setup(capacity = 2) {
  const g = new Graph();
  const x = g.placeholder<number>('x');
  const xs = g.placeholder<number[]>('xs');
  const q = g.fifoQueue<number>({ capacity, name: 'q' });
  return {
    g,
    q,
    sess: new Session(g, { target: queueTarget.target }),
    enqueue: q.enqueue(x),
    enqueueMany: q.enqueueMany(xs),
    dequeue: q.dequeue(),
    size: q.size(),
    close: q.close(),
    cancelClose: q.close({ cancelPendingEnqueues: true }),
  };
}

/** Observes whether a promise settled yet, without leaving it unhandled. */
function watch<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { settled: () => done, promise };
}

describe(`FIFOQueue${queueTarget.label}`, () => {
  it('keeps first-in first-out order and reports its size', async () => {
    const { sess, enqueue, dequeue, size } = setup(10);
    for (const v of [3, 1, 2]) await sess.run(enqueue, { x: v });
    assert.equal(await sess.run(size), 3);
    assert.deepEqual([await sess.run(dequeue), await sess.run(dequeue), await sess.run(dequeue)], [3, 1, 2]);
    assert.equal(await sess.run(size), 0);
  });

  it('names its nodes after the queue', () => {
    const { enqueue, dequeue, size, close } = setup();
    assert.deepEqual(
      [enqueue.name, dequeue.name, size.name, close.name],
      ['q_enqueue', 'q_dequeue', 'q_Size', 'q_Close'],
    );
  });

  it('a full queue makes enqueue wait until a dequeue makes room', async () => {
    const { sess, enqueue, dequeue, size } = setup(2);
    await sess.run(enqueue, { x: 1 });
    await sess.run(enqueue, { x: 2 });
    const blocked = watch(sess.run(enqueue, { x: 3 }));
    await tick();
    assert.equal(blocked.settled(), false);
    assert.equal(await sess.run(size), 2);
    assert.equal(await sess.run(dequeue), 1);
    await blocked.promise;
    assert.equal(await sess.run(size), 2);
    assert.equal(await sess.run(dequeue), 2);
    assert.equal(await sess.run(dequeue), 3);
  });

  it('an empty queue makes dequeue wait until an enqueue arrives', async () => {
    const { sess, enqueue, dequeue } = setup();
    const waiting = watch(sess.run(dequeue));
    await tick();
    assert.equal(waiting.settled(), false);
    await sess.run(enqueue, { x: 7 });
    assert.equal(await waiting.promise, 7);
  });

  it('enqueueMany and dequeueMany move arrays in order, also when larger than the capacity', async () => {
    const { q, sess, enqueueMany, dequeue } = setup(2);
    const many = q.dequeueMany(5);
    const taking = sess.run(many);
    await sess.run(enqueueMany, { xs: [1, 2, 3, 4, 5, 6] });
    assert.deepEqual(await taking, [1, 2, 3, 4, 5]);
    assert.equal(await sess.run(dequeue), 6);
  });

  it('dequeueMany validates n', async () => {
    const { g, q, sess } = setup();
    assert.throws(() => q.dequeueMany(-1), ValueError);
    const n = g.placeholder<number>('n');
    await rejectsWith(sess.run(q.dequeueMany(n), { n: 1.5 }), ValueError, /`n`.*got 1.5/);
    await rejectsWith(
      sess.run(q.enqueueMany(g.constant(3 as never)), null),
      ValueError,
      /`values` to be an array of elements, got 3/,
    );
    assert.deepEqual(await sess.run(q.dequeueMany(0)), []);
  });

  it('after close, remaining elements drain, then dequeue fails with OutOfRangeError', async () => {
    const { sess, enqueue, dequeue, close } = setup();
    await sess.run(enqueue, { x: 1 });
    await sess.run(close);
    assert.equal(await sess.run(dequeue), 1);
    const error = await rejectsWith(
      sess.run(dequeue),
      OutOfRangeError,
      "FIFOQueue 'q' is closed and has insufficient elements (requested 1, current size 0)",
    );
    assert.equal((error as OutOfRangeError).op, 'q_dequeue');
  });

  it('close wakes blocked dequeuers with OutOfRangeError', async () => {
    const { sess, dequeue, close } = setup();
    const waiting = sess.run(dequeue);
    await tick();
    await sess.run(close);
    await rejectsWith(waiting, OutOfRangeError);
  });

  it('enqueue to a closed queue fails with CancelledError', async () => {
    const { sess, enqueue, close } = setup();
    await sess.run(close);
    await rejectsWith(sess.run(enqueue, { x: 1 }), CancelledError, "FIFOQueue 'q' is closed.");
  });

  it('a pending enqueue still completes after a plain close, and is cancelled by cancelPendingEnqueues', async () => {
    const plain = setup(1);
    await plain.sess.run(plain.enqueue, { x: 1 });
    const pending = plain.sess.run(plain.enqueue, { x: 2 });
    await tick();
    await plain.sess.run(plain.close);
    assert.equal(await plain.sess.run(plain.dequeue), 1);
    await pending;
    assert.equal(await plain.sess.run(plain.dequeue), 2);

    const cancel = setup(1);
    await cancel.sess.run(cancel.enqueue, { x: 1 });
    const doomed = cancel.sess.run(cancel.enqueue, { x: 2 });
    await tick();
    await cancel.sess.run(cancel.cancelClose);
    await rejectsWith(doomed, CancelledError, 'Enqueue operation was cancelled');
    assert.equal(await cancel.sess.run(cancel.dequeue), 1);
    await rejectsWith(cancel.sess.run(cancel.dequeue), OutOfRangeError);
  });

  it('closing the session cancels its pending queue operations with CancelledError', async () => {
    const { sess, dequeue } = setup();
    const waiting = sess.run(dequeue);
    await tick();
    await sess.close();
    await rejectsWith(waiting, CancelledError, 'Session was closed');
  });

  it('a timed-out dequeue gives up its place and never takes a later element', async () => {
    const g = new Graph();
    const clock = new TestClock();
    const q = g.fifoQueue<number>({ capacity: 4, name: 'q' });
    const sess = new Session(g, { target: queueTarget.target, config: { clock } });
    const late = rejectsWith(sess.run(q.dequeue(), null, { timeoutInMs: 100 }), DeadlineExceededError);
    await clock.advance(100);
    await late;
    await sess.run(q.enqueue(g.constant(5)));
    assert.equal(await sess.run(q.size()), 1);
    assert.equal(await sess.run(q.dequeue()), 5);
  });

  it('when a run fails, its blocked dequeue is cancelled instead of consuming an element later', async () => {
    const g = new Graph();
    const q = g.fifoQueue<number>({ capacity: 4, name: 'q' });
    const failing = g.op('failing', [], async () => {
      await tick();
      throw new InvalidArgumentError('bad batch');
    });
    const sess = new Session(g, { target: queueTarget.target });
    await rejectsWith(sess.run([q.dequeue(), failing]), InvalidArgumentError, 'bad batch');
    await sess.run(q.enqueue(g.constant(1)));
    assert.equal(await sess.run(q.size()), 1);
  });

  it('one producer and one consumer move every element exactly once, in order, under back-pressure', async () => {
    const { sess, enqueue, dequeue, close } = setup(3);
    const n = 500;
    const producer = (async () => {
      for (let i = 0; i < n; i++) await sess.run(enqueue, { x: i });
      await sess.run(close);
    })();
    const got: number[] = [];
    for (;;) {
      try {
        got.push(await sess.run(dequeue));
      } catch (error) {
        assert.ok(error instanceof OutOfRangeError);
        break;
      }
    }
    await producer;
    assert.deepEqual(
      got,
      Array.from({ length: n }, (_, i) => i),
    );
  });
});
