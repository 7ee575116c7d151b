import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  AbortedError,
  CheckpointSaverHook,
  ChiefSessionCreator,
  MonitoredSession,
  Saver,
  Scaffold,
  Session,
  TestClock,
  UsageTypeError,
  latestCheckpoint,
  monitoredTrainingSession,
  readSaveableStates,
  setLogger,
  silentLogger,
  withSession,
  type CheckpointSaverListener,
} from '../../src/index.ts';
import { trackWrite } from '../../src/checkpoint/pendingWrites.ts';
import { rejectsWith, throwsWith, tick } from '../helpers/assert.ts';
import { RaiseOnceAtCountN, gstepGraph } from '../helpers/tf.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-async-ckpt-'));
  dirs.push(dir);
  return dir;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

/** Settles within a few turns of the event loop? */
async function settlesSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20 && !done; i++) await tick();
  return done;
}

/** A real Saver whose background writes are reported only when the test releases them, in order. */
function gatedSaver() {
  const saver = new Saver();
  const gates: { step: number; release: () => void; written: Promise<string> }[] = [];
  const gated = {
    save: saver.save.bind(saver),
    restore: saver.restore.bind(saver),
    recoverLastCheckpoints: saver.recoverLastCheckpoints.bind(saver),
    async saveInBackground(...args: Parameters<Saver['saveInBackground']>) {
      const { prefix, written } = await saver.saveInBackground(...args);
      const gate = deferred();
      const reported = gate.promise.then(() => written);
      gates.push({ step: args[2]?.globalStep as number, release: () => gate.resolve(), written: reported });
      return { prefix, written: reported };
    },
  };
  return { saver, gated, gates };
}

/** The synchronous `node:fs` calls `work` makes (those that would block the event loop), by name. */
async function countSyncCalls(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const names = ['openSync', 'writevSync', 'renameSync', 'linkSync', 'unlinkSync', 'closeSync', 'lstatSync'] as const;
  const counts: Record<string, number> = {};
  const originals = names.map((name) => [name, fs[name]] as const);
  for (const [name, original] of originals) {
    (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return (original as (...a: unknown[]) => unknown)(...args);
    };
  }
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    for (const [name, original] of originals) (fs as unknown as Record<string, unknown>)[name] = original;
    syncBuiltinESMExports();
  }
  return counts;
}

describe('asynchronous checkpointing (CheckpointSaverHook async, asyncCheckpoint)', () => {
  it('validates the option, and that the saver can save in the background', async () => {
    throwsWith(
      () => new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: 1, async: 'yes' as never }),
      UsageTypeError,
      /CheckpointSaverHook: expected `async` to be a boolean, got "yes"/,
    );
    const plain = { save: async () => 'p', restore: async () => {} };
    throwsWith(
      () => new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: 1, async: true, saver: plain }),
      UsageTypeError,
      /`saver`.*saveInBackground/,
    );
    const { graph } = gstepGraph();
    await rejectsWith(
      monitoredTrainingSession({ graph, asyncCheckpoint: 1 as never }),
      UsageTypeError,
      /monitoredTrainingSession: expected `asyncCheckpoint` to be a boolean, got 1/,
    );
  });

  it('a saver found in the scaffold without saveInBackground saves synchronously, with one warning', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const real = new Saver();
    const plain = { save: real.save.bind(real), restore: real.restore.bind(real) };
    const warnings: string[] = [];
    const previous = setLogger({ ...silentLogger, warn: (message: string) => void warnings.push(message) });
    try {
      const scaffold = new Scaffold({ saver: plain });
      const hook = new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1, async: true, scaffold });
      await withSession(
        MonitoredSession.create({
          sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir, scaffold }),
          hooks: [hook],
        }),
        async (sess) => {
          await sess.run(doStep);
          // Written before the step returned: synchronously.
          assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-1'));
          await sess.run(doStep);
        },
      );
    } finally {
      setLogger(previous);
    }
    assert.equal(warnings.filter((w) => w.includes('no saveInBackground')).length, 1);
  });

  it('a step does not wait for the write; the next save (on the injected clock) and the close do', async () => {
    const dir = await tempDir();
    const clock = new TestClock();
    const { graph, gstep, doStep } = gstepGraph();
    const { gated, gates } = gatedSaver();
    const saved: number[] = [];
    const listener: CheckpointSaverListener = { afterSave: (_s, step) => void saved.push(step) };
    const hook = new CheckpointSaverHook({
      checkpointDir: dir,
      saveSecs: 60,
      async: true,
      listeners: [listener],
      clock,
      saver: gated,
    });
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir, scaffold: new Scaffold({ saver: gated }) }),
      hooks: [hook],
      clock,
    });
    // The save at creation (step 0) is in the background: steps go on before it is reported.
    assert.deepEqual(
      gates.map((g) => g.step),
      [0],
    );
    assert.equal(await sess.run(doStep), 1);
    assert.equal(await sess.run(doStep), 2);
    assert.deepEqual(saved, []);
    // The save due at step 3 waits for the write of step 0 first.
    await clock.advance(60_000);
    const third = sess.run(doStep);
    assert.equal(await settlesSoon(third), false, 'the save of step 3 did not wait for the write of step 0');
    gates[0]!.release();
    assert.equal(await third, 3);
    assert.deepEqual(saved, [0]);
    assert.deepEqual(
      gates.map((g) => g.step),
      [0, 3],
    );
    // A written checkpoint is reported at the next step boundary.
    gates[1]!.release();
    await gates[1]!.written;
    assert.deepEqual(saved, [0]);
    assert.equal(await sess.run(doStep), 4);
    assert.deepEqual(saved, [0, 3]);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-3'));
    // The close saves step 5 (synchronously) after the pending write.
    assert.equal(await sess.run(doStep), 5);
    await sess.close();
    assert.deepEqual(saved, [0, 3, 5]);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-5'));
    assert.equal(hook.saveErrors.length, 0);
    void gstep;
  });

  it('a write in the background goes on while steps run, in a loop that never waits on I/O itself', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph(); // synchronous ops: a run never leaves the microtask queue
    const saved: number[] = [];
    const listener: CheckpointSaverListener = { afterSave: (_s, step) => void saved.push(step) };
    const hook = new CheckpointSaverHook({
      checkpointDir: dir,
      saveSteps: 1_000_000,
      async: true,
      listeners: [listener],
    });
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir }),
      hooks: [hook],
    });
    // The save at creation (step 0) is written in the background, and reported at a step boundary
    // once written: within some steps, not at the next save (a million steps away) or the close.
    let steps = 0;
    while (saved.length === 0 && steps < 10_000) {
      await sess.run(doStep);
      steps++;
    }
    assert.deepEqual(saved, [0], `the write of step 0 was not done after ${steps} steps`);
    await sess.close();
  });

  it('the close waits for a write still in the background', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const { gated, gates } = gatedSaver();
    const hook = new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 2, async: true, saver: gated });
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir, scaffold: new Scaffold({ saver: gated }) }),
      hooks: [hook],
    });
    gates[0]!.release();
    await sess.run(doStep);
    await sess.run(doStep); // saves step 2 in the background
    assert.equal(gates.length, 2);
    const closing = sess.close();
    assert.equal(await settlesSoon(closing), false, 'close did not wait for the write');
    gates[1]!.release();
    await closing;
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-2'));
    void gstep;
  });

  it('the values are taken at the step boundary: arrays changed in place during the write do not leak into it', async () => {
    const dir = await tempDir();
    const { graph } = gstepGraph();
    const live = new Float32Array(100_000).fill(1);
    const saver = new Saver({
      saveables: { live: { saveState: () => ({ values: live }), restoreState: () => {} } },
    });
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const { prefix, written } = await saver.saveInBackground(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    live.fill(2); // the next step, while the checkpoint is being written
    assert.equal(await written, prefix);
    const { live: state } = await readSaveableStates(prefix, ['live']);
    const values = state!['values'] as Float32Array;
    assert.equal(values.length, 100_000);
    assert.ok(
      values.every((x) => x === 1),
      'the checkpoint holds values changed after the snapshot',
    );
  });

  it('a write in the background makes no system call on the event loop (training runs there meanwhile)', async () => {
    const dir = await tempDir();
    const { graph } = gstepGraph();
    const saver = new Saver({ maxToKeep: 1 }); // so that the later saves drop one (retention)
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const file = path.join(dir, 'model.ckpt');
    await saver.save(sess, file, { globalStep: 1 }); // the directory made and cleaned
    const counted = await countSyncCalls(async () => {
      const { written } = await saver.saveInBackground(sess, file, { globalStep: 2 });
      await written;
    });
    assert.deepEqual(counted, {}, 'calls made on the event loop');
    // The same save in the foreground, on a local disk (Linux), makes its cheap calls inline.
    const foreground = await countSyncCalls(() => saver.save(sess, file, { globalStep: 3 }));
    if (process.platform === 'linux') assert.ok((foreground['openSync'] ?? 0) > 0, JSON.stringify(foreground));
    assert.equal(await latestCheckpoint(dir), `${file}-3`);
  });

  it('a failed background write is never lost: counted by the saver, reported at the next step boundary', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const saver = new Saver();
    // The data file of step 2 cannot be renamed into place: a directory holds its name.
    await mkdir(path.join(dir, 'model.ckpt-2.data-00000-of-00001'), { recursive: true });
    await writeFile(path.join(dir, 'model.ckpt-2.data-00000-of-00001', 'x'), 'x');
    const errors: [unknown, number][] = [];
    const hook = new CheckpointSaverHook({
      checkpointDir: dir,
      saveSteps: 2,
      async: true,
      saver,
      onSaveError: (error, step) => void errors.push([error, step]),
    });
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir, scaffold: new Scaffold({ saver }) }),
      hooks: [hook],
    });
    await sess.run(doStep);
    await sess.run(doStep); // the save of step 2 fails in the background
    while (saver.failedSaves === 0) await tick();
    assert.equal(errors.length, 0, 'reported before a step boundary');
    await sess.run(doStep);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]![1], 2);
    assert.equal(errors[0]![0], saver.lastSaveError);
    assert.deepEqual(hook.saveErrors, [saver.lastSaveError]);
    await sess.close();
    assert.equal(saver.failedSaves, 1);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-3'));
  });

  it('with failOnSaveError, a failed background write fails the run at the next step boundary', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const saver = new Saver();
    await mkdir(path.join(dir, 'model.ckpt-2.data-00000-of-00001', 'x'), { recursive: true });
    const hook = new CheckpointSaverHook({
      checkpointDir: dir,
      saveSteps: 2,
      async: true,
      saver,
      failOnSaveError: true,
    });
    await rejectsWith(
      withSession(
        MonitoredSession.create({
          sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir, scaffold: new Scaffold({ saver }) }),
          hooks: [hook],
        }),
        async (sess) => {
          await sess.run(doStep);
          await sess.run(doStep);
          while (saver.failedSaves === 0) await tick();
          await sess.run(doStep);
        },
      ),
      Error,
      /model\.ckpt-2\.data/,
    );
    assert.equal(saver.failedSaves, 1);
  });

  it("a session manager's restore waits for this process's writes in flight in the directory", async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const saver = new Saver();
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    await sess.run(doStep);
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    const write = deferred();
    void trackWrite(dir, write.promise);
    const creating = monitoredTrainingSession({ graph, checkpointDir: dir, saveCheckpointSecs: null });
    assert.equal(await settlesSoon(creating), false, 'the restore did not wait for the write in flight');
    await sess.run(doStep);
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2 }); // what the write was doing
    write.resolve();
    await withSession(creating, async (s) => assert.equal(await s.run(gstep), 2));
  });

  it('a recovery restores the checkpoint saved in the background before the failure', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    await withSession(
      monitoredTrainingSession({
        graph,
        checkpointDir: dir,
        saveCheckpointSteps: 3,
        asyncCheckpoint: true,
        hooks: [new RaiseOnceAtCountN(5, new AbortedError('preempted'))],
        recovery: { backoff: { initialMs: 0 } },
      }),
      async (s) => {
        for (let i = 0; i < 3; i++) await s.run(doStep);
        assert.equal(await s.run(doStep), 4);
        // The 5th run fails before it runs, recovers from the checkpoint of step 3 and runs again.
        assert.equal(await s.run(doStep), 4);
        assert.equal(s.snapshot.context.restored, true);
      },
    );
  });
});
