import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  AbortedError,
  ChiefSessionCreator,
  CheckpointSaverHook,
  Graph,
  MonitoredSession,
  RuntimeError,
  Saver,
  SecondOrStepTimer,
  TestClock,
  UnavailableError,
  ValueError,
  latestCheckpoint,
  monitoredTrainingSession,
  withSession,
  type CheckpointSaverListener,
} from '../../src/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { FakeHook, RaiseOnceAtCountN, gstepGraph } from '../helpers/tf.ts';

const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-train-'));
const metaFiles = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.meta'));

describe('MonitoredTrainingSession (MonitoredTrainingSessionTest)', () => {
  it('test_saving_restoring_checkpoint: a new session in the same directory continues from the saved step', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    await withSession(monitoredTrainingSession({ graph, checkpointDir: dir }), async (s) => {
      assert.equal(await s.run(gstep), 0);
      assert.equal(await s.run(doStep), 1);
      assert.equal(await s.run(doStep), 2);
    });
    await withSession(monitoredTrainingSession({ graph, checkpointDir: dir }), async (s) => {
      assert.equal(await s.run(gstep), 2);
    });
  });

  it('test_custom_saving: saveCheckpointSecs 0 turns the saver off; chief-only hooks get begin once', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const hook = new FakeHook();
    await withSession(
      monitoredTrainingSession({ graph, checkpointDir: dir, chiefOnlyHooks: [hook], saveCheckpointSecs: 0 }),
      async (s) => {
        await s.run(doStep);
      },
    );
    assert.equal(hook.callCounter.begin, 1);
    assert.equal(await latestCheckpoint(dir), undefined);
    await withSession(monitoredTrainingSession({ graph, checkpointDir: dir }), async (s) => {
      assert.equal(await s.run(gstep), 0);
    });
  });

  it('test_save_checkpoint_steps: a checkpoint every N steps', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    await withSession(
      monitoredTrainingSession({ graph, checkpointDir: dir, saveCheckpointSteps: 100, saveCheckpointSecs: null }),
      async (s) => {
        for (let i = 0; i < 100; i++) await s.run(doStep);
        assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-100'));
      },
    );
  });

  it('test_save_checkpoint_secs: on the injected clock', async () => {
    const dir = await tempDir();
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const sess = await monitoredTrainingSession({ graph, checkpointDir: dir, saveCheckpointSecs: 0.1, clock });
    await sess.run(doStep);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-0'));
    await clock.advance(100);
    await sess.run(doStep);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-2'));
    await sess.close();
  });

  it('test_save_graph_def: graph.pbtxt and one meta file after creation, two after one step', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const sess = await monitoredTrainingSession({ graph, checkpointDir: dir, saveCheckpointSteps: 1 });
    assert.ok((await readdir(dir)).includes('graph.pbtxt'));
    assert.equal((await metaFiles(dir)).length, 1);
    await sess.run(doStep);
    assert.equal((await metaFiles(dir)).length, 2);
    await sess.close();
  });

  it('test_save_graph_def_false: neither graph.pbtxt nor meta files', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const sess = await monitoredTrainingSession({
      graph,
      checkpointDir: dir,
      saveCheckpointSteps: 1,
      saveGraphDef: false,
    });
    await sess.run(doStep);
    assert.ok(!(await readdir(dir)).includes('graph.pbtxt'));
    assert.equal((await metaFiles(dir)).length, 0);
    await sess.close();
  });

  it('both checkpoint frequencies given: the timer refuses them, as TensorFlow does', async () => {
    const { graph } = gstepGraph();
    await rejectsWith(
      monitoredTrainingSession({
        graph,
        checkpointDir: await tempDir(),
        saveCheckpointSecs: 10,
        saveCheckpointSteps: 10,
      }),
      ValueError,
      /exactly one of `saveSteps` and `saveSecs`/,
    );
  });

  it('a worker gets only the user hooks and never restores or saves', async () => {
    const { graph } = gstepGraph();
    const dir = await tempDir();
    await rejectsWith(
      monitoredTrainingSession({ graph, isChief: false, checkpointDir: dir, maxWaitSecs: 0 }),
      Error,
      'Session was not ready',
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('test_recover_and_retry_on_aborted_error: recovery restores the latest checkpoint', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const hook = new RaiseOnceAtCountN(4, new AbortedError('preempted'));
    const saver = new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1 });
    await withSession(
      MonitoredSession.create({
        sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir }),
        hooks: [saver, hook],
        recovery: { backoff: { initialMs: 0 } },
      }),
      async (s) => {
        assert.equal(await s.run(gstep), 0);
        assert.equal(await s.run(doStep), 1);
        assert.equal(await s.run(doStep), 2);
        assert.equal(s.shouldStop(), false);
        assert.equal(await s.run(doStep), 3);
        assert.equal(hook.raised, true);
        assert.equal(await s.run(doStep), 4);
        assert.equal(s.snapshot.context.restored, true);
      },
    );
  });

  it('after an injected UnavailableError training continues from the latest checkpoint step', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const states: string[] = [];
    const sess = await monitoredTrainingSession({
      graph,
      checkpointDir: dir,
      saveCheckpointSteps: 5,
      hooks: [new RaiseOnceAtCountN(13, new UnavailableError('worker lost'))],
      recovery: { backoff: { initialMs: 0 } },
    });
    sess.actor.subscribe((s) => states.push(JSON.stringify(s.value)));
    for (let i = 0; i < 12; i++) await sess.run(doStep);
    // The 13th run fails; the recovered session restores step 10 (the last multiple of 5) and re-runs.
    assert.equal(await sess.run(doStep), 11);
    assert.equal(await sess.run(gstep), 11);
    assert.ok(states.includes('"restoring"'), states.join(' '));
    await sess.close();
  });
});

describe('CheckpointSaverHook', () => {
  it('validates its options', () => {
    assert.throws(
      () => new CheckpointSaverHook({ checkpointDir: '/tmp/x' }),
      /exactly one of `saveSteps` and `saveSecs` must be given/,
    );
    assert.throws(
      () =>
        new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: 1, saver: new Saver(), scaffold: {} as never }),
      /You cannot provide both saver and scaffold/,
    );
    assert.throws(() => new CheckpointSaverHook({ checkpointDir: '', saveSteps: 1 }), /`checkpointDir`/);
    assert.throws(() => new SecondOrStepTimer({ everySteps: -1 }), /`everySteps`.*got -1/);
  });

  it('needs a global step', async () => {
    const graph = new Graph();
    graph.variable(0, { name: 'v' });
    await rejectsWith(
      MonitoredSession.create({
        graph,
        hooks: [new CheckpointSaverHook({ checkpointDir: await tempDir(), saveSteps: 1 })],
      }),
      RuntimeError,
      'Global step should be created to use CheckpointSaverHook.',
    );
  });

  it('listeners are told around each save; afterSave returning true requests a stop', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const log: string[] = [];
    const listener: CheckpointSaverListener = {
      begin: () => void log.push('begin'),
      beforeSave: (_s, step) => void log.push(`before ${step}`),
      afterSave: (_s, step) => (log.push(`after ${step}`), step >= 2),
      end: (_s, step) => void log.push(`end ${step}`),
    };
    await withSession(
      MonitoredSession.create({
        graph,
        hooks: [new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 2, listeners: [listener] })],
      }),
      async (s) => {
        while (!s.shouldStop()) await s.run(doStep);
      },
    );
    assert.deepEqual(log, ['begin', 'before 0', 'after 0', 'before 2', 'after 2', 'end 2']);
  });

  it('a failing save is reported and training goes on; the next save tries again', async () => {
    const dir = await tempDir();
    const blocker = path.join(dir, 'blocked');
    await writeFile(blocker, 'a file where the checkpoint directory should be');
    const { graph, doStep } = gstepGraph();
    const failures: number[] = [];
    const hook = new CheckpointSaverHook({
      checkpointDir: path.join(blocker, 'ckpt'),
      saveSteps: 1,
      saveGraphDef: false,
      onSaveError: (_e, step) => void failures.push(step),
    });
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      assert.equal(await s.run(doStep), 1);
      assert.equal(await s.run(doStep), 2);
    });
    assert.deepEqual(failures, [0, 1, 2]);
    assert.equal(hook.saveErrors.length, 3);
    await chmod(dir, 0o700);
  });
});
