/** `recovery.retryOn` decides for every source, as its documentation says (issue 12). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InternalError, MonitoredSession, type RecoveryInfo } from '../../src/index.ts';
import { tick } from '../helpers/assert.ts';
import { coordinatorGrabber, gstepGraph } from '../helpers/tf.ts';

/** A policy that retries InternalError (not a lost session by default) and records what onRecovery was told. */
function policy() {
  const told: RecoveryInfo[] = [];
  const asked: string[] = [];
  return {
    told,
    asked,
    recovery: {
      backoff: { initialMs: 0 },
      retryOn: (error: unknown, info: { source: string }) => {
        asked.push(info.source);
        return error instanceof InternalError;
      },
      onRecovery: (info: RecoveryInfo) => void told.push(info),
    },
  };
}

describe('retryOn is consulted for every source', () => {
  it('run errors (a failing op)', async () => {
    const { graph, doStep } = gstepGraph();
    let failures = 1;
    const flaky = graph.op('flaky', [], () => {
      if (failures-- > 0) throw new InternalError('transient');
      return 7;
    });
    const p = policy();
    const sess = await MonitoredSession.create({ graph, recovery: p.recovery });
    assert.equal(await sess.run(flaky), 7);
    assert.deepEqual(
      p.told.map((i) => [i.source, i.attemptNumber]),
      [['run', 1]],
    );
    assert.equal(sess.snapshot.context.recoveries, 1);
    assert.equal(await sess.run(doStep), 1);
    await sess.close();
  });

  it('hook errors (beforeRun)', async () => {
    const { graph, doStep } = gstepGraph();
    let failures = 1;
    const hook = {
      beforeRun: () => {
        if (failures-- > 0) throw new InternalError('hook hiccup');
      },
    };
    const p = policy();
    const sess = await MonitoredSession.create({ graph, hooks: [hook], recovery: p.recovery });
    assert.equal(await sess.run(doStep), 1);
    assert.deepEqual(
      p.told.map((i) => i.source),
      ['hook'],
    );
    await sess.close();
  });

  it('step-function errors', async () => {
    const { graph, doStep } = gstepGraph();
    let failures = 1;
    const p = policy();
    const sess = await MonitoredSession.create({ graph, recovery: p.recovery });
    const result = await sess.runStepFn(async (ctx) => {
      if (failures-- > 0) throw new InternalError('step hiccup');
      return ctx.runWithHooks(doStep);
    });
    assert.equal(result, 1);
    assert.deepEqual(
      p.told.map((i) => i.source),
      ['stepFn'],
    );
    await sess.close();
  });

  it('coordinator errors (a background task stops it with an error)', async () => {
    const { graph, doStep } = gstepGraph();
    const grab = coordinatorGrabber();
    const p = policy();
    const sess = await MonitoredSession.create({ graph, hooks: [grab.hook], recovery: p.recovery });
    const first = grab.coord();
    first.requestStop(new InternalError('producer hiccup'));
    // The watcher reported it at once: a recovery is under way, so there is no reason to stop.
    assert.equal(sess.shouldStop(), false);
    assert.deepEqual(
      p.told.map((i) => i.source),
      ['coordinator'],
    );
    assert.equal(await sess.run(doStep), 1);
    assert.notEqual(grab.coord(), first);
    await tick();
    await sess.close();
  });

  it('a refused error is handed back with the session kept', async () => {
    const { graph, doStep } = gstepGraph();
    const boom = new RangeError('not retried');
    let failures = 1;
    const hook = {
      beforeRun: () => {
        if (failures-- > 0) throw boom;
      },
    };
    const p = policy();
    const sess = await MonitoredSession.create({ graph, hooks: [hook], recovery: p.recovery });
    await assert.rejects(sess.run(doStep), (e) => e === boom);
    assert.deepEqual(p.asked, ['hook']);
    assert.equal(sess.snapshot.value, 'running');
    assert.equal(sess.snapshot.context.recoveries, 0);
    assert.equal(await sess.run(doStep), 1);
    await sess.close();
  });
});
