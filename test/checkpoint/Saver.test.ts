import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  DataLossError,
  Graph,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  Saver,
  Session,
  TestClock,
  UsageError,
  ValueError,
  getCheckpointState,
  latestCheckpoint,
  readSaveableStates,
} from '../../src/index.ts';
import { temporaryName } from '../../src/internal/tempFiles.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { deadPid } from '../helpers/processes.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'ms-ckpt-'));
}

/** A graph of one variable per value, and a session with them initialized. */
async function withValues(values: Record<string, unknown>): Promise<{ graph: Graph; sess: Session }> {
  const graph = new Graph();
  for (const [name, value] of Object.entries(values)) graph.variable(() => value, { name });
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  return { graph, sess };
}

async function restoredValues(graph: Graph, prefix: string, saver = new Saver()): Promise<unknown[]> {
  const sess = new Session(graph);
  await saver.restore(sess, prefix);
  return sess.run(graph.globalVariables());
}

describe('Saver', () => {
  it('round-trips numbers (NaN, ±Infinity, -0), booleans, strings, bigint, JSON data and typed arrays', async () => {
    const dir = await tempDir();
    const big = new Float32Array(100_000).map((_, i) => Math.sin(i));
    const values = {
      nan: Number.NaN,
      inf: Infinity,
      ninf: -Infinity,
      num: 1.5,
      bool: true,
      str: 'héllo\n"quoted"',
      big: 12345678901234567890n,
      json: { a: [1, { b: null }], $weird: 'key', nested: { inf: -Infinity, arr: new Int32Array([1, -2, 3]) } },
      date: new Date('2026-01-02T03:04:05Z'),
      map: new Map<string, number>([['x', 1]]),
      set: new Set([1, 2]),
      undef: undefined,
      f32: big,
      f64: new Float64Array([1e300, -0, Number.NaN]),
      u8: new Uint8Array([1, 2, 3]),
      i64: new BigInt64Array([-1n, 2n ** 62n]),
    };
    const { graph, sess } = await withValues(values);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    assert.equal(prefix, path.join(dir, 'model.ckpt-7'));
    const restored = await restoredValues(graph, prefix);
    const byName = Object.fromEntries(graph.globalVariables().map((v, i) => [v.name, restored[i]]));
    assert.deepEqual(byName, values);
    assert.ok(byName['f32'] instanceof Float32Array);
    assert.ok(Object.is((byName['f64'] as Float64Array)[1], -0));
  });

  it('round-trips plain data as it is: holes, shared parts, `__proto__` and `$` keys, tags deep inside', async () => {
    const dir = await tempDir();
    const shared = { x: 1 };
    // eslint-disable-next-line no-sparse-arrays
    const holes = [1, , 3];
    const values = {
      plain: { a: [1, 'two', true, null, { b: [shared, shared] }] },
      holes,
      proto: JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as unknown,
      dollar: { $t: 0, $o: 'x', inner: { $n: 'NaN' } },
      deep: { a: [{ b: [1, Number.NaN] }, 5], c: 'unchanged', d: [undefined] },
    };
    const { graph, sess } = await withValues(values);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'));
    const [plain, restoredHoles, proto, dollar, deep] = (await restoredValues(graph, prefix)) as any[];
    assert.deepEqual(plain, values.plain);
    assert.deepEqual(restoredHoles, [1, null, 3]); // as JSON writes a hole
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.deepEqual(Object.keys(proto), ['__proto__', 'k']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(dollar, values.dollar);
    assert.ok(Number.isNaN(deep.a[0].b[1]));
    assert.deepEqual(deep, values.deep);
    assert.ok(Object.hasOwn(deep.d, 0) && deep.d[0] === undefined);
  });

  it('names the part that cannot be checkpointed by its path inside the value', async () => {
    const dir = await tempDir();
    const { sess } = await withValues({ model: { layers: [{ w: 1 }, { w: 2, act: Math.tanh }] } });
    await rejectsWith(
      new Saver().save(sess, path.join(dir, 'm')),
      InvalidArgumentError,
      /variable value at model\.layers\[1\]\.act cannot be checkpointed/,
    );
    const map = await withValues({ m: new Map([['k', Symbol('s')]]) });
    await rejectsWith(new Saver().save(map.sess, path.join(dir, 'm')), InvalidArgumentError, /at m\.value0 /);
  });

  it('saveInBackground takes the state when it resolves: a change to a held object afterwards is not saved', async () => {
    const dir = await tempDir();
    const held = { step: 1, nested: { list: [1, 2] } };
    // Over 1 MiB of data: written in the thread pool, and the index (its checksum) made after it.
    const { graph, sess } = await withValues({ v: new Float32Array(300_000).fill(1) });
    const saveable = { saveState: () => held, restoreState: () => {} };
    const saver = new Saver({ saveables: { held: saveable } });
    const { prefix, written } = await saver.saveInBackground(sess, path.join(dir, 'model.ckpt'));
    held.step = 2;
    held.nested.list.push(3);
    await written;
    assert.deepEqual((await readSaveableStates(prefix))['held'], { step: 1, nested: { list: [1, 2] } });
    assert.deepEqual(await restoredValues(graph, prefix), [new Float32Array(300_000).fill(1)]);
  });

  it('round-trips empty typed arrays between others (a checksum must not restart at an empty tensor)', async () => {
    const dir = await tempDir();
    const values = {
      a: new Float32Array([1, 2]),
      empty: new Float32Array(0),
      emptyBytes: new Uint8Array(0),
      b: new Float64Array([3]),
      emptyLast: new BigInt64Array(0),
    };
    const { graph, sess } = await withValues(values);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'));
    const restored = await restoredValues(graph, prefix);
    assert.deepEqual(Object.fromEntries(graph.globalVariables().map((v, i) => [v.name, restored[i]])), values);
  });

  it("writes TensorFlow's text state file, oldest first, and latestCheckpoint reads it", async () => {
    const dir = await tempDir();
    const { sess } = await withValues({ v: 1 });
    const saver = new Saver();
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 600 });
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1000 });
    const text = await readFile(path.join(dir, 'checkpoint'), 'utf8');
    assert.equal(
      text,
      'model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "model.ckpt-600"\nall_model_checkpoint_paths: "model.ckpt-1000"\n',
    );
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-1000'));
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, [
      'checkpoint',
      'model.ckpt-1000.data-00000-of-00001',
      'model.ckpt-1000.index',
      'model.ckpt-1000.meta',
      'model.ckpt-600.data-00000-of-00001',
      'model.ckpt-600.index',
      'model.ckpt-600.meta',
    ]);
  });

  it('keeps maxToKeep checkpoints and deletes older ones; a restarted saver continues the retention', async () => {
    const dir = await tempDir();
    const { sess } = await withValues({ v: 1 });
    const saver = new Saver({ maxToKeep: 2 });
    for (const step of [1, 2, 3]) await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: step });
    assert.deepEqual(
      saver.lastCheckpoints.map((p) => path.basename(p)),
      ['model.ckpt-2', 'model.ckpt-3'],
    );
    assert.ok(!(await readdir(dir)).some((f) => f.startsWith('model.ckpt-1.')));
    const restarted = new Saver({ maxToKeep: 2 });
    restarted.recoverLastCheckpoints((await getCheckpointState(dir))!.allModelCheckpointPaths);
    await restarted.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 4 });
    assert.deepEqual(
      (await getCheckpointState(dir))!.allModelCheckpointPaths.map((p) => path.basename(p)),
      ['model.ckpt-3', 'model.ckpt-4'],
    );
    assert.ok(!(await readdir(dir)).some((f) => f.startsWith('model.ckpt-2.')));
  });

  it('keepCheckpointEveryNHours keeps one checkpoint per period on the clock', async () => {
    const dir = await tempDir();
    const clock = new TestClock();
    const { sess } = await withValues({ v: 1 });
    const saver = new Saver({ maxToKeep: 1, keepCheckpointEveryNHours: 1, clock });
    await saver.save(sess, path.join(dir, 'm'), { globalStep: 1 });
    await clock.advance(3_600_000);
    await saver.save(sess, path.join(dir, 'm'), { globalStep: 2 });
    await saver.save(sess, path.join(dir, 'm'), { globalStep: 3 });
    const files = await readdir(dir);
    assert.ok(!files.some((f) => f.startsWith('m-1.')), 'step 1 was before the first keep time');
    assert.ok(
      files.some((f) => f.startsWith('m-2.')),
      'step 2 reached the keep time and is kept',
    );
    assert.ok(files.some((f) => f.startsWith('m-3.')));
  });

  it('maxToKeep 0 (or null) keeps everything', async () => {
    const dir = await tempDir();
    const { sess } = await withValues({ v: 1 });
    const saver = new Saver({ maxToKeep: null });
    for (const step of [1, 2, 3, 4, 5, 6, 7]) await saver.save(sess, path.join(dir, 'm'), { globalStep: step });
    assert.equal(saver.lastCheckpoints.length, 7);
  });

  it('never deletes the checkpoint the run restored from', async () => {
    const dir = await tempDir();
    const { graph, sess } = await withValues({ v: 1 });
    const first = await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 1 });
    const saver = new Saver({ maxToKeep: 1 });
    saver.recoverLastCheckpoints([first]);
    await saver.restore(new Session(graph), first);
    await saver.save(sess, path.join(dir, 'm'), { globalStep: 2 });
    await saver.save(sess, path.join(dir, 'm'), { globalStep: 3 });
    const files = await readdir(dir);
    assert.ok(
      files.some((f) => f.startsWith('m-1.')),
      'the restored checkpoint survives',
    );
    assert.ok(!files.some((f) => f.startsWith('m-2.')));
  });

  it('refuses a truncated or corrupt checkpoint with DataLossError naming the file', async () => {
    const dir = await tempDir();
    const { graph, sess } = await withValues({ v: new Float64Array(1000).fill(1) });
    const prefix = await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 1 });
    const data = `${prefix}.data-00000-of-00001`;
    await truncate(data, 100);
    await rejectsWith(restoredValues(graph, prefix), DataLossError, path.basename(data));
    const prefix2 = await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 2 });
    const index = `${prefix2}.index`;
    const text = await readFile(index, 'utf8');
    await writeFile(index, text.replace('"v"', '"w"'));
    await rejectsWith(restoredValues(graph, prefix2), DataLossError, path.basename(index));
  });

  it('a missing checkpoint or variable is NotFoundError; bad arguments are named', async () => {
    const dir = await tempDir();
    const { graph, sess } = await withValues({ v: 1 });
    await rejectsWith(restoredValues(graph, path.join(dir, 'nope')), NotFoundError, 'not found');
    const prefix = await new Saver().save(sess, path.join(dir, 'm'));
    const other = new Graph();
    other.variable(0, { name: 'other_var' });
    await rejectsWith(restoredValues(other, prefix), NotFoundError, 'Key other_var not found in checkpoint');
    await rejectsWith(new Saver().save(sess, ''), UsageError, '`savePath`');
    await rejectsWith(new Saver().save(sess, path.join(dir, 'm'), { globalStep: 1.5 }), UsageError, '`globalStep`');
    assert.throws(() => new Saver({ maxToKeep: -1 }), ValueError);
    const weird = await withValues({ fn: () => 1 });
    await rejectsWith(
      new Saver().save(weird.sess, path.join(dir, 'w')),
      InvalidArgumentError,
      /variable value at fn cannot be checkpointed/,
    );
  });

  it('an unwritable directory fails the save with PermissionDeniedError and leaves no temporary file', async (t) => {
    if (process.getuid?.() === 0) {
      // Root ignores directory permissions; use a path under a file instead, which fails for anyone.
      const dir = await tempDir();
      const file = path.join(dir, 'a-file');
      await writeFile(file, '');
      const { sess } = await withValues({ v: 1 });
      await rejectsWith(new Saver().save(sess, path.join(file, 'm')), Error, /cannot create the directory/);
      return;
    }
    const dir = await tempDir();
    await chmod(dir, 0o500);
    t.after(() => chmod(dir, 0o700));
    const { sess } = await withValues({ v: 1 });
    await rejectsWith(new Saver().save(sess, path.join(dir, 'm')), PermissionDeniedError, dir);
    assert.deepEqual(await readdir(dir), []);
  });

  it('removes stray temporaries of a dead writer at the next start', async () => {
    const dir = await tempDir();
    await writeFile(temporaryName(path.join(dir, 'm-5.index'), await deadPid()), 'half written');
    const { sess } = await withValues({ v: 1 });
    await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 6 });
    assert.ok(!(await readdir(dir)).some((f) => f.includes('.tmp-')));
  });

  it('restore-if-exists falls back past a corrupt newest checkpoint, with the chief creator', async () => {
    const dir = await tempDir();
    const graph = new Graph();
    const v = graph.variable(0, { name: 'v' });
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const saver = new Saver();
    await sess.run(graph.assign(v, 1));
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    await sess.run(graph.assign(v, 2));
    const newest = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2 });
    await truncate(`${newest}.index`, 10);
    const restored = await new ChiefSessionCreator({ graph, checkpointDir: dir }).createSession();
    assert.equal(await restored.run(v), 1);
  });

  it('a state file pointing outside its directory is ignored', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'checkpoint'), 'model_checkpoint_path: "../../etc/model.ckpt-1"\n');
    assert.equal(await latestCheckpoint(dir), undefined);
  });
});
