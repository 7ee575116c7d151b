import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { MAIN, cliArgs, finalWeights, scratch, trainHere, type Job } from './trainRuns.ts';

const job: Job = { steps: 150, saveEvery: 5, seed: 11 };

async function reference(j: Job) {
  const dir = await scratch('resume-ref');
  await trainHere(j, dir);
  const weights = await finalWeights(dir);
  await rm(dir, { recursive: true, force: true });
  return weights;
}

describe('exact resume under in-process faults (--fault-rate)', () => {
  it(
    'the CLI with --fault-rate recovers in process and ends with the weights of a fault-free run, bit for bit',
    { timeout: 120_000 },
    async () => {
      const expected = await reference(job);
      const dir = await scratch('resume-faults');
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...cliArgs(job, dir, ['--fault-rate', '0.02'])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
      const report = JSON.parse(stdout) as { exactResume: boolean; faultsInjected: number; recoveries: number };
      assert.ok(report.faultsInjected > 0, 'faults were injected');
      assert.ok(report.recoveries > 0, 'the session recovered');
      assert.equal(report.exactResume, true);
      const got = await finalWeights(dir);
      assert.equal(got.step, job.steps);
      assert.ok(got.weights.equals(expected.weights), 'weights differ from the fault-free run');
      assert.ok(got.bias.equals(expected.bias), 'bias differs from the fault-free run');
      await rm(dir, { recursive: true, force: true });
    },
  );

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: in-process faults at rate 0.03, same weights as without`, { timeout: 120_000 }, async () => {
      const j = { ...job, seed };
      const expected = await reference(j);
      const dir = await scratch('resume-faults');
      const report = await trainHere(j, dir, 0.03);
      assert.ok(report.recoveries > 0);
      assert.equal(report.exactResume, true);
      const got = await finalWeights(dir);
      assert.ok(got.weights.equals(expected.weights) && got.bias.equals(expected.bias), `seed ${seed}: weights differ`);
      await rm(dir, { recursive: true, force: true });
    });
  }
});
