import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Graph,
  InvalidArgumentError,
  MonitoredSession,
  RuntimeError,
  Session,
  SessionRunHook,
  type SessionRunContext,
} from '../../src/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { coordinatorGrabber, gstepGraph } from '../helpers/tf.ts';

describe('the wrapped layers (WrappedSessionTest, CoordinatedSessionTest)', () => {
  it('test_properties: the monitored session exposes the graph of its session', async () => {
    const { graph } = gstepGraph();
    const sess = await MonitoredSession.create({ graph });
    assert.equal(sess.graph, graph);
    await sess.close();
    assert.equal(sess.graph, undefined);
  });

  it('test_should_stop_on_close / test_close_twice: a raw session closes twice without error', async () => {
    const { graph } = gstepGraph();
    const sess = await MonitoredSession.create({ graph });
    assert.equal(sess.shouldStop(), false);
    await sess.close();
    assert.equal(sess.shouldStop(), true);
    const raw = new Session(graph);
    await raw.close();
    await raw.close();
    assert.equal(raw.closed, true);
  });

  it('test_should_stop_uses_check_stop / delegates_to_wrapped_session: evaluated on every call, not cached', async () => {
    const { graph, doStep } = gstepGraph();
    class StopAtN extends SessionRunHook {
      #runs = 0;
      constructor(readonly n: number) {
        super();
      }
      override afterRun(ctx: SessionRunContext): void {
        if (++this.#runs >= this.n) ctx.requestStop();
      }
    }
    const sess = await MonitoredSession.create({ graph, hooks: [new StopAtN(4)] });
    const seen: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(sess.shouldStop());
      await sess.run(doStep);
    }
    seen.push(sess.shouldStop());
    assert.deepEqual(seen, [false, false, false, false, true]);
    await sess.close();
  });

  it('test_should_stop_on_coord_stop', async () => {
    const { graph } = gstepGraph();
    const grab = coordinatorGrabber();
    const sess = await MonitoredSession.create({ graph, hooks: [grab.hook] });
    assert.equal(sess.shouldStop(), false);
    grab.coord().requestStop();
    assert.equal(sess.shouldStop(), true);
    await sess.close();
  });

  it('test_dont_request_stop_on_exception_in_main_thread', async () => {
    const graph = new Graph();
    const c = graph.placeholder<number>('c');
    const v = graph.op('v', [c], (x) => x);
    const grab = coordinatorGrabber();
    const sess = await MonitoredSession.create({ graph, hooks: [grab.hook] });
    assert.equal(await sess.run(v, new Map([[c, 0]])), 0);
    assert.equal(await sess.run(v, new Map([[c, 1]])), 1);
    await rejectsWith(sess.run(3 as never), TypeError, 'invalid type');
    assert.equal(grab.coord().shouldStop(), false);
    assert.equal(sess.shouldStop(), false);
    await sess.close();
  });

  it('test_stop_threads_on_close_after_exception: registered tasks end at close', async () => {
    const { graph } = gstepGraph();
    const grab = coordinatorGrabber();
    const failing = graph.op('failing', [], () => {
      throw new InvalidArgumentError('assertion failed');
    });
    const sess = await MonitoredSession.create({ graph, hooks: [grab.hook] });
    const coord = grab.coord();
    const alive = [true, true, true];
    for (let i = 0; i < 3; i++) {
      coord.registerThread(
        (async () => {
          await coord.waitForStop();
          alive[i] = false;
        })(),
        `thread_${i}`,
      );
    }
    await rejectsWith(sess.run(failing), InvalidArgumentError);
    assert.deepEqual(alive, [true, true, true]);
    await sess.close();
    assert.deepEqual(alive, [false, false, false]);
    assert.equal(coord.shouldStop(), true);
    assert.equal(sess.shouldStop(), true);
  });

  it("test_propagates_exception_trace: the raw run's error object comes out unchanged", async () => {
    const graph = new Graph();
    let thrown: unknown;
    const failing = graph.op('assert_op', [], () => {
      thrown = new InvalidArgumentError('assertion failed');
      throw thrown;
    });
    const sess = await MonitoredSession.create({ graph });
    await assert.rejects(sess.run(failing), (e) => e === thrown);
    assert.equal((thrown as InvalidArgumentError).op, 'assert_op');
    await sess.close();
  });

  it('C1 through the monitored session: a run after a hook stop request is refused', async () => {
    const { graph, doStep } = gstepGraph();
    const stopper = { afterRun: (ctx: SessionRunContext) => ctx.requestStop() };
    const sess = await MonitoredSession.create({ graph, hooks: [stopper] });
    await sess.run(doStep);
    assert.equal(sess.shouldStop(), true);
    await rejectsWith(sess.run(doStep), RuntimeError, 'Run called even after should_stop requested.');
    await sess.close();
  });
});
