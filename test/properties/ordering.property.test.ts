/**
 * fc.scheduler() explores the orderings of producers (queue runners), async hooks, runs and close:
 * whatever the interleaving, the close order holds (hooks end, then producers stop, then the
 * session closes), nothing runs after close, and no run fails with anything but "the session
 * ended".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CancelledError,
  ChiefSessionCreator,
  MonitoredSession,
  OutOfRangeError,
  QueueRunner,
  RuntimeError,
  TestClock,
  addQueueRunner,
  type Hook,
  type Session,
  type SessionCreator,
} from '../../src/index.ts';
import { params } from '../helpers/property.ts';
import { gstepGraph } from '../helpers/tf.ts';

/** A creator whose sessions log their close. */
function loggingCreator(inner: SessionCreator, log: string[]): SessionCreator {
  return {
    createSession: async () => {
      const session = await inner.createSession();
      return new Proxy(session, {
        get(target, prop) {
          if (prop === 'close')
            return async () => {
              log.push('session.close');
              await target.close();
            };
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }) as Session;
    },
  };
}

/** What one interleaving showed: the scenarios the pinned regressions are about. */
interface Seen {
  /** close() began while a run was between its beforeRun and the end of its afterRun. */
  closeWithRunInFlight: boolean;
  /** A run started after close() began, and was refused as "already closed". */
  runRefusedAfterClose: boolean;
}

const orderingProperty = (seen: Seen[] = []) =>
  fc.asyncProperty(
    fc.scheduler(),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: 3 }),
    async (s, runs, producers) => {
      const log: string[] = [];
      /** Runs whose beforeRun began and whose afterRun has not finished. */
      let afterRunPending = 0;
      const clock = new TestClock();
      const { graph } = gstepGraph();
      const q = graph.fifoQueue<number>({ capacity: 2, name: 'input' });
      let next = 0;
      const enqueueOps = Array.from({ length: producers }, (_, i) =>
        q.enqueue(
          graph.op(`produce_${i}`, [], async () => {
            const v = await s.schedule(Promise.resolve(next++), `produce_${i}`);
            log.push('produce');
            return v;
          }),
        ),
      );
      addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps }));
      const dequeue = q.dequeue();
      const hook: Hook = {
        afterCreateSession: async () => {
          await s.schedule(Promise.resolve(), 'afterCreateSession');
          log.push('hook.afterCreateSession');
        },
        beforeRun: async () => {
          afterRunPending++;
          await s.schedule(Promise.resolve(), 'beforeRun');
          log.push('hook.beforeRun');
          return undefined;
        },
        afterRun: async () => {
          await s.schedule(Promise.resolve(), 'afterRun');
          log.push('hook.afterRun');
          afterRunPending--;
        },
        end: async () => {
          await s.schedule(Promise.resolve(), 'end');
          log.push('hook.end');
        },
      };
      const errors: unknown[] = [];
      const observed: Seen = { closeWithRunInFlight: false, runRefusedAfterClose: false };
      seen.push(observed);
      let inFlight = 0;
      let closeBegan = false;
      const program = async (): Promise<MonitoredSession> => {
        const sess = await MonitoredSession.create({
          sessionCreator: loggingCreator(new ChiefSessionCreator({ graph }), log),
          hooks: [hook],
          clock,
        });
        const consumer = (async () => {
          for (let i = 0; i < runs; i++) {
            const startedAfterClose = closeBegan;
            inFlight++;
            try {
              await sess.run(dequeue);
            } catch (error) {
              errors.push(error);
              if (startedAfterClose && /already closed/.test(String(error))) observed.runRefusedAfterClose = true;
              break;
            } finally {
              inFlight--;
            }
          }
        })();
        const closer = s.schedule(Promise.resolve(), 'close').then(async () => {
          closeBegan = true;
          if (afterRunPending > 0) observed.closeWithRunInFlight = true;
          await sess.close();
          log.push('closed');
        });
        await Promise.all([consumer, closer]);
        return sess;
      };
      const sess = await s.waitFor(program());
      // Runs may only fail because the session ended under them.
      for (const e of errors) {
        assert.ok(
          e instanceof RuntimeError || e instanceof CancelledError || e instanceof OutOfRangeError,
          `unexpected run error ${String(e)}`,
        );
      }
      const closeAt = log.indexOf('session.close');
      assert.ok(closeAt >= 0, 'the session was closed');
      assert.equal(log.at(-1), 'closed');
      assert.equal(log.lastIndexOf('produce') < closeAt, true, 'no producer ran after the session closed');
      const endAt = log.indexOf('hook.end');
      assert.ok(endAt >= 0 && endAt < closeAt, 'hooks end before the session closes');
      assert.ok(
        log.slice(endAt + 1).every((e) => !e.startsWith('hook.')),
        'no hook call after end',
      );
      assert.equal(sess.snapshot.value, 'closed');
      assert.deepEqual(Object.keys(sess.snapshot.children), []);
      assert.equal(clock.pendingTimers, 0);
    },
  );

describe('orderings of producers, async hooks, runs and close (fc.scheduler)', () => {
  it('the close order holds in every interleaving', async () => {
    await fc.assert(orderingProperty(), params(100));
  });

  // Failures this property found, kept as fixed regressions (seed and path of each counterexample):
  // close did not wait for a run in flight, so its afterRun came after end (1859995454, 2109719358,
  // 431922091); a run started after close() began was not refused (233023901).
  const pinned = [
    [1859995454, '0:1:0', 'closeWithRunInFlight'],
    [2109719358, '2:1:1:0', 'closeWithRunInFlight'],
    [431922091, '2:2:1', 'closeWithRunInFlight'],
    [233023901, '2:1:0:1', 'runRefusedAfterClose'],
  ] as const;
  for (const [seed, path, scenario] of pinned) {
    it(`regression: FC_SEED=${seed} path ${path} (${scenario})`, async () => {
      const seen: Seen[] = [];
      await fc.assert(orderingProperty(seen), { seed, path, endOnFailure: true });
      // The replayed interleaving is the one the regression is about, not just any passing one.
      assert.ok(
        seen.at(-1)?.[scenario],
        `the pinned interleaving no longer shows ${scenario}: ${JSON.stringify(seen.at(-1))}`,
      );
    });
  }
});
