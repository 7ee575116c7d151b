import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  Coordinator,
  InvalidArgumentError,
  MonitoredSession,
  QueueRunner,
  RuntimeError,
  TestClock,
  UnknownError,
  addQueueRunner,
  withSession,
  type Session,
} from '../../src/index.ts';
import { tick } from '../helpers/assert.ts';
import { FakeHook, RaiseOnceAtCountN, coordinatorGrabber, gstepGraph } from '../helpers/tf.ts';

describe('hooks as child actors and the close order', () => {
  it('each hook has a child actor per session, stopped after its end and replaced on recovery', async () => {
    const { graph, doStep } = gstepGraph();
    const hooks = [new FakeHook('a'), new FakeHook('b')];
    const sess = await MonitoredSession.create({
      graph,
      hooks: [...hooks, new RaiseOnceAtCountN(2, new AbortedError('x'))],
      recovery: { backoff: { initialMs: 0 } },
    });
    const ids = ['hook:FakeHook#0', 'hook:FakeHook#1', 'hook:RaiseOnceAtCountN#2'];
    assert.deepEqual(sess.snapshot.context.actors.hooks, ids);
    assert.ok(ids.every((id) => id in sess.snapshot.children));
    const firstActors = ids.map((id) => sess.snapshot.children[id as never]);
    await sess.run(doStep);
    await sess.run(doStep); // recovers
    assert.equal(sess.snapshot.context.generation, 2);
    assert.deepEqual(sess.snapshot.context.actors.hooks, ids);
    // The recovered session has new hook actors: none of the first session's is still a child.
    const children = Object.values(sess.snapshot.children);
    assert.ok(firstActors.every((actor) => actor !== undefined && !children.includes(actor)));
    await sess.close();
    assert.deepEqual(Object.keys(sess.snapshot.children), []);
    assert.deepEqual(
      hooks.map((h) => h.callCounter.end),
      [1, 1],
    );
  });

  it('close order: hooks end in list order, then producers stop, then the session closes', async () => {
    const { graph } = gstepGraph();
    const log: string[] = [];
    const q = graph.fifoQueue<number>({ capacity: 1, name: 'input' });
    const produce = graph.op('produce', [], () => 1);
    addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(produce)] }));
    let coord: Coordinator | undefined;
    let raw: Session | undefined;
    const watcher = {
      afterCreateSession: (s: Session, c: Coordinator) => {
        coord = c;
        raw = s;
      },
      end: () => {
        log.push(`watcher.end: coord stopped=${coord!.shouldStop()} session closed=${raw!.closed}`);
      },
    };
    const sess = await MonitoredSession.create({
      graph,
      hooks: [new FakeHook('first', log), watcher, new FakeHook('last', log)],
    });
    await tick();
    await sess.close();
    log.push(`after close: coord stopped=${coord!.shouldStop()} session closed=${raw!.closed}`);
    assert.deepEqual(log, [
      'first.begin',
      'last.begin',
      'first.afterCreateSession',
      'last.afterCreateSession',
      'first.end',
      'watcher.end: coord stopped=false session closed=false',
      'last.end',
      'after close: coord stopped=true session closed=true',
    ]);
  });

  it('G5: a failing end skips the later hooks, the session still closes, the error comes out of close', async () => {
    const { graph } = gstepGraph();
    const boom = new InvalidArgumentError('end failed');
    const later = new FakeHook('later');
    let raw: Session | undefined;
    const failing = {
      afterCreateSession: (s: Session) => void (raw = s),
      end: () => {
        throw boom;
      },
    };
    const sess = await MonitoredSession.create({ graph, hooks: [failing, later] });
    await assert.rejects(sess.close(), (e) => e === boom);
    assert.equal(later.callCounter.end, 0);
    assert.equal(raw!.closed, true);
    assert.equal(sess.snapshot.value, 'closed');
  });

  it('a hung end is abandoned after its own grace period and reported; later hooks still end; the close completes', async () => {
    const clock = new TestClock();
    const { graph } = gstepGraph();
    const after = new FakeHook('after');
    const hung = { end: () => new Promise<void>(() => {}) };
    const sess = await MonitoredSession.create({ graph, clock, stopGracePeriodSecs: 5, hooks: [hung, after] });
    let closed = false;
    const closing = sess.close().then(() => (closed = true));
    await clock.advance(4999);
    assert.equal(closed, false);
    await clock.advance(1);
    await closing;
    assert.deepEqual(sess.snapshot.context.abandonedHooks, ['hook:hook#0']);
    // Each hook's end has its own budget: the hung one does not cost the next its end (a final checkpoint, say).
    assert.equal(after.callCounter.end, 1);
  });

  it('at an error close every hook is told through endOnError, even after one of them fails there', async () => {
    const { graph } = gstepGraph();
    const told: string[] = [];
    const boom = new RuntimeError('body failed');
    const hooks = [
      {
        endOnError: () => {
          told.push('a');
          throw new Error('ignored');
        },
      },
      { endOnError: (_s: Session | undefined, e: unknown) => void told.push(`b:${(e as Error).message}`) },
    ];
    await assert.rejects(
      withSession(MonitoredSession.create({ graph, hooks }), () => {
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.deepEqual(told, ['a', 'b:body failed']);
  });

  it('close waits for a run in flight before the hooks end; a run started after close() is refused', async () => {
    const { graph, doStep } = gstepGraph();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      afterRun: async () => {
        await gate;
        log.push('afterRun');
      },
      end: () => void log.push('end'),
    };
    const sess = await MonitoredSession.create({ graph, hooks: [slow] });
    const inFlight = sess.run(doStep);
    await tick();
    const closing = sess.close().then(() => log.push('closed'));
    await assert.rejects(sess.run(doStep), /Session is already closed/);
    await tick();
    assert.deepEqual(log, []);
    release();
    assert.equal(await inFlight, 1);
    await closing;
    assert.deepEqual(log, ['afterRun', 'end', 'closed']);
  });

  it('a run that never finishes is abandoned after the grace period; close completes', async () => {
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const sess = await MonitoredSession.create({
      graph,
      clock,
      stopGracePeriodSecs: 3,
      hooks: [{ beforeRun: () => new Promise<undefined>(() => {}) }],
    });
    void sess.run(doStep).catch(() => {});
    await tick();
    let closed = false;
    const closing = sess.close().then(() => (closed = true));
    await clock.advance(2999);
    assert.equal(closed, false);
    await clock.advance(1);
    await closing;
    assert.equal(sess.snapshot.value, 'closed');
  });

  it('E11: a non-preemption error held by the old coordinator turns a recovery into that error', async () => {
    const { graph, doStep } = gstepGraph();
    const grab = coordinatorGrabber();
    const fatal = new UnknownError('fatal in a thread');
    const hooks = [
      grab.hook,
      {
        beforeRun: () => {
          grab.coord().requestStop(fatal);
          throw new AbortedError('preempted');
        },
      },
    ];
    const sess = await MonitoredSession.create({ graph, hooks, recovery: { backoff: { initialMs: 0 } } });
    await assert.rejects(sess.run(doStep), (e) => e === fatal);
    assert.equal(sess.snapshot.value, 'detached');
    await sess.close();
  });
});
