import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { latestCheckpoint } from '../../src/index.ts';
import type { TrainReport } from '../../src/cli/train.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `during` gets the child (to signal it) once it printed its first progress line. */
function cli(args: string[], during?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (!signalled && during && /step \d+\/\d+/.test(stderr)) {
        signalled = true;
        during(child);
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-cli-'));
const report = (run: Run): TrainReport => JSON.parse(run.stdout) as TrainReport;
const stepOf = (prefix: string | undefined) => Number(prefix?.split('-').pop());

describe('monitored-session train (end to end)', { timeout: 120_000 }, () => {
  it('a clean run reaches the target accuracy; running it again says it is done and exits 0', async () => {
    const dir = await tempDir();
    const run = await cli(['train', '--steps', '1500', '--checkpoint-dir', dir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run);
    assert.equal(r.status, 'completed');
    assert.equal(r.finalStep, 1500);
    assert.ok(r.finalAccuracy > 0.9, `accuracy ${r.finalAccuracy}`);
    assert.equal(r.recoveries, 0);
    assert.equal(stepOf(await latestCheckpoint(dir)), 1500);
    const again = await cli(['train', '--steps', '1500', '--checkpoint-dir', dir]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Already complete: .* at step 1500 \(target 1500\); nothing to do\./);
  });

  it('with --fault-rate, faults are injected and recovered from, and the run reaches the same step', async () => {
    const dir = await tempDir();
    const run = await cli([
      'train',
      '--steps',
      '1500',
      '--checkpoint-dir',
      dir,
      '--fault-rate',
      '0.01',
      '--save-checkpoint-steps',
      '20',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const r = report(run);
    assert.equal(r.finalStep, 1500);
    assert.ok(r.faultsInjected > 0);
    assert.equal(r.recoveries, r.faultsInjected);
    assert.ok(
      r.restoredSteps.some((s) => s > 0),
      'recoveries restored checkpoints',
    );
    assert.ok(r.finalAccuracy > 0.9);
  });

  it('a run killed with SIGKILL resumes from its last checkpoint', async () => {
    const dir = await tempDir();
    const killed = await cli(
      ['train', '--steps', '1000000', '--checkpoint-dir', dir, '--save-checkpoint-steps', '50'],
      (child) => {
        // Kill once a checkpoint is on disk (not after a fixed delay: start-up time varies with load).
        const poll = setInterval(() => {
          if (existsSync(path.join(dir, 'checkpoint'))) {
            clearInterval(poll);
            setTimeout(() => child.kill('SIGKILL'), 50);
          }
        }, 10);
        child.once('exit', () => clearInterval(poll));
      },
    );
    assert.equal(killed.code, null);
    const saved = stepOf(await latestCheckpoint(dir));
    assert.ok(saved > 0, `a checkpoint was written before the kill (${saved})`);
    const resumed = await cli(['train', '--steps', String(saved + 200), '--checkpoint-dir', dir, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const r = report(resumed);
    assert.equal(r.startStep, saved);
    assert.equal(r.restoredSteps[0], saved);
    assert.equal(r.finalStep, saved + 200);
  });

  it('SIGINT stops at a step boundary, saves a final checkpoint and exits 130', async () => {
    const dir = await tempDir();
    const run = await cli(
      ['train', '--steps', '1000000', '--checkpoint-dir', dir, '--save-checkpoint-steps', '100000', '--json'],
      (child) => {
        setTimeout(() => child.kill('SIGINT'), 300);
      },
    );
    assert.equal(run.code, 130, run.stderr);
    const r = report(run);
    assert.equal(r.status, 'interrupted');
    assert.ok(r.finalStep > 0);
    assert.equal(stepOf(await latestCheckpoint(dir)), r.finalStep, 'the final checkpoint is at the step reached');
    assert.match(run.stderr, /Interrupted: stopping at the next step/);
  });

  it('bad flags exit 2 with a message naming the flag and the value', async () => {
    for (const [args, message] of [
      [['train', '--steps', '0'], /expected --steps to be an integer >= 1, got "0"/],
      [['train', '--fault-rate', '1.5'], /expected --fault-rate to be a probability in \[0, 1\), got "1.5"/],
      [
        ['train', '--stop-grace-secs', '0'],
        /expected --stop-grace-secs to be a number of seconds in \(0, 86400\], got "0"/,
      ],
      [['train', '--stop-grace-secs', 'soon'], /expected --stop-grace-secs .* got "soon"/],
      [['train', '--bogus'], /Unknown option '--bogus'/],
      [['fly'], /unknown command "fly"/],
    ] as const) {
      const run = await cli([...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: monitored-session train/);
    }
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--fault-rate P/);
  });
});
