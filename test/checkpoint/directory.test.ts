import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  DataLossError,
  FailedPreconditionError,
  Graph,
  PermissionDeniedError,
  Saver,
  Session,
  getCheckpointState,
  getOrCreateGlobalStep,
  latestCheckpoint,
  setLogger,
  silentLogger,
  type Logger,
} from '../../src/index.ts';
import { formatCheckpointState, parseCheckpointState } from '../../src/checkpoint/state.ts';
import { fsError } from '../../src/internal/fsError.ts';
import { temporaryName } from '../../src/internal/tempFiles.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { deadPid, liveProcess } from '../helpers/processes.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'ms-ckdir-'));
}

/** A graph with a global step and weights; `fill(step)` sets the weights to `step` everywhere. */
async function model(): Promise<{ graph: Graph; sess: Session; set(step: number): Promise<void> }> {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const w = graph.variable(() => new Float32Array(64), { name: 'w' });
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  return {
    graph,
    sess,
    async set(s) {
      await sess.run([graph.assign(step, s), graph.assign(w, new Float32Array(64).fill(s))]);
    },
  };
}

/** Saves checkpoints `model.ckpt-<s>` for each step, weights filled with the step. */
async function checkpoints(dir: string, steps: number[]): Promise<string[]> {
  const m = await model();
  const saver = new Saver();
  const out: string[] = [];
  for (const s of steps) {
    await m.set(s);
    out.push(await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: s }));
  }
  return out;
}

/** Restores `dir` as a trainer starting does; returns the restored step, checking the weights match it. */
async function resume(dir: string): Promise<number> {
  const { graph } = await model();
  const sess = await new ChiefSessionCreator({ graph, checkpointDir: dir }).createSession();
  const [step, w] = (await sess.run([graph.globalVariables()[0]!, graph.globalVariables()[1]!])) as [
    number,
    Float32Array,
  ];
  assert.ok(
    w.every((x) => x === step),
    `weights of step ${step} hold other values`,
  );
  return step;
}

function recordWarnings(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
  setLogger(logger);
  return { warnings, restore: () => setLogger(silentLogger) };
}

describe('checkpoint directory', () => {
  it('retention deletes exactly the files of a dropped checkpoint, never names that merely begin with its prefix', async () => {
    const dir = await tempDir();
    const m = await model();
    const saver = new Saver({ maxToKeep: 2 });
    await saver.save(m.sess, path.join(dir, 'model'));
    await writeFile(path.join(dir, 'model.notes'), 'mine');
    for (const s of [1, 2]) {
      await m.set(s);
      await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: s });
    }
    const names = (await readdir(dir)).sort();
    assert.ok(
      !names.includes('model.index') && !names.includes('model.meta') && !names.includes('model.data-00000-of-00001'),
    );
    for (const s of [1, 2]) {
      for (const ext of ['index', 'meta', 'data-00000-of-00001'])
        assert.ok(names.includes(`model.ckpt-${s}.${ext}`), `model.ckpt-${s}.${ext} deleted`);
    }
    assert.ok(names.includes('model.notes'));
    assert.equal(await resume(dir), 2);
  });

  it('a reader removes only temporaries that belong to no live writer', async (t) => {
    const dir = await tempDir();
    const [prefix] = await checkpoints(dir, [1]);
    const live = await liveProcess();
    t.after(() => live.kill('SIGKILL'));
    const liveTmp = temporaryName(path.join(dir, 'model.ckpt-2.index'), live.pid);
    const deadTmp = temporaryName(path.join(dir, 'model.ckpt-2.data-00000-of-00001'), await deadPid());
    const freshLegacy = path.join(dir, 'model.ckpt-3.index.tmp-abcdefgh');
    const oldLegacy = path.join(dir, 'model.ckpt-0.index.tmp-zyxwvuts');
    for (const f of [liveTmp, deadTmp, freshLegacy, oldLegacy]) await writeFile(f, 'in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(oldLegacy, twoHoursAgo, twoHoursAgo);
    await new Saver().restore((await model()).sess, prefix!);
    const names = await readdir(dir);
    assert.ok(names.includes(path.basename(liveTmp)), "a live writer's temporary was deleted");
    assert.ok(names.includes(path.basename(freshLegacy)), 'a recently written temporary was deleted');
    assert.ok(!names.includes(path.basename(deadTmp)), "a dead writer's temporary was kept");
    assert.ok(!names.includes(path.basename(oldLegacy)), 'a stale temporary was kept');
  });

  it('counts failed saves on the saver', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'file'), '');
    const m = await model();
    const saver = new Saver();
    await assert.rejects(saver.save(m.sess, path.join(dir, 'file', 'model.ckpt'), { globalStep: 1 }));
    assert.equal(saver.failedSaves, 1);
    assert.ok(saver.lastSaveError instanceof Error);
  });

  const damages: [string, (file: string) => Promise<void>][] = [
    ['missing', (f) => rm(f)],
    ['emptied', (f) => writeFile(f, '')],
    ['garbage', (f) => writeFile(f, '\u0000\u00ff{{{ not a state')],
    ['a bad escape', (f) => writeFile(f, 'model_checkpoint_path: "model.ckpt-\\q"\n')],
    ['a JSON-looking quote', (f) => writeFile(f, 'model_checkpoint_path: "\\u12"\n')],
    ['truncated', async (f) => writeFile(f, (await readFile(f, 'utf8')).slice(0, 18))],
    [
      'with a damaged field name',
      (f) => writeFile(f, 'model_checkpoint_path: "model.ckpt-1"\nall_model_chJckpoint_paths: "model.ckpt-3"\n'),
    ],
    ['naming a missing checkpoint', (f) => writeFile(f, 'model_checkpoint_path: "model.ckpt-99"\n')],
    ['pointing outside', (f) => writeFile(f, 'model_checkpoint_path: "../elsewhere/model.ckpt-9"\n')],
    [
      'a directory',
      async (f) => {
        await rm(f);
        await mkdir(f);
      },
    ],
    [
      'a symlink loop',
      async (f) => {
        await rm(f);
        await symlink(path.basename(f), f);
      },
    ],
    [
      'a FIFO',
      async (f) => {
        await rm(f);
        execFileSync('mkfifo', [f]);
      },
    ],
  ];
  for (const [what, damage] of damages) {
    it(
      `a state file ${what} next to intact checkpoints resumes from the newest one, with a warning`,
      { timeout: 10_000 },
      async () => {
        const dir = await tempDir();
        await checkpoints(dir, [1, 2, 3]);
        await damage(path.join(dir, 'checkpoint'));
        const log = recordWarnings();
        try {
          assert.equal(await resume(dir), 3);
        } finally {
          log.restore();
        }
        assert.ok(
          log.warnings.some((w) => /model\.ckpt-3/.test(w) && /checkpoint/.test(w)),
          `no warning: ${log.warnings.join('\n')}`,
        );
      },
    );
  }

  it('reads TensorFlow 2 state files with timestamps, and octal escapes in paths', async () => {
    const dir = await tempDir();
    const m = await model();
    await m.set(4);
    await new Saver().save(m.sess, path.join(dir, 'modél.ckpt'), { globalStep: 4, writeState: false });
    const tf2 = [
      'model_checkpoint_path: "mod\\303\\251l.ckpt-4"',
      'all_model_checkpoint_paths: "mod\\303\\251l.ckpt-4"',
      'all_model_checkpoint_timestamps: 1599759586.123456',
      'last_preserved_timestamp: 1599759000.5',
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'checkpoint'), tf2);
    const state = await getCheckpointState(dir);
    assert.equal(state?.modelCheckpointPath, path.join(dir, 'modél.ckpt-4'));
    assert.deepEqual(state?.allModelCheckpointTimestamps, [1599759586.123456]);
    assert.equal(state?.lastPreservedTimestamp, 1599759000.5);
    assert.equal(await resume(dir), 4);
    const written = formatCheckpointState(dir, {
      modelCheckpointPath: 'a"é\n.ckpt',
      allModelCheckpointPaths: ['a"é\n.ckpt'],
    });
    assert.match(written, /"a\\"\\303\\251\\n\.ckpt"/);
    assert.equal(parseCheckpointState(written)?.modelCheckpointPath, 'a"é\n.ckpt');
  });

  it("confines an index's data file to its directory", async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    const [prefix] = await checkpoints(dir, [1]);
    const data = await readFile(`${prefix}.data-00000-of-00001`);
    await writeFile(path.join(outside, 'stolen'), data);
    const [body] = (await readFile(`${prefix}.index`, 'utf8')).split('\ncrc32:');
    const evil = JSON.stringify({ ...JSON.parse(body!), dataFile: path.relative(dir, path.join(outside, 'stolen')) });
    const { crc32 } = await import('node:zlib');
    await writeFile(`${prefix}.index`, `${evil}\ncrc32:${crc32(evil).toString(16)}\n`);
    await rejectsWith(new Saver().restore((await model()).sess, prefix!), DataLossError, 'outside its directory');
  });

  it(
    'falls back past a newest index that is a symbolic link loop, a directory or a FIFO, without hanging',
    { timeout: 10_000 },
    async () => {
      for (const make of [
        (f: string) => symlink(path.basename(f), f),
        (f: string) => mkdir(f),
        async (f: string) => void execFileSync('mkfifo', [f]),
      ]) {
        const dir = await tempDir();
        const [, newest] = await checkpoints(dir, [1, 2]);
        await rm(`${newest}.index`);
        await make(`${newest}.index`);
        assert.equal(await resume(dir), 1);
        await rejectsWith(new Saver().restore((await model()).sess, newest!), DataLossError, 'model.ckpt-2.index');
      }
    },
  );

  it('a temporary that cannot be removed does not stop a restore', async () => {
    const dir = await tempDir();
    const [prefix] = await checkpoints(dir, [1]);
    // A directory cannot be removed by the cleanup (as a file in a read-only directory cannot).
    const stuck = temporaryName(path.join(dir, 'model.ckpt-2.index'), await deadPid());
    await mkdir(stuck);
    await writeFile(path.join(stuck, 'x'), '');
    await new Saver().restore((await model()).sess, prefix!);
    assert.equal(await resume(dir), 1);
  });

  it('maps EROFS, EACCES and ELOOP to typed errors', () => {
    const err = (code: string): Error => Object.assign(new Error(code), { code });
    assert.ok(fsError('Saver.save', 'write', 'f', err('EROFS')) instanceof PermissionDeniedError);
    assert.ok(fsError('Saver.save', 'write', 'f', err('EACCES')) instanceof PermissionDeniedError);
    assert.ok(fsError('Saver.save', 'write', 'f', err('ELOOP')) instanceof FailedPreconditionError);
  });

  it('latestCheckpoint of a directory with checkpoints and no state file finds the newest', async () => {
    const dir = await tempDir();
    await checkpoints(dir, [5, 10]);
    await rm(path.join(dir, 'checkpoint'));
    setLogger(silentLogger);
    assert.equal(await latestCheckpoint(dir), path.join(dir, 'model.ckpt-10'));
  });
});

describe('checkpoint writes', () => {
  it('writes the meta graph once per graph: later checkpoints link to it until the graph changes', async () => {
    const { stat: statFile } = await import('node:fs/promises');
    const dir = await tempDir();
    const m = await model();
    const saver = new Saver({ maxToKeep: 2 });
    const prefixes: string[] = [];
    for (const s of [1, 2, 3]) prefixes.push(await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: s }));
    const inodes = await Promise.all(prefixes.slice(1).map(async (p) => (await statFile(`${p}.meta`)).ino));
    assert.equal(inodes[0], inodes[1], 'the meta graph was rewritten for an unchanged graph');
    m.graph.variable(0, { name: 'added' });
    await m.sess.run(m.graph.globalVariables()[2]!.initializer);
    const changed = await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: 4 });
    assert.notEqual((await statFile(`${changed}.meta`)).ino, inodes[1]);
    assert.match(await readFile(`${changed}.meta`, 'utf8'), /added/);
  });

  it('a save after its directory was removed makes the directory again', async () => {
    const dir = path.join(await tempDir(), 'ckpt');
    const m = await model();
    const saver = new Saver();
    await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    await rm(dir, { recursive: true });
    await m.set(2);
    await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: 2 });
    assert.equal(await resume(dir), 2);
  });

  it('retention deletes every data shard of a checkpoint that an earlier run wrote, found by a scan', async () => {
    const dir = await tempDir();
    const old = path.join(dir, 'model.ckpt-0');
    const shards = ['data-00000-of-00002', 'data-00001-of-00002', 'index', 'meta'];
    for (const ext of shards) await writeFile(`${old}.${ext}`, 'old');
    const m = await model();
    const saver = new Saver({ maxToKeep: 1 });
    saver.recoverLastCheckpoints([old]);
    await saver.save(m.sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    const names = await readdir(dir);
    for (const ext of shards) assert.ok(!names.includes(`model.ckpt-0.${ext}`), `model.ckpt-0.${ext} kept`);
    assert.ok(names.includes('model.ckpt-1.index'));
  });
});
