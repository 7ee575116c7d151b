import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  AbortedError,
  CancelledError,
  CheckpointSaverHook,
  ChiefSessionCreator,
  Coordinator,
  DeadlineExceededError,
  Graph,
  InvalidArgumentError,
  MonitoredSession,
  OutOfRangeError,
  RuntimeError,
  Saver,
  Scaffold,
  Session,
  SessionRunArgs,
  SessionRunHook,
  SingularMonitoredSession,
  StopAtStepHook,
  StopIteration,
  UnavailableError,
  UnknownError,
  ValueError,
  withSession,
  type MonitoredSessionOptions,
  type SessionCreator,
  type SessionRunContext,
  type SessionRunValues,
  type StepContext,
} from '../../src/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import {
  AbortAtNSession,
  CountingSessionCreator,
  coordinatorGrabber,
  FakeHook,
  RaiseOnceAtCountN,
  StopCoordinatorWithException,
  UncloseableSession,
  gstepGraph,
  settled,
} from '../helpers/tf.ts';

const fast = { recovery: { backoff: { initialMs: 0 } } } satisfies MonitoredSessionOptions;

/** Class equality, as TensorFlow's tests check it. */
function isExactly(cls: abstract new (...args: any[]) => unknown) {
  return (error: unknown) => (error as { constructor?: unknown })?.constructor === cls;
}

describe('MonitoredSession (MonitoredSessionTest)', () => {
  it('test_defaults: a graph alone gives a working session with a chief creator', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const sess = await MonitoredSession.create({ graph });
    assert.equal(await sess.run(gstep), 0);
    assert.equal(await sess.run(doStep), 1);
    assert.equal(sess.shouldStop(), false);
    await sess.close();
  });

  it('test_last_step: StopAtStepHook(lastStep) stops at that step, also after a restore', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const assign3 = graph.assign(gstep, 3);
    const hook = new StopAtStepHook({ lastStep: 3 });
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      assert.equal(s.shouldStop(), false);
      assert.equal(await s.run(gstep), 0);
      assert.equal(s.shouldStop(), false);
      assert.equal(await s.run(doStep), 1);
      assert.equal(s.shouldStop(), false);
      assert.equal(await s.run(doStep), 2);
      assert.equal(s.shouldStop(), false);
      assert.equal(await s.run(doStep), 3);
      assert.equal(s.shouldStop(), true);
    });
    // Restore from step 3 (via an init fn) with lastStep 5.
    graph.unsafeUnfinalize();
    const scaffold = new Scaffold({ initFn: async (_sc, session) => void (await session.run(assign3)) });
    const restored = new StopAtStepHook({ lastStep: 5 });
    await withSession(
      MonitoredSession.create({ sessionCreator: new ChiefSessionCreator({ graph, scaffold }), hooks: [restored] }),
      async (s) => {
        assert.equal(await s.run(gstep), 3);
        assert.equal(await s.run(doStep), 4);
        assert.equal(s.shouldStop(), false);
        assert.equal(await s.run(doStep), 5);
        assert.equal(s.shouldStop(), true);
      },
    );
  });

  it('a session created at (or past) its last step stops before any step runs (TensorFlow would run one more)', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const assign5 = graph.assign(gstep, 5);
    const scaffold = new Scaffold({ initFn: async (_sc, session) => void (await session.run(assign5)) });
    for (const lastStep of [5, 4]) {
      graph.unsafeUnfinalize();
      await withSession(
        MonitoredSession.create({
          sessionCreator: new ChiefSessionCreator({ graph, scaffold }),
          hooks: [new StopAtStepHook({ lastStep })],
        }),
        async (s) => {
          assert.equal(s.shouldStop(), true, `restored at 5 with lastStep ${lastStep}`);
          assert.equal(await s.run(gstep), 5);
        },
      );
    }
    graph.unsafeUnfinalize();
    await withSession(
      MonitoredSession.create({
        sessionCreator: new ChiefSessionCreator({ graph, scaffold }),
        hooks: [new StopAtStepHook({ lastStep: 6 })],
      }),
      async (s) => {
        assert.equal(s.shouldStop(), false);
        assert.equal(await s.run(doStep), 6);
        assert.equal(s.shouldStop(), true);
      },
    );
  });

  it('a run that ends while a recovery replaces its session returns once the new session runs: a loop never trains past its last step', async () => {
    // The session is lost (a producer's AbortedError, reported by the coordinator) while the run of
    // the last step is in flight; that run still succeeds and its StopAtStepHook asks to stop. The
    // recovery restores the checkpoint of that last step, and the loop must stop there.
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-stop-recovery-'));
    const { graph, gstep, doStep } = gstepGraph();
    const lastStep = 4;
    // `again`: the first new session is lost in turn, as it starts (a second recovery).
    class LoseSessionDuringLastStep extends SessionRunHook {
      #coord: Coordinator | undefined;
      #created = 0;
      constructor(readonly again: boolean) {
        super();
      }
      override afterCreateSession(_session: Session, coord: Coordinator): void {
        this.#coord = coord;
        if (this.again && ++this.#created === 2) coord.requestStop(new AbortedError('producer lost again'));
      }
      override beforeRun(): SessionRunArgs {
        return new SessionRunArgs(gstep);
      }
      override afterRun(_context: SessionRunContext, values: SessionRunValues<number>): void {
        if (values.results === lastStep - 1) this.#coord?.requestStop(new AbortedError('producer lost'));
      }
    }
    for (const again of [false, true]) {
      const saver = new Saver();
      const scaffold = new Scaffold({ saver });
      const steps: number[] = [];
      graph.unsafeUnfinalize();
      await withSession(
        MonitoredSession.create({
          sessionCreator: new ChiefSessionCreator({ graph, scaffold, checkpointDir: path.join(dir, `${again}`) }),
          hooks: [
            new LoseSessionDuringLastStep(again),
            new StopAtStepHook({ lastStep }),
            new CheckpointSaverHook({ checkpointDir: path.join(dir, `${again}`), saveSteps: 1, saver }),
          ],
          recovery: { backoff: { initialMs: 1 } },
        }),
        async (s) => {
          while (!s.shouldStop()) steps.push(await s.run(doStep));
          assert.equal(s.snapshot.context.recoveries, again ? 2 : 1);
        },
      );
      assert.deepEqual(steps, [1, 2, 3, 4], again ? 'lost twice' : 'lost once');
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('test_num_steps: StopAtStepHook(numSteps) counts from the step at creation', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const assign3 = graph.assign(gstep, 3);
    await withSession(MonitoredSession.create({ graph, hooks: [new StopAtStepHook({ numSteps: 3 })] }), async (s) => {
      assert.equal(await s.run(doStep), 1);
      assert.equal(await s.run(doStep), 2);
      assert.equal(s.shouldStop(), false);
      assert.equal(await s.run(doStep), 3);
      assert.equal(s.shouldStop(), true);
    });
    graph.unsafeUnfinalize();
    const scaffold = new Scaffold({ initFn: async (_sc, session) => void (await session.run(assign3)) });
    await withSession(
      MonitoredSession.create({
        sessionCreator: new ChiefSessionCreator({ graph, scaffold }),
        hooks: [new StopAtStepHook({ numSteps: 4 })],
      }),
      async (s) => {
        assert.equal(await s.run(doStep), 4);
        for (const expected of [5, 6]) {
          assert.equal(s.shouldStop(), false);
          assert.equal(await s.run(doStep), expected);
        }
        assert.equal(s.shouldStop(), false);
        assert.equal(await s.run(doStep), 7);
        assert.equal(s.shouldStop(), true);
      },
    );
  });

  it('test_retry_initialization_on_aborted_error: creation retries silently', async () => {
    const { graph, gstep } = gstepGraph();
    let aborts = 1;
    const scaffold = new Scaffold({
      initFn: () => {
        if (aborts-- > 0) throw new AbortedError('init aborted');
      },
    });
    await withSession(
      MonitoredSession.create({ sessionCreator: new ChiefSessionCreator({ graph, scaffold }), ...fast }),
      async (s) => {
        assert.equal(s.shouldStop(), false);
        assert.equal(await s.run(gstep), 0);
        assert.equal(s.snapshot.context.recoveries, 1);
        assert.equal(s.snapshot.context.history[0]!.source, 'creation');
      },
    );
  });

  for (const [name, cls] of [
    ['aborted', AbortedError],
    ['unavailable', UnavailableError],
  ] as const) {
    it(`test_retry_on_${name}_error: the failing run is re-issued on a fresh session`, async () => {
      const { graph, gstep, doStep } = gstepGraph();
      const hook = new RaiseOnceAtCountN(4, new cls('preempted'));
      await withSession(MonitoredSession.create({ graph, hooks: [hook], ...fast }), async (s) => {
        assert.equal(await s.run(gstep), 0);
        assert.equal(await s.run(doStep), 1);
        assert.equal(await s.run(doStep), 2);
        assert.equal(s.shouldStop(), false);
        // The 4th run raises; the session is recreated (re-initialized) and the run re-issued.
        assert.equal(await s.run(doStep), 1);
        assert.equal(hook.raised, true);
        assert.equal(await s.run(doStep), 2);
        assert.equal(s.shouldStop(), false);
      });
    });
  }

  for (const [name, cls] of [
    ['out_of_range', OutOfRangeError],
    ['stop_iteration', StopIteration],
  ] as const) {
    it(`test_exit_cleanly_on_${name}_exception: the with block exits without error`, async () => {
      const { graph, gstep, doStep } = gstepGraph();
      const hook = new RaiseOnceAtCountN(2, new cls('end of input'));
      const sess = await MonitoredSession.create({ graph, hooks: [hook] });
      let after = false;
      await withSession(sess, async (s) => {
        assert.equal(await s.run(gstep), 0);
        await s.run(doStep);
        after = true;
      });
      assert.equal(after, false);
      assert.equal(sess.shouldStop(), true);
    });
  }

  it('test_regular_exception_pass_through_run: a non-recoverable error escapes and closes the session', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const boom = new RuntimeError('regular exception');
    const hook = new RaiseOnceAtCountN(4, boom);
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    await assert.rejects(
      withSession(sess, async (s) => {
        assert.equal(await s.run(gstep), 0);
        await s.run(doStep);
        await s.run(doStep);
        assert.equal(s.shouldStop(), false);
        await s.run(doStep);
        assert.fail('not reached');
      }),
      (e) => e === boom,
    );
    assert.equal(hook.raised, true);
    assert.equal(sess.shouldStop(), true);
  });

  it('test_regular_exception_reported_to_coord_pass_through_run: runs go on; the error comes out at close', async () => {
    const { graph, gstep } = gstepGraph();
    const boom = new RuntimeError('a thread wants to stop');
    const grab = coordinatorGrabber();
    await assert.rejects(
      withSession(MonitoredSession.create({ graph, hooks: [grab.hook] }), async (s) => {
        assert.equal(await s.run(gstep), 0);
        grab.coord().requestStop(boom);
        assert.equal(await s.run(gstep), 0);
      }),
      (e) => e === boom,
    );
  });

  it('test_regular_exception_reported_to_coord_pass_through_return: shouldStop is true, close throws', async () => {
    const { graph, gstep } = gstepGraph();
    const boom = new RuntimeError('a thread wants to stop');
    const grab = coordinatorGrabber();
    await assert.rejects(
      withSession(MonitoredSession.create({ graph, hooks: [grab.hook] }), async (s) => {
        assert.equal(await s.run(gstep), 0);
        grab.coord().requestStop(boom);
        assert.equal(s.shouldStop(), true);
      }),
      (e) => e === boom,
    );
  });

  it('test_stop_cleanly_when_no_exception_in_with_body', async () => {
    const { graph, doStep } = gstepGraph();
    const hook = new FakeHook();
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    await withSession(sess, async (s) => {
      assert.equal(await s.run(doStep), 1);
      assert.equal(await s.run(doStep), 2);
      assert.equal(s.shouldStop(), false);
    });
    assert.equal(sess.shouldStop(), true);
    assert.equal(sess.snapshot.value, 'closed');
    assert.equal(hook.callCounter.end, 1);
    assert.equal(hook.lastEndInfo!.reason, 'finished');
    assert.equal(sess.graph, undefined);
    await rejectsWith(sess.run(doStep), RuntimeError, 'already closed');
  });

  it('test_raises_regular_exceptions_in_with_body: the error is seen outside and end is skipped', async () => {
    const { graph } = gstepGraph();
    const hook = new FakeHook();
    const boom = new RuntimeError('regular exception');
    const seen: unknown[] = [];
    const onError = { endOnError: (_s: Session | undefined, error: unknown) => void seen.push(error) };
    const sess = await MonitoredSession.create({ graph, hooks: [hook, onError] });
    await assert.rejects(
      withSession(sess, () => {
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(sess.shouldStop(), true);
    assert.equal(hook.callCounter.end, 0);
    assert.deepEqual(seen, [boom]);
  });

  it('test_graph_finalized_during_run_unfinalized_after_exit / test_keep_finalized_graph_as_finalized', async () => {
    const { graph } = gstepGraph();
    await withSession(MonitoredSession.create({ graph }), () => assert.equal(graph.finalized, true));
    assert.equal(graph.finalized, false);
    graph.finalize();
    // Scaffold defaults already exist in the collections, so a finalized graph works.
    await withSession(MonitoredSession.create({ graph }), () => assert.equal(graph.finalized, true));
    assert.equal(graph.finalized, true);
  });

  it('test_with_statement_and_close: close inside the block makes the exit throw "already closed"', async () => {
    const { graph } = gstepGraph();
    await rejectsWith(
      withSession(MonitoredSession.create({ graph }), (s) => s.close()),
      RuntimeError,
      'Session is already closed.',
    );
  });

  it('begin is called once, afterCreateSession once per session, end once at a clean close (B3)', async () => {
    const { graph, doStep } = gstepGraph();
    const hook = new FakeHook();
    const aborter = new RaiseOnceAtCountN(2, new AbortedError('x'));
    await withSession(MonitoredSession.create({ graph, hooks: [hook, aborter], ...fast }), async (s) => {
      await s.run(doStep);
      await s.run(doStep);
      await s.run(doStep);
    });
    assert.deepEqual(hook.callCounter, { begin: 1, afterCreateSession: 2, beforeRun: 4, afterRun: 3, end: 1 });
  });

  it('B5: a non-recoverable creation error rejects create; hooks got begin, not end', async () => {
    const { graph } = gstepGraph();
    const hook = new FakeHook();
    const scaffold = new Scaffold({
      initFn: () => {
        throw new InvalidArgumentError('bad init');
      },
    });
    await rejectsWith(
      MonitoredSession.create({ sessionCreator: new ChiefSessionCreator({ graph, scaffold }), hooks: [hook] }),
      InvalidArgumentError,
      'bad init',
    );
    assert.equal(hook.callCounter.begin, 1);
    assert.equal(hook.callCounter.end, 0);
    assert.equal(graph.finalized, true);
  });

  it('E2: errors that are not Aborted/Unavailable are never retried', async () => {
    for (const error of [
      new OutOfRangeError('o'),
      new CancelledError('c'),
      new UnknownError('u'),
      new DeadlineExceededError('d'),
      new RuntimeError('r'),
    ]) {
      const { graph, doStep } = gstepGraph();
      const sess = await MonitoredSession.create({ graph, hooks: [new RaiseOnceAtCountN(1, error)] });
      await assert.rejects(sess.run(doStep), (e) => e === error);
      assert.equal(sess.snapshot.context.recoveries, 0);
      await sess.close();
    }
  });

  it('recovery policy: maxRetries bounds consecutive recoveries and the error escapes', async () => {
    const { graph, doStep } = gstepGraph();
    const always = {
      beforeRun: () => {
        throw new UnavailableError('down');
      },
    };
    const seen: number[] = [];
    const sess = await MonitoredSession.create({
      graph,
      hooks: [always],
      recovery: { maxRetries: 2, backoff: { initialMs: 0 }, onRecovery: (info) => void seen.push(info.attemptNumber) },
    });
    await rejectsWith(sess.run(doStep), UnavailableError, 'down');
    assert.deepEqual(seen, [1, 2]);
    assert.equal(sess.snapshot.value, 'detached');
    await sess.close();
  });

  it('recovery policy: the first retry is immediate, then backoff grows exponentially; recorded in the snapshot', async () => {
    const { graph, doStep } = gstepGraph();
    let failures = 3;
    const flaky = {
      beforeRun: () => {
        if (failures-- > 0) throw new AbortedError('flaky');
      },
    };
    const sess = await MonitoredSession.create({
      graph,
      hooks: [flaky],
      recovery: { backoff: { initialMs: 1, factor: 3, jitter: 0 } },
    });
    assert.equal(await sess.run(doStep), 1);
    assert.deepEqual(
      sess.snapshot.context.history.map((r) => [r.attemptNumber, r.delayMs]),
      [
        [1, 0],
        [2, 1],
        [3, 3],
      ],
    );
    assert.equal(sess.snapshot.context.recoveries, 3);
    await sess.close();
  });

  it('validates its options with errors naming the option and the value', async () => {
    await rejectsWith(MonitoredSession.create({}), ValueError, '`graph`');
    await rejectsWith(
      MonitoredSession.create({ graph: new Graph(), stopGracePeriodSecs: -1 }),
      ValueError,
      /`stopGracePeriodSecs`.*got -1/,
    );
    await rejectsWith(
      MonitoredSession.create({ graph: new Graph(), hooks: [1 as never] }),
      TypeError,
      /`hooks\[0\]`.*got 1/,
    );
    await rejectsWith(
      MonitoredSession.create({ graph: new Graph(), recovery: { maxRetries: -2 } }),
      ValueError,
      /`recovery.maxRetries`.*got -2/,
    );
    await rejectsWith(MonitoredSession.create({ sessionCreator: {} as SessionCreator }), TypeError, /createSession/);
  });
});

describe('MonitoredSession step_fn (MonitoredSessionTest step_fn group)', () => {
  function vGraph() {
    const graph = new Graph();
    const c = graph.placeholder<number>('c');
    const v = graph.op('v', [c], (x) => x);
    const sideEffect = graph.variable(0, { name: 'side_effect' });
    return { graph, c, v, sideEffect };
  }

  it('test_step_fn_example: the result of runWithHooks comes back', async () => {
    const { graph, c, v } = vGraph();
    await withSession(MonitoredSession.create({ graph }), async (s) => {
      assert.equal(await s.runStepFn((ctx) => ctx.runWithHooks(v, new Map([[c, 3.2]]))), 3.2);
    });
  });

  it('test_step_function_stops: requestStop inside a with block exits cleanly', async () => {
    const { graph } = vGraph();
    const hook = new FakeHook();
    let after = false;
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      await s.runStepFn((ctx) => ctx.requestStop());
      after = true;
    });
    assert.equal(after, false);
    assert.equal(hook.lastEndInfo!.reason, 'stopRequested');
  });

  it('test_step_request_stop_without_a_with_block: StopIteration reaches the caller and shouldStop stays false', async () => {
    const { graph } = vGraph();
    const sess = await MonitoredSession.create({ graph });
    await assert.rejects(
      sess.runStepFn((ctx) => ctx.requestStop()),
      isExactly(StopIteration),
    );
    assert.equal(sess.shouldStop(), false);
    await sess.close();
  });

  it('test_step_request_stop_with_returning_a_type: runStepFn returns what the step function returns', async () => {
    const { graph } = vGraph();
    await withSession(MonitoredSession.create({ graph }), async (s) => {
      assert.equal(await s.runStepFn(() => 'a type'), 'a type');
    });
  });

  it('test_step_request_stop_in_a_loop: a loop of step functions ends cleanly at requestStop', async () => {
    const { graph, v, c } = vGraph();
    let steps = 0;
    await withSession(MonitoredSession.create({ graph }), async (s) => {
      while (!s.shouldStop()) {
        await s.runStepFn(async (ctx) => {
          if (++steps === 5) ctx.requestStop();
          return ctx.runWithHooks(v, new Map([[c, steps]]));
        });
      }
    });
    assert.equal(steps, 5);
  });

  it('test_step_fn_belongs_to_a_class: a bound one-argument method is accepted', async () => {
    const { graph } = vGraph();
    class Model {
      readonly factor = 2;
      step(_ctx: StepContext): number {
        return this.factor * 21;
      }
    }
    const model = new Model();
    await withSession(MonitoredSession.create({ graph }), async (s) => {
      assert.equal(await s.runStepFn(model.step.bind(model)), 42);
    });
  });

  it('test_step_with_extra_arguments: a step_fn with two parameters is refused before anything runs', async () => {
    const { graph } = vGraph();
    const sess = await MonitoredSession.create({ graph });
    await rejectsWith(
      sess.runStepFn(((_ctx: StepContext, _extra: unknown) => 1) as never),
      ValueError,
      '`step_fn` may either have one `step_context` argument',
    );
    await sess.close();
  });

  it('test_step_fn_with_hooks_and_request_stop: requestStop before runWithHooks calls no hook', async () => {
    const { graph, v, c } = vGraph();
    const hook = new FakeHook();
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      await s.runStepFn(async (ctx) => {
        ctx.requestStop();
        return ctx.runWithHooks(v, new Map([[c, 1]]));
      });
    });
    assert.equal(hook.callCounter.beforeRun, 0);
    assert.equal(hook.callCounter.afterRun, 0);
  });

  it("test_step_fn_with_hooks: a hook's fetch is merged with the step function's run", async () => {
    const graph = new Graph();
    const stage = graph.variable(1.5, { name: 'stage_1_0' });
    const bump = graph.op('stage_1_1', [stage], (x) => x * 2);
    const hook = new FakeHook();
    hook.request = new SessionRunArgs(stage);
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      assert.equal(await s.runStepFn((ctx) => ctx.runWithHooks(bump)), 3);
    });
    assert.equal(hook.lastRunValues!.results, 1.5);
  });

  it('test_recovers_from_an_exception_in_step_fn_after_hooks: the whole step_fn runs again', async () => {
    const { graph, v, c, sideEffect } = vGraph();
    const addSide = graph.assignAdd(sideEffect, 0.31);
    const init = graph.globalVariablesInitializer();
    let bodyRuns = 0;
    let aborted = false;
    const creator = new CountingSessionCreator(new UncloseableSession(graph));
    await withSession(MonitoredSession.create({ sessionCreator: creator, ...fast }), async (s) => {
      await s.run(init);
      const result = await s.runStepFn(async (ctx) => {
        bodyRuns++;
        await ctx.session.run(addSide);
        const value = await ctx.runWithHooks(v, new Map([[c, 3.2]]));
        if (!aborted) {
          aborted = true;
          throw new AbortedError('abort after hooks');
        }
        return value;
      });
      assert.equal(result, 3.2);
      assert.equal(bodyRuns, 2);
      // The side effect ran once per attempt, on the same (shared) state.
      assert.ok(Math.abs((await s.run(sideEffect)) - 0.62) < 1e-9);
      assert.equal(creator.numberOfSessionsCreated, 2);
    });
  });

  it('test_step_fn_exception_from_before_run: a hook aborting in beforeRun re-runs the step_fn', async () => {
    const { graph, v, c } = vGraph();
    let bodyRuns = 0;
    await withSession(
      MonitoredSession.create({ graph, hooks: [new RaiseOnceAtCountN(1, new AbortedError('x'))], ...fast }),
      async (s) => {
        const result = await s.runStepFn(async (ctx) => {
          bodyRuns++;
          return ctx.runWithHooks(v, new Map([[c, 1.3]]));
        });
        assert.equal(result, 1.3);
        assert.equal(bodyRuns, 2);
      },
    );
  });

  it('test_step_fn_doesnt_recover_when_it_wasnt_asked_to (Singular): AbortedError propagates', async () => {
    const { graph } = vGraph();
    const sess = await SingularMonitoredSession.create({ graph });
    await rejectsWith(
      sess.runStepFn(() => {
        throw new AbortedError('no recovery');
      }),
      AbortedError,
    );
    await sess.close();
  });
});

describe('SingularMonitoredSession (SingularMonitoredSessionTest)', () => {
  it("test_do_not_handle_aborted_error: a hook's AbortedError reaches the caller, also out of a with block", async () => {
    const { graph, doStep } = gstepGraph();
    const sess = await SingularMonitoredSession.create({
      graph,
      hooks: [new RaiseOnceAtCountN(1, new AbortedError('x'))],
    });
    await rejectsWith(sess.run(doStep), AbortedError);
    await sess.close();
    await assert.rejects(
      withSession(SingularMonitoredSession.create({ graph }), () => {
        throw new AbortedError('y');
      }),
      isExactly(AbortedError),
    );
  });

  it('test_raw_session: rawSession() is a real session, undefined after exit', async () => {
    const { graph, gstep } = gstepGraph();
    const sess = await SingularMonitoredSession.create({ graph });
    await withSession(sess, async (s) => {
      const raw = s.rawSession();
      assert.ok(raw instanceof Session);
      assert.equal(await raw.run(gstep), 0);
    });
    assert.equal(sess.rawSession(), undefined);
  });

  it('F3: shouldStop throws a stored coordinator error; G3: close propagates a stored AbortedError', async () => {
    const { graph } = gstepGraph();
    const grab = coordinatorGrabber();
    const sess = await SingularMonitoredSession.create({ graph, hooks: [grab.hook] });
    const aborted = new AbortedError('stored');
    grab.coord().requestStop(aborted);
    assert.throws(
      () => sess.shouldStop(),
      (e) => e === aborted,
    );
    await assert.rejects(sess.close(), (e) => e === aborted);
  });
});

describe('recovery through coordinators and creators (RecoverableSessionTest)', () => {
  function cGraph() {
    const graph = new Graph();
    const c = graph.placeholder<number>('c');
    return { graph, c, v: graph.op('v', [c], (x) => x) };
  }

  it('test_recovery: sessions that abort are replaced until the creator runs out', async () => {
    const { graph, c, v } = cGraph();
    const sessions = [new AbortAtNSession(graph, 1), new AbortAtNSession(graph, 2), new AbortAtNSession(graph, 3)];
    const creator: SessionCreator = {
      createSession: async () => {
        const next = sessions.shift();
        if (next === undefined) throw new Error('pop from empty list');
        return next;
      },
    };
    const sess = await MonitoredSession.create({ sessionCreator: creator, ...fast });
    assert.equal(sessions.length, 2);
    const run = (x: number) => sess.run(v, new Map([[c, x]]));
    assert.equal(await run(51), 51);
    assert.equal(sessions.length, 2);
    assert.equal(await run(42), 42);
    assert.equal(sessions.length, 1);
    assert.equal(await run(33), 33);
    assert.equal(await run(24), 24);
    assert.equal(sessions.length, 0);
    assert.equal(await run(11), 11);
    assert.equal(await run(0), 0);
    await assert.rejects(run(7), /pop from empty list/);
    await sess.close();
  });

  it('test_recovery_from_coordinator_exception: a stored AbortedError makes shouldStop false and recreates', async () => {
    const { graph, c, v } = cGraph();
    const creator = new CountingSessionCreator(new UncloseableSession(graph));
    const sess = await MonitoredSession.create({
      sessionCreator: creator,
      hooks: [new StopCoordinatorWithException(2)],
      ...fast,
    });
    assert.equal(creator.numberOfSessionsCreated, 1);
    assert.equal(await sess.run(v, new Map([[c, 51]])), 51);
    assert.equal(sess.shouldStop(), false);
    assert.equal(await sess.run(v, new Map([[c, 42]])), 42);
    assert.equal(sess.shouldStop(), false);
    await settled(sess);
    assert.equal(creator.numberOfSessionsCreated, 2);
    await sess.close();
  });

  it('test_recovery_from_non_preemption_in_coordinator: shouldStop is true, close throws the error', async () => {
    const { graph, c, v } = cGraph();
    const creator = new CountingSessionCreator(new UncloseableSession(graph));
    const error = new UnknownError('Some fatal error');
    const sess = await MonitoredSession.create({
      sessionCreator: creator,
      hooks: [new StopCoordinatorWithException(2, error)],
    });
    assert.equal(await sess.run(v, new Map([[c, 51]])), 51);
    assert.equal(await sess.run(v, new Map([[c, 42]])), 42);
    assert.equal(sess.shouldStop(), true);
    assert.equal(creator.numberOfSessionsCreated, 1);
    await assert.rejects(sess.close(), (e) => e === error);
  });

  it("test_recovery_from_session_getting_stuck: a CancelledError is replaced by the coordinator's AbortedError", async () => {
    const { graph, c, v } = cGraph();
    const creator = new CountingSessionCreator(new UncloseableSession(graph));
    let coordRef: import('../../src/index.ts').Coordinator | undefined;
    let afterRuns = 0;
    class StuckHook extends SessionRunHook {
      override afterCreateSession(_s: Session, coord: import('../../src/index.ts').Coordinator): void {
        coordRef = coord;
      }
      override afterRun(): void {
        afterRuns++;
        if (afterRuns === 2) {
          coordRef!.requestStop(new AbortedError('preempted while stuck'));
          throw new CancelledError('stuck');
        }
      }
    }
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [new StuckHook()], ...fast });
    assert.equal(await sess.run(v, new Map([[c, 51]])), 51);
    assert.equal(await sess.run(v, new Map([[c, 42]])), 42);
    assert.equal(sess.shouldStop(), false);
    assert.equal(creator.numberOfSessionsCreated, 2);
    await sess.close();
  });

  it('test_step_fn_recovery_from_coordinator_exception_when_run_hooks', async () => {
    const { graph, c, v } = cGraph();
    const creator = new CountingSessionCreator(new UncloseableSession(graph));
    const sess = await MonitoredSession.create({
      sessionCreator: creator,
      hooks: [new StopCoordinatorWithException(2)],
      ...fast,
    });
    const step = (x: number) => sess.runStepFn((ctx) => ctx.runWithHooks(v, new Map([[c, x]])));
    assert.equal(await step(51), 51);
    assert.equal(await step(42), 42);
    assert.equal(sess.shouldStop(), false);
    await settled(sess);
    assert.equal(creator.numberOfSessionsCreated, 2);
    await sess.close();
  });
});
