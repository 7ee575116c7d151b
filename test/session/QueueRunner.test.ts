import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Coordinator,
  Graph,
  MonitoredSession,
  OutOfRangeError,
  QueueRunner,
  Session,
  TestClock,
  UnknownError,
  ValueError,
  addQueueRunner,
  startQueueRunners,
  withSession,
  type Hook,
} from '../../src/index.ts';
import { rejectsWith, tick } from '../helpers/assert.ts';

/** A graph whose producer enqueues 0, 1, 2, ... until `limit`, then fails with OutOfRangeError. */
function countingInput(limit = Infinity, capacity = 4) {
  const graph = new Graph();
  const q = graph.fifoQueue<number>({ capacity, name: 'input' });
  let next = 0;
  const value = graph.op('next_value', [], () => {
    if (next >= limit) throw new OutOfRangeError('no more input');
    return next++;
  });
  const qr = new QueueRunner({ queue: q, enqueueOps: [q.enqueue(value)] });
  addQueueRunner(graph, qr);
  return { graph, q, qr, dequeue: q.dequeue(), produced: () => next };
}

describe('QueueRunner', () => {
  it('validates its options like TensorFlow', () => {
    const g = new Graph();
    const q = g.fifoQueue<number>({ capacity: 1 });
    assert.throws(() => new QueueRunner({ queue: q, enqueueOps: [] }), /Must provide queue and enqueue_ops/);
    assert.throws(() => new QueueRunner({ queue: q, enqueueOps: [1 as never] }), TypeError);
    assert.throws(
      () => new QueueRunner({ queue: q, enqueueOps: [q.enqueue(1)], queueClosedExceptionTypes: [] }),
      TypeError,
    );
    assert.throws(() => new QueueRunner({ queue: undefined as never, enqueueOps: [q.enqueue(1)] }), ValueError);
  });

  it('producers fill the queue in order; end of input closes it; the consumer then gets OutOfRangeError (F5)', async () => {
    const { graph, dequeue } = countingInput(10);
    const sess = new Session(graph);
    const coord = new Coordinator();
    const threads = startQueueRunners(sess, coord);
    assert.equal(threads.length, 2, 'one enqueue task and one close_on_stop task');
    const got: number[] = [];
    await assert.rejects(async () => {
      for (;;) got.push(await sess.run(dequeue));
    }, OutOfRangeError);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // End of input does not stop the coordinator.
    assert.equal(coord.shouldStop(), false);
    coord.requestStop();
    await coord.join({ stopGracePeriodSecs: 1 });
  });

  it('the coordinator stop cancels a producer blocked on a full queue', async () => {
    const { graph, produced } = countingInput(Infinity, 2);
    const sess = new Session(graph);
    const coord = new Coordinator();
    startQueueRunners(sess, coord);
    await tick();
    assert.equal(produced(), 3, 'two buffered, one blocked');
    coord.requestStop();
    assert.deepEqual(await coord.join({ stopGracePeriodSecs: 1 }), []);
  });

  it('other producer errors are reported to the coordinator', async () => {
    const graph = new Graph();
    const q = graph.fifoQueue<number>({ capacity: 2 });
    const boom = new UnknownError('producer broke');
    const failing = graph.op('failing', [], () => {
      throw boom;
    });
    addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(failing)] }));
    const coord = new Coordinator();
    startQueueRunners(new Session(graph), coord);
    await coord.waitForStop();
    assert.equal(coord.exception, boom);
    await assert.rejects(coord.join(), (e) => e === boom);
  });

  it('createThreads returns [] while the tasks of the same session still run', async () => {
    const { graph, qr } = countingInput(Infinity, 2);
    const sess = new Session(graph);
    const coord = new Coordinator();
    assert.equal(qr.createThreads(sess, { coord }).length, 2);
    assert.equal(qr.createThreads(sess, { coord }).length, 0);
    coord.requestStop();
    await coord.join();
  });

  it('startQueueRunners is a no-op for a monitored session and rejects non-sessions', async () => {
    const { graph } = countingInput(3);
    const sess = await MonitoredSession.create({ graph });
    assert.deepEqual(startQueueRunners(sess), []);
    assert.throws(() => startQueueRunners({}), TypeError);
    await sess.close();
  });
});

describe('queue runners inside a MonitoredSession', () => {
  it('producers are child actors of the lifecycle, started before afterCreateSession and stopped at close', async () => {
    const { graph, dequeue } = countingInput(Infinity, 4);
    const order: string[] = [];
    const hook: Hook = {
      afterCreateSession: () => void order.push('afterCreateSession'),
      end: () => void order.push('end'),
    };
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    const children = Object.keys(sess.snapshot.children);
    assert.deepEqual(children.filter((id) => id.startsWith('producer:')).length, 2);
    // Readable ids: an inspector shows which task each producer actor runs.
    assert.deepEqual(sess.snapshot.context.actors.producers, [
      'producer:QueueRunner(input)/enqueue_0#0',
      'producer:QueueRunner(input)/close_on_stop#1',
    ]);
    assert.deepEqual([await sess.run(dequeue), await sess.run(dequeue)], [0, 1]);
    await sess.close();
    assert.deepEqual(order, ['afterCreateSession', 'end']);
    assert.deepEqual(sess.snapshot.context.actors.producers, []);
    assert.deepEqual(Object.keys(sess.snapshot.children), []);
  });

  it('end of input in a with block closes cleanly with reason endOfInput', async () => {
    const { graph, dequeue } = countingInput(5);
    let reason: string | undefined;
    const sess = await MonitoredSession.create({ graph, hooks: [{ end: (_s, info) => void (reason = info.reason) }] });
    const got: number[] = [];
    await withSession(sess, async (s) => {
      while (!s.shouldStop()) got.push(await s.run(dequeue));
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal(reason, 'endOfInput');
  });

  it('a producer that ignores the stop is abandoned after stopGracePeriodSecs and reported, never a hang', async () => {
    const clock = new TestClock();
    const graph = new Graph();
    const q = graph.fifoQueue<number>({ capacity: 1, name: 'stuck' });
    let entered = 0;
    const hang = graph.op('hang', [], () => {
      entered++;
      return new Promise<number>(() => {});
    });
    addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(hang)] }));
    const sess = await MonitoredSession.create({ graph, clock, stopGracePeriodSecs: 30 });
    await tick();
    assert.equal(entered, 1);
    let closed = false;
    const closing = sess.close().then(() => (closed = true));
    await clock.advance(29_999);
    assert.equal(closed, false);
    await clock.advance(1);
    await closing;
    assert.equal(sess.snapshot.value, 'closed');
    assert.deepEqual(sess.snapshot.context.abandoned, ['QueueRunner(stuck)/enqueue_0']);
  });

  it('a producer error is raised at close (D4)', async () => {
    const graph = new Graph();
    const q = graph.fifoQueue<number>({ capacity: 2 });
    const boom = new UnknownError('producer broke');
    addQueueRunner(
      graph,
      new QueueRunner({
        queue: q,
        enqueueOps: [
          q.enqueue(
            graph.op('failing', [], () => {
              throw boom;
            }),
          ),
        ],
      }),
    );
    const sess = await MonitoredSession.create({ graph });
    await tick();
    assert.equal(sess.shouldStop(), true);
    await assert.rejects(sess.close(), (e) => e === boom);
    await rejectsWith(sess.close(), Error, 'already closed');
  });
});
