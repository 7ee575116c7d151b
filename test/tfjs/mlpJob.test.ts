/** The CLI's digit job (`train --model mlp`): a real tfjs model and data set under the runtime. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSaveableStates } from '../../src/index.ts';
import { loadDigits } from '../../src/cli/digits.ts';
import { trainMlp, type MlpTrainOptions } from '../../src/cli/mlpTrain.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const BACKEND = (process.env['TFJS_BACKEND'] as 'cpu' | 'wasm' | undefined) ?? 'wasm';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-mlp-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A checkpoint's tfjs state without the slots' tfjs names (models built in one process number their layers apart). */
function values(state: Record<string, unknown>): unknown {
  const optimizer = state['optimizer'] as { slots: { name?: string }[] };
  return { ...state, optimizer: { ...optimizer, slots: optimizer.slots.map(({ name: _name, ...slot }) => slot) } };
}

const quiet = { write: () => true };
const options = (checkpointDir: string, steps: number, extra: Partial<MlpTrainOptions> = {}): MlpTrainOptions => ({
  steps,
  checkpointDir,
  saveCheckpointSteps: 10,
  faultRate: 0,
  seed: 1,
  backend: BACKEND,
  progress: quiet,
  ...extra,
});

describe('train --model mlp', { timeout: 300_000 }, () => {
  it('loads the 10,000 digits of the mnist package: 8,000 to train on, 2,000 held out', async () => {
    const { train, test } = await loadDigits();
    assert.equal(train.count + test.count, 10_000);
    assert.ok(Math.abs(test.count - 2000) < 10, `test set of ${test.count}`);
    assert.equal(train.xs.length, train.count * 784);
    const labels = new Set(test.ys);
    assert.equal(labels.size, 10);
    assert.ok(train.xs.every((v) => v >= 0 && v <= 1));
  });

  it('stopped, resumed and hit by faults, it ends in exactly the state of an uninterrupted run', async () => {
    const straight = await trainMlp(options(await tempDir(), 40));
    assert.equal(straight.finalStep, 40);
    const dir = await tempDir();
    const first = await trainMlp(options(dir, 20));
    assert.equal(first.finalStep, 20);
    const resumed = await trainMlp(options(dir, 40, { faultRate: 0.05, seed: 1 }));
    assert.equal(resumed.startStep, 20);
    assert.equal(resumed.finalStep, 40);
    assert.ok(
      resumed.faultsInjected > 0 && resumed.recoveries > 0,
      `faults ${resumed.faultsInjected}, recoveries ${resumed.recoveries}`,
    );
    const [a, b] = await Promise.all([
      readSaveableStates(straight.latestCheckpoint!),
      readSaveableStates(resumed.latestCheckpoint!),
    ]);
    assert.deepEqual(values(b['tfjs']!), values(a['tfjs']!), 'weights and Adam state, bit for bit');
    assert.equal(resumed.testAccuracy, straight.testAccuracy);
    assert.ok(straight.testAccuracy > 0.5, `test accuracy after 40 steps: ${straight.testAccuracy}`);
  });

  it('runs from the command line and reports testAccuracy in --json', async () => {
    const dir = await tempDir();
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const args = ['train', '--model', 'mlp', '--backend', 'cpu', '--steps', '5', '--checkpoint-dir', dir, '--json'];
      const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(report['status'], 'completed');
    assert.equal(report['finalStep'], 5);
    assert.equal(report['backend'], 'cpu');
    assert.equal(typeof report['testAccuracy'], 'number');
    assert.doesNotMatch(run.stderr, /tfjs-node/, 'no advice to install tfjs-node');
  });
});
