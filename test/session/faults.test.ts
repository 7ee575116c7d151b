/**
 * Lifecycle under faults (issue 11): each test failed on c615dcb and passes now.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  Graph,
  MonitoredSession,
  OutOfRangeError,
  QueueRunner,
  RuntimeError,
  Session,
  TestClock,
  UsageTypeError,
  addQueueRunner,
  type Hook,
  type SessionCreator,
} from '../../src/index.ts';
import { setLogger, silentLogger, type Logger } from '../../src/logger.ts';
import { deferred, tick } from '../helpers/assert.ts';
import { FakeHook, RaiseOnceAtCountN, gstepGraph } from '../helpers/tf.ts';

/** Collects warnings while `fn` runs. */
async function warnings(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const capture: Logger = { ...silentLogger, warn: (message: unknown) => void seen.push(String(message)) };
  setLogger(capture);
  try {
    await fn();
  } finally {
    setLogger(silentLogger);
  }
  return seen;
}

/** A creator whose first session is fine and whose later creations are up to `later`. */
function creator(graph: Graph, later: () => Promise<Session>): SessionCreator {
  let calls = 0;
  return {
    createSession: async () => {
      if (++calls === 1) {
        const s = new Session(graph);
        await s.run(graph.globalVariablesInitializer());
        return s;
      }
      return later();
    },
  };
}

describe('lifecycle under faults', () => {
  it('a run blocked on the input queue while another run loses the session is re-issued on the new session', async () => {
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const q = graph.fifoQueue<number>({ capacity: 2, name: 'input' });
    const gate = deferred();
    let produced = 0;
    const produce = graph.op('produce', [], async () => {
      await gate.promise;
      return produced++;
    });
    addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(produce)] }));
    const dequeue = q.dequeue();
    // Call 1 is the blocked dequeue's beforeRun, call 2 the step that loses the session.
    const sess = await MonitoredSession.create({
      graph,
      clock,
      stopGracePeriodSecs: 1,
      hooks: [new RaiseOnceAtCountN(2, new AbortedError('lost'))],
      recovery: { backoff: { initialMs: 0 } },
    });
    const blocked = sess.run(dequeue).then(
      (v) => ({ value: v }),
      (error: unknown) => ({ error }),
    );
    await tick();
    const step = sess.run(doStep);
    await tick();
    await clock.advance(1000); // the old producer, blocked in its op, is abandoned after the grace period
    assert.equal(await step, 1);
    assert.equal(sess.snapshot.context.recoveries, 1);
    gate.resolve();
    const outcome = await blocked;
    assert.ok(
      !('error' in outcome) || !(outcome.error instanceof OutOfRangeError),
      'the blocked run must not end as end of input',
    );
    assert.ok(
      'value' in outcome && typeof outcome.value === 'number',
      `the blocked run gets input from the new session: ${String(Object.values(outcome)[0])}`,
    );
    await sess.close();
  });

  it('close() finishes while a re-creation hangs', { timeout: 10_000 }, async () => {
    const { graph, doStep } = gstepGraph();
    const sess = await MonitoredSession.create({
      sessionCreator: creator(graph, () => new Promise<Session>(() => {})),
      hooks: [new RaiseOnceAtCountN(1, new AbortedError('lost'))],
      recovery: { backoff: { initialMs: 0 } },
    });
    const run = sess.run(doStep).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await tick();
    assert.equal(sess.snapshot.value, 'creating');
    await sess.close();
    assert.equal(sess.snapshot.value, 'closed');
    // The run waiting for the new session gets its own error: there will be no session.
    assert.ok((await run) instanceof AbortedError);
  });

  it(
    "close() finishes while the re-created session's afterCreateSession hangs, without telling hooks end",
    { timeout: 10_000 },
    async () => {
      const { graph, doStep } = gstepGraph();
      let created = 0;
      const hanging = new FakeHook();
      // Its afterCreateSession hangs on the re-created session.
      const hangs: Hook = { afterCreateSession: () => (++created === 2 ? new Promise<void>(() => {}) : undefined) };
      const sess = await MonitoredSession.create({
        graph,
        hooks: [hanging, hangs, new RaiseOnceAtCountN(1, new AbortedError('lost'))],
        recovery: { backoff: { initialMs: 0 } },
      });
      const run = sess.run(doStep).catch((error: unknown) => error);
      for (let i = 0; i < 20 && created < 2; i++) await tick();
      assert.deepEqual(sess.snapshot.value, { startingServices: 'notifyingHooks' });
      await sess.close();
      assert.equal(sess.snapshot.value, 'closed');
      assert.equal(hanging.callCounter.end, 0);
      assert.ok((await run) instanceof Error);
    },
  );

  it("each hook's end has its own time budget; every abandoned hook is logged", async () => {
    const clock = new TestClock();
    const { graph } = gstepGraph();
    const last = new FakeHook();
    const hung = (): Hook => ({ end: () => new Promise<void>(() => {}) });
    const sess = await MonitoredSession.create({ graph, clock, stopGracePeriodSecs: 2, hooks: [hung(), hung(), last] });
    const logged = await warnings(async () => {
      const closing = sess.close();
      await tick();
      await clock.advance(2000);
      await tick();
      await clock.advance(2000);
      await closing;
    });
    assert.equal(last.callCounter.end, 1, 'the hook after two hung ones still ends (a final checkpoint, say)');
    assert.deepEqual(sess.snapshot.context.abandonedHooks, ['hook:hook#0', 'hook:hook#1']);
    assert.equal(logged.filter((m) => /hook:hook#\d.*abandoned/.test(m)).length, 2);
  });

  it("a recovery never closes the raw session under a step's afterRun still using it", async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const gate = deferred();
    let afterRuns = 0;
    let readInAfterRun: unknown;
    const slowReader: Hook = {
      afterRun: async (context) => {
        if (++afterRuns !== 1) return;
        await gate.promise;
        readInAfterRun = await context.session.run(gstep);
      },
    };
    // beforeRun call 2 (the second, concurrent run) loses the session while run 1 is in afterRun.
    const sess = await MonitoredSession.create({
      graph,
      hooks: [slowReader, new RaiseOnceAtCountN(2, new AbortedError('lost'))],
      recovery: { backoff: { initialMs: 0 } },
    });
    const first = sess.run(doStep);
    await tick();
    const second = sess.run(doStep);
    for (let i = 0; i < 10; i++) await tick();
    gate.resolve();
    assert.equal(await first, 1);
    assert.equal(readInAfterRun, 1);
    await second;
    assert.equal(sess.snapshot.context.recoveries, 1);
    await sess.close();
  });

  it("asyncDispose without a prior close is an abort-close: hooks' end is skipped, endOnError told", async () => {
    const { graph, doStep } = gstepGraph();
    const hook = new FakeHook();
    const told: unknown[] = [];
    const onError: Hook = { endOnError: (_s, error) => void told.push(error) };
    const sess = await MonitoredSession.create({ graph, hooks: [hook, onError] });
    await sess.run(doStep);
    await sess[Symbol.asyncDispose]();
    assert.equal(hook.callCounter.end, 0, 'a checkpoint saver would publish the weights here');
    assert.equal(told.length, 1);
    assert.ok(told[0] instanceof RuntimeError);
    assert.equal(sess.snapshot.value, 'closed');
  });

  it('asyncDispose after close() is a no-op that settles when the close is done', async () => {
    const { graph } = gstepGraph();
    const hook = new FakeHook();
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    await sess.close();
    await sess[Symbol.asyncDispose]();
    assert.equal(hook.callCounter.end, 1);
  });

  it('a second concurrent close() and asyncDispose settle only when the close is done', async () => {
    const { graph } = gstepGraph();
    const gate = deferred();
    const sess = await MonitoredSession.create({ graph, hooks: [{ end: () => gate.promise }] });
    const settled: string[] = [];
    const first = sess.close().then(() => settled.push('first'));
    const second = sess.close().then(
      () => settled.push('second ok'),
      (e: unknown) => settled.push(`second: ${(e as Error).message}`),
    );
    const dispose = sess[Symbol.asyncDispose]().then(() => settled.push('dispose'));
    for (let i = 0; i < 10; i++) await tick();
    assert.deepEqual(settled, []);
    gate.resolve();
    await Promise.all([first, second, dispose]);
    assert.deepEqual(
      [...settled].sort((a: string, b: string) => a.localeCompare(b)),
      ['dispose', 'first', 'second: Session is already closed.'],
    );
  });

  it('new MonitoredSession(...) from plain JavaScript throws a typed error pointing to create()', () => {
    const { graph } = gstepGraph();
    const Ctor = MonitoredSession as unknown as new (options: unknown) => unknown;
    assert.throws(
      () => new Ctor({ graph }),
      (e) => e instanceof UsageTypeError && /MonitoredSession\.create\(/.test(e.message),
    );
  });
});
