import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Graph, Saver, Session, getOrCreateGlobalStep, latestCheckpoint } from '../../src/index.ts';
import type { TrainReport } from '../../src/cli/train.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `during` gets the child (to signal it) once it printed its first progress line. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  during?: (child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', MONITORED_SESSION_LOG: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (!signalled && during && /step \d+\/\d+/.test(stderr)) {
        signalled = true;
        during(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-cli-stress-'));
const stepOf = (prefix: string | undefined) => Number(prefix?.split('-').pop());
/** stderr without the progress lines. */
const messages = (run: Run) => run.stderr.split('\n').filter((line) => line !== '' && !/^step \d+\//.test(line));

/** Asserts the run failed with exit 1 and exactly one line of error, with no stack trace. */
function assertOneLineError(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  const lines = messages(run);
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
}

/** A directory the CLI cannot write into, or undefined when this host has none (root on a writable fs). */
async function unwritableDir(): Promise<string | undefined> {
  const dir = await tempDir();
  const locked = path.join(dir, 'locked');
  await mkdir(locked, { mode: 0o555 });
  try {
    await mkdir(path.join(locked, 'probe'));
  } catch {
    return path.join(locked, 'run');
  }
  // Root ignores permissions; sysfs is read-only even for root.
  try {
    await mkdir('/sys/monitored-session-probe');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return '/sys/monitored-session-probe/run';
  }
  return undefined;
}

describe('monitored-session train under stress', { timeout: 120_000 }, () => {
  it('SIGTERM takes the graceful path: a final checkpoint at the step reached, then exit 143', async () => {
    const dir = await tempDir();
    const args = ['train', '--steps', '1000000', '--checkpoint-dir', dir, '--json'];
    args.push('--save-checkpoint-steps', '100000');
    const run = await cli(args, {}, (child) => setTimeout(() => child.kill('SIGTERM'), 300));
    assert.equal(run.code, 143, run.stderr);
    const r = JSON.parse(run.stdout) as TrainReport;
    assert.equal(r.status, 'interrupted');
    assert.ok(r.finalStep > 0);
    assert.equal(stepOf(await latestCheckpoint(dir)), r.finalStep, 'the final checkpoint is at the step reached');
    assert.match(run.stderr, /Terminated \(SIGTERM\): stopping at the next step and saving a checkpoint/);
  });

  it('a file where the checkpoint directory should be is one line, naming the path', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    for (const target of [file, path.join(file, 'sub')]) {
      const run = await cli(['train', '--steps', '10', '--checkpoint-dir', target]);
      assertOneLineError(run, /^monitored-session: --checkpoint-dir .*not-a-dir.* is a file, not a directory/);
      assert.doesNotMatch(run.stderr, /UnknownError|EEXIST|ENOTDIR/);
    }
  });

  it('an unwritable checkpoint directory is one line', async (t) => {
    const target = await unwritableDir();
    if (target === undefined) return t.skip('no unwritable directory on this host');
    const run = await cli(['train', '--steps', '10', '--checkpoint-dir', target]);
    assertOneLineError(run, /^monitored-session: --checkpoint-dir .* is not writable/);
  });

  it('a checkpoint from another model is one line; --verbose adds the stack trace, once', async () => {
    const dir = await tempDir();
    const g = new Graph();
    getOrCreateGlobalStep(g);
    g.variable(new Float32Array(5), { name: 'kernel' });
    const s = new Session(g);
    await s.run(g.globalVariablesInitializer());
    await new Saver().save(s, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    const run = await cli(['train', '--steps', '20', '--checkpoint-dir', dir]);
    assertOneLineError(run, /^monitored-session: --checkpoint-dir .* holds a checkpoint of another model/);
    assert.match(run.stderr, /weights/, 'names a variable the model needs');

    const verbose = await cli(['train', '--steps', '20', '--checkpoint-dir', dir, '--verbose']);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /^\s+at /m, 'a stack trace with --verbose');
    assert.equal(verbose.stderr.match(/another model/g)?.length, 2, 'the message, then the stack under it, once');
  });

  it('any other failure is one line with a hint; --verbose prints its stack once', async () => {
    const dir = await tempDir();
    assert.equal((await cli(['train', '--steps', '10', '--checkpoint-dir', dir])).code, 0);
    const latest = await latestCheckpoint(dir);
    await writeFile(`${latest}.index`, 'garbage');
    const run = await cli(['train', '--steps', '20', '--checkpoint-dir', dir]);
    assert.equal(run.code, 1, run.stderr);
    const lines = messages(run);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^monitored-session: training failed: DataLossError: .*corrupt/);
    assert.match(lines[0]!, /\(--verbose for the stack trace\)$/);
    const verbose = await cli(['train', '--steps', '20', '--checkpoint-dir', dir, '--verbose']);
    assert.equal(verbose.code, 1);
    const stack = verbose.stderr.split('\n').filter((l) => /^\s+at /.test(l));
    assert.ok(stack.length > 0, verbose.stderr);
    const repeats = verbose.stderr.split('\n').filter((l) => l === stack[0]).length;
    assert.equal(repeats, 1, `stack printed once:\n${verbose.stderr}`);
  });

  it('--steps -5 gets the project message, not the parser\'s "ambiguous"', async () => {
    for (const args of [
      ['--steps', '-5'],
      ['--save-checkpoint-steps', '-1'],
      ['--seed', '-3'],
    ]) {
      const run = await cli(['train', ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`expected ${args[0]} to be an integer >= \\d, got "${args[1]}"`));
      assert.doesNotMatch(run.stderr, /ambiguous/);
    }
  });

  it('--json: stdout is the report and nothing else, even with info logging', async () => {
    const dir = await tempDir();
    const args = ['train', '--steps', '60', '--checkpoint-dir', dir, '--json'];
    const run = await cli(args, { MONITORED_SESSION_LOG: 'info' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as TrainReport).finalStep, 60);
    assert.match(run.stderr, /INFO/, 'the log went to stderr');
  });
});
