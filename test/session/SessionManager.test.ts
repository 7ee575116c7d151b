import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  DeadlineExceededError,
  Graph,
  MonitoredSession,
  RuntimeError,
  Saver,
  Scaffold,
  Server,
  SessionManager,
  TestClock,
  ValueError,
  WorkerSessionCreator,
  getCheckpointState,
  getOrCreateGlobalStep,
  latestCheckpoint,
  type SaverLike,
  type Session,
} from '../../src/index.ts';
import { rejectsWith, tick } from '../helpers/assert.ts';

function model() {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const local = graph.variable(0, { name: 'local_counter', local: true });
  return { graph, step, local, inc: graph.assignAdd(step, 1) };
}

/** A saver that records restores and sets the step to a value derived from the path. */
function recordingSaver(step: { name: string }, restored: string[]): SaverLike {
  return {
    save: async () => 'unused',
    restore: async (session: Session, prefix: string) => {
      restored.push(prefix);
      await session.store.writeVariable(step.name, Number(prefix.split('-').pop()));
    },
  };
}

describe('SessionManager.prepareSession', () => {
  it('runs init op and init fn when nothing was restored, then local init and the ready check', async () => {
    const { graph, step, local } = model();
    const scaffold = new Scaffold({
      initFn: async (_s, sess) => void (await sess.run(graph.assign(step, 5))),
    }).finalize(graph);
    graph.unsafeUnfinalize();
    const sm = new SessionManager({
      graph,
      localInitOp: scaffold.localInitOp,
      readyOp: scaffold.readyOp,
      readyForLocalInitOp: scaffold.readyForLocalInitOp,
    });
    const sess = await sm.prepareSession({ initOp: scaffold.initOp, initFn: scaffold.initFn });
    assert.equal(await sess.run(step), 5);
    assert.equal(await sess.run(local), 0);
  });

  it("fails with TensorFlow's messages when nothing can initialize or the model is not ready", async () => {
    const { graph, step } = model();
    await rejectsWith(
      new SessionManager({ graph }).prepareSession({}),
      RuntimeError,
      'Model is not initialized and no init_op or init_fn or local_init_op was given',
    );
    const readyOp = graph.reportUninitializedVariables([step]);
    const noop = graph.noOp();
    await rejectsWith(
      new SessionManager({ graph, readyOp }).prepareSession({ initOp: noop }),
      RuntimeError,
      /Init operations did not make model ready\..*Variables not initialized: global_step/,
    );
  });

  it('refuses ready_for_local_init_op without local_init_op, and both checkpoint options', async () => {
    const { graph } = model();
    assert.throws(() => new SessionManager({ graph, readyForLocalInitOp: graph.noOp() }), ValueError);
    await rejectsWith(
      new SessionManager({ graph }).prepareSession({
        saver: recordingSaver({ name: 'global_step' }, []),
        checkpointDir: '/x',
        checkpointFilenameWithPath: '/y',
      }),
      ValueError,
      'Can not provide both checkpoint_dir and checkpoint_filename_with_path.',
    );
  });

  it('restores the latest checkpoint of checkpointDir and skips the init op; a missing checkpoint falls back to init', async () => {
    const { graph, step } = model();
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-sm-'));
    const restored: string[] = [];
    const saver = recordingSaver(step, restored);
    const init = graph.globalVariablesInitializer();
    const sm = new SessionManager({ graph });
    const fresh = await sm.prepareSession({ saver, checkpointDir: dir, initOp: init });
    assert.equal(await fresh.run(step), 0);
    assert.deepEqual(restored, []);
    await writeFile(
      path.join(dir, 'checkpoint'),
      'model_checkpoint_path: "model.ckpt-7"\nall_model_checkpoint_paths: "model.ckpt-7"\n',
    );
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-7'));
    const sess = await sm.prepareSession({ saver, checkpointDir: dir, initOp: init });
    assert.equal(await sess.run(step), 7);
    assert.deepEqual(restored, [path.join(dir, 'model.ckpt-7')]);
  });

  it('a restore waits for a save of this process still in flight to the directory, and restores it', async () => {
    // A recovery that starts while a hook of the lost session is still saving step 2 must not
    // restore step 1 and then watch step 2 land: training would go back past the last checkpoint.
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-sm-inflight-'));
    const { graph, step, inc } = model();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const saver = new Saver({
      saveables: { slow: { saveState: async () => (held ? (await gate, {}) : {}), restoreState: () => {} } },
    });
    const sm = new SessionManager({ graph });
    const first = await sm.prepareSession({ initOp: graph.globalVariablesInitializer() });
    await first.run(inc);
    await saver.save(first, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    await first.run(inc);
    held = true;
    const saving = saver.save(first, path.join(dir, 'model.ckpt'), { globalStep: 2 });
    const restoring = sm.prepareSession({ saver, checkpointDir: dir });
    let restored = false;
    void restoring.then(() => (restored = true));
    await tick();
    assert.equal(restored, false, 'the restore did not wait for the save in flight');
    release();
    await saving;
    assert.equal(await (await restoring).run(step), 2);
  });

  it('an unparsable state file means no checkpoint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-sm-'));
    await writeFile(path.join(dir, 'checkpoint'), 'garbage without quotes');
    assert.equal(await getCheckpointState(dir), undefined);
  });
});

describe('ChiefSessionCreator and WorkerSessionCreator on a shared server', () => {
  it('a worker waits for the chief, checking every recoveryWaitSecs on the clock', async () => {
    const server = Server.createLocalServer();
    const clock = new TestClock();
    const chiefModel = model();
    const workerModel = model();
    const worker = new WorkerSessionCreator({
      graph: workerModel.graph,
      master: server.target,
      clock,
      maxWaitSecs: 3600,
    });
    let workerSession: Session | undefined;
    const waiting = worker.createSession().then((s) => (workerSession = s));
    await tick();
    assert.equal(workerSession, undefined);
    await clock.advance(30_000);
    assert.equal(workerSession, undefined);
    const chief = await new ChiefSessionCreator({ graph: chiefModel.graph, master: server.target }).createSession();
    await chief.run(chiefModel.inc);
    await clock.advance(30_000);
    await waiting;
    assert.equal(await workerSession!.run(workerModel.step), 1);
    await server.close();
  });

  it('a worker gives up with DeadlineExceededError after maxWaitSecs', async () => {
    const server = Server.createLocalServer();
    const clock = new TestClock();
    const worker = new WorkerSessionCreator({ graph: model().graph, master: server.target, clock, maxWaitSecs: 60 });
    const failing = rejectsWith(
      worker.createSession(),
      DeadlineExceededError,
      /Session was not ready after waiting 60 secs/,
    );
    await clock.advance(30_000);
    await clock.advance(30_000);
    await failing;
    await server.close();
  });

  it('maxWaitSecs below recoveryWaitSecs means exactly one attempt', async () => {
    const server = Server.createLocalServer();
    const worker = new WorkerSessionCreator({
      graph: model().graph,
      master: server.target,
      clock: new TestClock(),
      maxWaitSecs: 10,
    });
    await rejectsWith(worker.createSession(), DeadlineExceededError, 'after waiting 0 secs');
    await server.close();
  });

  it('a MonitoredSession with a worker creator shows waitingForChief until the chief is ready', async () => {
    const server = Server.createLocalServer();
    const clock = new TestClock();
    const workerModel = model();
    const states: string[] = [];
    const creating = MonitoredSession.create({
      sessionCreator: new WorkerSessionCreator({ graph: workerModel.graph, master: server.target, clock }),
      clock,
      inspect: (event) => {
        if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
        const value = JSON.stringify((event.snapshot as { value?: unknown }).value);
        if (states.at(-1) !== value) states.push(value);
      },
    });
    await tick();
    const chiefModel = model();
    const chief = await new ChiefSessionCreator({ graph: chiefModel.graph, master: server.target }).createSession();
    await chief.run(chiefModel.inc);
    await clock.advance(30_000);
    const sess = await creating;
    assert.equal(await sess.run(workerModel.step), 1);
    assert.deepEqual(states, [
      '"beginning"',
      '"creating"',
      '"initializing"',
      '"waitingForChief"',
      '"creating"',
      '"initializing"',
      '{"startingServices":"startingCoordinator"}',
      '"running"',
    ]);
    await sess.close();
    await server.close();
  });
});
