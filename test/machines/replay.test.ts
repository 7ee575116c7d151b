/**
 * Model-based replay: paths through the lifecycle spec (built with xstate/graph from event
 * sequences), each driven on a real MonitoredSession; the live snapshot must walk exactly the
 * path's states. Together the paths visit every state of the chart.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { getPathsFromEvents } from 'xstate/graph';
import { leafStatePath, leafStates, lifecycleMachine, lifecycleSpec, specEdges } from '../../machines/index.ts';
import {
  AbortedError,
  ChiefSessionCreator,
  MonitoredSession,
  RuntimeError,
  Saver,
  Server,
  Session,
  TestClock,
  UnknownError,
  WorkerSessionCreator,
  withSession,
  type Hook,
} from '../../src/index.ts';
import { FaultPlan, FaultySessionCreator } from '../../src/testing/index.ts';
import { errorOf, tick } from '../helpers/assert.ts';
import { recorder } from '../helpers/lifecycle.ts';
import { coordinatorGrabber, gstepGraph } from '../helpers/tf.ts';

/** The states a path walks, as a live actor shows them: states left by an eventless edge never show. */
function expectedStates(events: readonly string[]): string[] {
  const [p] = getPathsFromEvents(lifecycleSpec, events.map((type) => ({ type })) as never);
  assert.ok(p, 'the events form a path of the spec');
  const steps = p.steps.map((s) => ({ state: leafStatePath(s.state.value), event: s.event.type }));
  assert.equal(steps.length, events.length + 1, `every event is an edge of the spec: ${events.join(' | ')}`);
  const out: string[] = [];
  steps.forEach((s, i) => {
    const next = steps[i + 1]?.event;
    if (next?.startsWith('always')) return;
    if (out.at(-1) !== s.state) out.push(s.state);
  });
  return out;
}

interface Scenario {
  name: string;
  events: string[];
  drive: (rec: ReturnType<typeof recorder>) => Promise<void>;
}

const nop: Hook = { afterRun() {} };

const scenarios: Scenario[] = [
  {
    name: 'clean run and close, one hook',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE [lastHook]',
      'CLOSE [sessionActive]',
      'HOOK.DONE [lastHook]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const { graph, doStep } = gstepGraph();
      await withSession(MonitoredSession.create({ graph, inspect, hooks: [nop] }), (s) => s.run(doStep));
    },
  },
  {
    name: 'two hooks, restore from a checkpoint',
    events: [
      'beginHooks done',
      'openSession done [canRestore]',
      'restoreSession done',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE',
      'HOOK.DONE [lastHook]',
      'CLOSE [sessionActive]',
      'HOOK.DONE',
      'HOOK.DONE [lastHook]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ms-replay-'));
      const { graph } = gstepGraph();
      const sess = new Session(graph);
      await sess.run(graph.globalVariablesInitializer());
      await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
      await withSession(
        MonitoredSession.create({
          sessionCreator: new ChiefSessionCreator({ graph, checkpointDir: dir }),
          inspect,
          hooks: [nop, nop],
        }),
        () => {},
      );
    },
  },
  {
    name: 'recovery with a backoff on the clock',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'RECOVER',
      'DECIDED [decidedToRecover]',
      'closeStack done',
      'always [noDelay]',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'RECOVER',
      'DECIDED [decidedToRecover]',
      'closeStack done',
      'after backoff',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'CLOSE [sessionActive]',
      'always [noHooks]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const clock = new TestClock();
      const plan = new FaultPlan();
      const { graph, doStep } = gstepGraph();
      const sess = await MonitoredSession.create({
        sessionCreator: new FaultySessionCreator(new ChiefSessionCreator({ graph }), plan),
        inspect,
        clock,
        recovery: { backoff: { initialMs: 100, jitter: 0 } },
      });
      // The step fails, and again once retried (after the 4 runs of the new session's
      // initialization): the first recovery is immediate, the second in a row waits for the backoff.
      const calls = plan.calls('run');
      plan.at('run', calls + 1, { kind: 'aborted' }).at('run', calls + 6, { kind: 'aborted' });
      const running = sess.run(doStep);
      await tick();
      await clock.advance(100);
      assert.equal(await running, 1);
      await sess.close();
    },
  },
  {
    name: 'a refused recovery detaches; the next run creates a session',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'RECOVER',
      'DECIDED [decidedToDetach]',
      'closeStack done',
      'CREATE',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'CLOSE [sessionActive]',
      'always [noHooks]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const plan = new FaultPlan();
      const { graph, doStep } = gstepGraph();
      const sess = await MonitoredSession.create({
        sessionCreator: new FaultySessionCreator(new ChiefSessionCreator({ graph }), plan),
        inspect,
        recovery: { maxRetries: 0 },
      });
      plan.next('run', { kind: 'unavailable' });
      assert.ok((await errorOf(sess.run(doStep))) instanceof Error);
      assert.equal(await sess.run(doStep), 1);
      await sess.close();
    },
  },
  {
    name: 'the first creation fails for good',
    events: ['beginHooks done', 'openSession failed', 'always [neverCreated]', 'closeStack done'],
    drive: async ({ inspect }) => {
      const plan = new FaultPlan().next('create', { kind: 'error' });
      const { graph } = gstepGraph();
      assert.ok(
        (await errorOf(
          MonitoredSession.create({
            sessionCreator: new FaultySessionCreator(new ChiefSessionCreator({ graph }), plan),
            inspect,
          }),
        )) instanceof Error,
      );
    },
  },
  {
    name: 'a lost first creation is retried at once',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession failed',
      'always [decidedToRecover]',
      'closeStack done',
      'always [noDelay]',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'always [noHooks]',
      'CLOSE [sessionActive]',
      'always [noHooks]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const plan = new FaultPlan().next('init', { kind: 'aborted' });
      const { graph } = gstepGraph();
      await withSession(
        MonitoredSession.create({
          sessionCreator: new FaultySessionCreator(new ChiefSessionCreator({ graph }), plan),
          inspect,
          recovery: { backoff: { initialMs: 0 } },
        }),
        () => {},
      );
    },
  },
  {
    name: 'begin fails',
    events: ['beginHooks failed'],
    drive: async ({ inspect }) => {
      const { graph } = gstepGraph();
      assert.ok(
        (await errorOf(
          MonitoredSession.create({
            graph,
            inspect,
            hooks: [
              {
                begin: () => {
                  throw new RuntimeError('no');
                },
              },
            ],
          }),
        )) instanceof RuntimeError,
      );
    },
  },
  {
    name: 'afterCreateSession fails on the first session',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.FAILED',
      'always [neverCreated]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const { graph } = gstepGraph();
      assert.ok(
        (await errorOf(
          MonitoredSession.create({
            graph,
            inspect,
            hooks: [
              {
                afterCreateSession: () => {
                  throw new RuntimeError('no');
                },
              },
            ],
          }),
        )) instanceof RuntimeError,
      );
    },
  },
  {
    name: 'a worker waits for the chief, then is closed while waiting',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession failed [isNotReady]',
      'after chiefWait',
      'openSession done [isStepped]',
      'initializeSession failed [isNotReady]',
      'CLOSE',
      'closeStack done',
    ],
    drive: async ({ inspect, root }) => {
      const clock = new TestClock();
      const server = Server.createLocalServer();
      const { graph } = gstepGraph();
      const creating = errorOf(
        MonitoredSession.create({
          sessionCreator: new WorkerSessionCreator({ graph, master: server.target, clock }),
          inspect,
          clock,
        }),
      );
      await tick();
      await clock.advance(30_000);
      root().send({ type: 'CLOSE', kind: 'clean' });
      await tick();
      void creating;
      await server.close();
    },
  },
  {
    name: 'a fatal error held by the coordinator turns a recovery into a failure (E11)',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE [lastHook]',
      'RECOVER',
      'DECIDED [decidedToRecover]',
      'closeStack failed',
      'CLOSE',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const grab = coordinatorGrabber();
      const { graph, doStep } = gstepGraph();
      const sess = await MonitoredSession.create({
        graph,
        inspect,
        hooks: [
          {
            ...grab.hook,
            beforeRun: () => {
              grab.coord().requestStop(new UnknownError('fatal'));
              throw new AbortedError('lost');
            },
          },
        ],
      });
      assert.ok((await errorOf(sess.run(doStep))) instanceof UnknownError);
      await sess.close();
    },
  },
  {
    name: 'a stale recovery report is ignored; a hung end is abandoned after the grace period',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE [lastHook]',
      'RECOVER [isStale]',
      'CLOSE [sessionActive]',
      'after endGrace [lastHook]',
      'closeStack done',
    ],
    drive: async ({ inspect, root }) => {
      const clock = new TestClock();
      const { graph } = gstepGraph();
      const sess = await MonitoredSession.create({
        graph,
        inspect,
        clock,
        stopGracePeriodSecs: 1,
        hooks: [{ end: () => new Promise<void>(() => {}) }],
      });
      root().send({ type: 'RECOVER', error: new AbortedError('old'), source: 'run', generation: -1 });
      const closing = sess.close();
      await tick();
      await clock.advance(1000);
      await closing;
    },
  },
  {
    name: 'end fails at a clean close; the stored error fails the session close',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE',
      'HOOK.DONE [lastHook]',
      'CLOSE [sessionActive]',
      'HOOK.FAILED',
      'closeStack failed',
    ],
    drive: async ({ inspect }) => {
      const grab = coordinatorGrabber();
      const { graph } = gstepGraph();
      const sess = await MonitoredSession.create({
        graph,
        inspect,
        hooks: [
          grab.hook,
          {
            end: () => {
              throw new RuntimeError('end failed');
            },
          },
        ],
      });
      grab.coord().requestStop(new UnknownError('stored'));
      assert.ok((await errorOf(sess.close())) instanceof UnknownError);
    },
  },
  {
    name: 'an error close tells endOnError, and a failing one does not stop the others',
    events: [
      'beginHooks done',
      'openSession done [isStepped]',
      'initializeSession done',
      'startCoordinator done',
      'HOOK.DONE',
      'HOOK.DONE [lastHook]',
      'CLOSE [sessionActive]',
      'HOOK.FAILED [errorClose]',
      'HOOK.DONE [lastHook]',
      'closeStack done',
    ],
    drive: async ({ inspect }) => {
      const { graph } = gstepGraph();
      const failing = {
        endOnError: () => {
          throw new Error('x');
        },
      };
      const sess = await MonitoredSession.create({ graph, inspect, hooks: [failing, nop] });
      await errorOf(
        withSession(sess, () => {
          throw new RuntimeError('body');
        }),
      );
    },
  },
];

describe('model-based replay of lifecycle paths on real sessions', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const rec = recorder();
      await scenario.drive(rec);
      assert.deepEqual(rec.states, expectedStates(scenario.events));
    });
  }

  it('the replayed paths visit every state of the chart', () => {
    const visited = new Set(scenarios.flatMap((s) => expectedStates(s.events)));
    // Transient states are entered and left in one step; they are on the paths as edges.
    const transient = new Set(['deciding']);
    const missing = leafStates(lifecycleMachine).filter((s) => !visited.has(s) && !transient.has(s));
    assert.deepEqual(missing, []);
    const edges = new Set(specEdges(lifecycleMachine).map((e) => e.event));
    const used = new Set(scenarios.flatMap((s) => s.events));
    assert.ok([...used].every((e) => edges.has(e)));
  });
});
