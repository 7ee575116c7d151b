import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AbortedError,
  Coordinator,
  Graph,
  Saver,
  Session,
  arraySource,
  getOrCreateGlobalStep,
  latestCheckpoint,
  monitoredTrainingSession,
  randomGenerator,
  sourceQueueRunner,
  withSession,
} from '../../src/index.ts';
import { params } from '../helpers/property.ts';
import { scratch } from './trainRuns.ts';

const TOTAL = 24;

/**
 * A trainer whose model state is the list of what it consumed: each step appends the dequeued
 * element and one draw of the runtime's generator to `seen`. `failAt` makes chosen steps fail once.
 */
function job(capacity: number, failAt: ReadonlySet<number> = new Set()) {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const { dequeue } = sourceQueueRunner(graph, {
    source: arraySource(
      Array.from({ length: 10 }, (_, i) => i * 10),
      { repeat: true },
    ),
    capacity,
    name: 'input',
  });
  const draw = randomGenerator(graph, { seed: 3 }).uniform();
  const seen = graph.variable<[number, number][]>(() => [], { name: 'seen' });
  const failed = new Set<number>();
  const next = graph.op('next_seen', [seen, dequeue, draw, step], (s, x, r, k) => {
    if (failAt.has(k) && !failed.has(k)) {
      failed.add(k);
      throw new AbortedError(`injected at step ${k}`);
    }
    return [...s, [x, r] as [number, number]];
  });
  const train = graph.group([graph.assign(seen, next), graph.assignAdd(step, 1)], 'train');
  return { graph, step, seen, train };
}

/** What an uninterrupted run consumes in `n` steps. */
async function uninterrupted(n: number): Promise<[number, number][]> {
  const { graph, seen, train } = job(4);
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  const coord = new Coordinator();
  graph
    .getCollection<{ createThreads: (s: Session, o: object) => unknown }>('queue_runners')
    .forEach((qr) => qr.createThreads(sess, { coord }));
  for (let i = 0; i < n; i++) await sess.run(train);
  const out = await sess.run(seen);
  coord.requestStop();
  await coord.join({ stopGracePeriodSecs: 5, ignoreLiveThreads: true });
  await sess.close();
  return out;
}

type Action = { kind: 'steps'; n: number } | { kind: 'save' } | { kind: 'crash' };
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('steps' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('save' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const) }) },
);

describe('exact resume: the batches consumed', () => {
  it('for any sequence of checkpoints, crashes and resumes, the trainer consumes the uninterrupted sequence (elements and random draws)', async () => {
    const reference = await uninterrupted(TOTAL);
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 14 }),
        fc.integer({ min: 1, max: 6 }),
        async (actions, capacity) => {
          const dir = await scratch('resume-prop');
          const { graph, step, seen, train } = job(capacity);
          const saver = new Saver({ maxToKeep: 2 });
          let sess: Session | undefined;
          let coord: Coordinator | undefined;
          // A process start: a new session restored from the newest checkpoint (or initialized), producers started.
          const start = async () => {
            sess = new Session(graph);
            const latest = await latestCheckpoint(dir);
            if (latest === undefined) await sess.run(graph.globalVariablesInitializer());
            else await saver.restore(sess, latest);
            coord = new Coordinator();
            graph
              .getCollection<{ createThreads: (s: Session, o: object) => unknown }>('queue_runners')
              .forEach((qr) => qr.createThreads(sess!, { coord }));
          };
          // A crash: everything in memory is gone (queued elements included); nothing is saved.
          const crash = async () => {
            coord!.requestStop();
            await coord!.join({ stopGracePeriodSecs: 5, ignoreLiveThreads: true });
            await sess!.close();
          };
          try {
            await start();
            for (const a of actions) {
              if (a.kind === 'save')
                await saver.save(sess!, path.join(dir, 'model.ckpt'), { globalStep: await sess!.run(step) });
              if (a.kind === 'crash') {
                await crash();
                await start();
              }
              if (a.kind === 'steps')
                for (let i = 0; i < a.n && (await sess!.run(step)) < TOTAL; i++) await sess!.run(train);
            }
            while ((await sess!.run(step)) < TOTAL) await sess!.run(train);
            assert.deepEqual(await sess!.run(seen), reference);
          } finally {
            await crash();
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      params(25),
    );
  });

  it('under in-process recovery (faults at any steps), a monitored session consumes the uninterrupted sequence', async () => {
    const reference = await uninterrupted(TOTAL);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: TOTAL - 1 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 8 }),
        async (failAt, every) => {
          const dir = await scratch('resume-recover');
          const { graph, step, seen, train } = job(4, new Set(failAt));
          try {
            const sess = await monitoredTrainingSession({
              graph,
              checkpointDir: dir,
              saveCheckpointSteps: every,
              saveSummariesSteps: null,
              logStepCountSteps: null,
              recovery: { backoff: { initialMs: 0, maxMs: 0 } },
            });
            let out: [number, number][] = [];
            await withSession(sess, async (s) => {
              while ((await s.run(step)) < TOTAL) await s.run(train);
              out = await s.run(seen);
            });
            assert.deepEqual(out, reference);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      params(15),
    );
  });
});
