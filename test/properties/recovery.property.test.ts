/**
 * Properties of creation and recovery under random faults at every creation seam, with
 * checkpoints: create succeeds exactly when no non-recoverable fault hits it; a recovery that
 * meets a non-recoverable creation fault escapes with that very error and leaves the session
 * detached, and the next run recreates one; the global step never goes back past the last
 * checkpoint.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CheckpointSaverHook,
  ChiefSessionCreator,
  MonitoredSession,
  TestClock,
  isRecoverable,
  latestCheckpoint,
} from '../../src/index.ts';
import { FaultPlan, FaultySessionCreator, type FaultKind } from '../../src/testing/index.ts';
import { params } from '../helpers/property.ts';
import { gstepGraph } from '../helpers/tf.ts';

const KINDS: FaultKind[] = ['aborted', 'unavailable', 'endOfInput', 'error', 'nonError'];
const SEAMS = ['create', 'restore', 'init', 'run'] as const;

/** Faults on the first calls of each creation seam, as a schedule. */
const scheduleArb = fc.array(
  fc.record({
    seam: fc.constantFrom(...SEAMS),
    call: fc.integer({ min: 1, max: 6 }),
    kind: fc.constantFrom(...KINDS),
    async: fc.boolean(),
  }),
  { maxLength: 6 },
);

describe('properties of creation and recovery', () => {
  it('creation: create() fails exactly with the first non-recoverable creation fault; recoverable ones are retried', async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const plan = new FaultPlan();
        for (const f of schedule) if (f.seam !== 'run') plan.at(f.seam, f.call, { kind: f.kind, async: f.async });
        const { graph, gstep } = gstepGraph();
        const begins: number[] = [];
        const created = MonitoredSession.create({
          sessionCreator: new FaultySessionCreator(new ChiefSessionCreator({ graph }), plan),
          hooks: [{ begin: () => void begins.push(1) }],
          recovery: { backoff: { initialMs: 0 } },
        }).then(
          (s) => ({ ok: true as const, s }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const outcome = await created;
        const fatal = plan.injected.find((f) => !isRecoverable(f.value));
        assert.equal(begins.length, 1);
        if (fatal) {
          assert.ok(!outcome.ok, 'create succeeded despite a non-recoverable fault');
          assert.equal(outcome.error, fatal.value);
          assert.equal(plan.injected.at(-1), fatal, 'nothing ran after the fatal fault');
        } else {
          assert.ok(outcome.ok, `create failed: ${String(!outcome.ok && outcome.error)}`);
          assert.equal(outcome.s.snapshot.context.recoveries, plan.injected.length);
          assert.equal(await outcome.s.run(gstep), 0);
          await outcome.s.close();
        }
      }),
      params(150),
    );
  });

  it('recovery with checkpoints: errors escape exactly when non-recoverable; the step never goes back past the last checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.option(fc.record({ seam: fc.constantFrom(...SEAMS), kind: fc.constantFrom(...KINDS) }), { freq: 2 }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.integer({ min: 1, max: 4 }),
        async (steps, saveEvery) => {
          const dir = await mkdtemp(path.join(tmpdir(), 'ms-prop-'));
          const clock = new TestClock();
          try {
            const plan = new FaultPlan();
            const { graph, doStep } = gstepGraph();
            const sess = await MonitoredSession.create({
              sessionCreator: new FaultySessionCreator(
                new ChiefSessionCreator({ graph, checkpointDir: dir, clock }),
                plan,
              ),
              hooks: [
                new CheckpointSaverHook({ checkpointDir: dir, saveSteps: saveEvery, saveGraphDef: false, clock }),
              ],
              clock,
              recovery: { backoff: { initialMs: 0 } },
            });
            let step = 0;
            for (const fault of steps) {
              // A creation fault can only bite during a recovery: pair it with a lost session.
              if (fault) {
                if (fault.seam === 'run') plan.next('run', { kind: fault.kind });
                else {
                  plan.next('run', { kind: 'aborted' });
                  plan.next(fault.seam, { kind: fault.kind });
                }
              }
              const before = plan.injected.length;
              const lastSaved = Number((await latestCheckpoint(dir))?.split('-').pop() ?? 0);
              let result: number | undefined;
              let error: unknown;
              try {
                result = await sess.run(doStep);
              } catch (e) {
                error = e;
              }
              const injected = plan.injected.slice(before);
              const fatal = injected.find((f) => !isRecoverable(f.value));
              if (fatal) {
                assert.equal(error, fatal.value, 'the non-recoverable fault escapes as it is');
              } else {
                assert.equal(error, undefined, `a recoverable fault escaped: ${String(error)}`);
                if (injected.length === 0) assert.equal(result, step + 1);
                else assert.ok(result! >= lastSaved + 1, `step went back from checkpoint ${lastSaved} to ${result}`);
                step = result!;
              }
              if (error !== undefined && fatal?.seam === 'run') continue;
              if (error !== undefined) {
                // A failed recovery leaves no session; the next run creates one from the checkpoint.
                assert.equal(sess.snapshot.value, 'detached');
                step = Number((await latestCheckpoint(dir))?.split('-').pop() ?? 0);
              }
            }
            await sess.close();
            assert.equal(sess.snapshot.value, 'closed');
            assert.equal(clock.pendingTimers, 0);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      params(60),
    );
  });
});
