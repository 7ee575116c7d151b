// Starts the real CLI as child processes (node:child_process, through trainRuns.ts): not in test:quick.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compiledCli, finalWeights, runCli, scratch, trainHere, type Job, type KillMoment } from './trainRuns.ts';

const KILLS = Number(process.env['RESUME_KILLS'] ?? 50);
/** Chains run side by side: a start-up of the CLI costs more than its training. */
const PARALLEL = Number(process.env['RESUME_PARALLEL'] ?? 4);
const seed = Number(process.env['FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

const job: Job = { steps: 150, saveEvery: 5, seed: 7 };
const moment: fc.Arbitrary<KillMoment> = fc.oneof(
  // A step kill lands within 100 ms of the first save: the 150-step job runs about that long after it.
  fc.record({ kind: fc.constant('step' as const), delayMs: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('save' as const), nth: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('restore' as const), delayMs: fc.integer({ min: 0, max: 3 }) }),
);

describe('exact resume under kill -9', () => {
  it(
    `${KILLS} SIGKILLs of the CLI at random moments (steps, saves, restores): each restarted job ends with the uninterrupted weights, bit for bit`,
    { timeout: 1_800_000 },
    async () => {
      const reference = await scratch('resume-ref');
      const [cli] = await Promise.all([compiledCli(), trainHere(job, reference)]);
      const expected = await finalWeights(reference);
      assert.equal(expected.step, job.steps);
      // Kill moments still to use; one a run finished before goes back once (a fresh directory
      // runs longest), then counts as missed: a moment that cannot land is not retried forever.
      const queue = fc.sample(moment, { numRuns: KILLS, seed }).map((m) => ({ m, tries: 0 }));
      const landed = { step: 0, save: 0, restore: 0 };
      let chains = 0;
      // A chain restarts the job in one directory until it finishes, taking kill moments as it goes.
      const chain = async (): Promise<void> => {
        while (queue.length > 0) {
          const dir = await scratch('resume-kill');
          chains++;
          for (;;) {
            const next = queue.shift();
            const run = await runCli(job, dir, next?.m, [], cli.command);
            if (run.killed) {
              landed[next!.m.kind]++;
              continue;
            }
            if (next !== undefined && ++next.tries < 2) queue.push(next);
            assert.equal(run.code, 0, `the job failed after a kill: ${run.stderr.slice(-2000)}`);
            const report = JSON.parse(run.stdout) as {
              exactResume: boolean;
              exactResumeReasons: string[];
              finalStep: number;
            };
            assert.equal(report.exactResume, true, `not exact: ${report.exactResumeReasons.join('; ')}`);
            const got = await finalWeights(dir);
            assert.equal(got.step, job.steps);
            assert.ok(
              got.weights.equals(expected.weights),
              `weights differ from the uninterrupted run (FC_SEED=${seed}, dir ${dir})`,
            );
            assert.ok(
              got.bias.equals(expected.bias),
              `bias differs from the uninterrupted run (FC_SEED=${seed}, dir ${dir})`,
            );
            await rm(dir, { recursive: true, force: true });
            break;
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: PARALLEL }, chain));
      } catch (error) {
        console.error(`kill test failed with FC_SEED=${seed}`);
        throw error;
      } finally {
        await cli.dispose();
      }
      const total = landed.step + landed.save + landed.restore;
      console.log(
        `# ${total} kills in ${chains} jobs: ${landed.step} during steps, ${landed.save} at saves, ${landed.restore} at restores`,
      );
      assert.ok(total >= KILLS * 0.8, `only ${total} of ${KILLS} kills landed before the job finished`);
      await rm(reference, { recursive: true, force: true });
    },
  );
});
