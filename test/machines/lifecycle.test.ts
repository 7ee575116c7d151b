import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { runInThisContext } from 'node:vm';
import { describe, it } from 'node:test';
import { createActor, fromPromise, transition } from 'xstate';
import { createTestModel, getShortestPaths } from 'xstate/graph';
import { diagrams } from '../../diagrams/generate.ts';
import { leafStatePath, leafStates, lifecycleMachine, lifecycleSpec, specEdges } from '../../machines/index.ts';
import {
  AbortedError,
  MonitoredSession,
  OutOfRangeError,
  QueueRunner,
  RuntimeError,
  addQueueRunner,
  withSession,
} from '../../src/index.ts';
import { recorder } from '../helpers/lifecycle.ts';
import { FakeHook, gstepGraph, RaiseOnceAtCountN } from '../helpers/tf.ts';

const edges = specEdges(lifecycleMachine);
const always = edges.filter((e) => e.event.startsWith('always'));

/** True when the chart can go from `from` to `to` in one macrostep: one edge, then eventless ones. */
function oneStep(from: string, to: string): boolean {
  const seen = new Set<string>();
  // An edge of an ancestor (the root's CLOSE, say) applies in every state under it.
  let frontier = edges
    .filter((e) => e.from === from || e.from === '' || from.startsWith(`${e.from}.`))
    .map((e) => e.to);
  while (frontier.length > 0) {
    if (frontier.includes(to)) return true;
    const next: string[] = [];
    for (const s of frontier) {
      if (seen.has(s)) continue;
      seen.add(s);
      next.push(...always.filter((e) => e.from === s).map((e) => e.to));
    }
    frontier = next;
  }
  return false;
}

function assertWalksTheChart(states: readonly string[]): void {
  for (let i = 1; i < states.length; i++) {
    assert.ok(
      oneStep(states[i - 1]!, states[i]!),
      `no chart edge from ${states[i - 1]} to ${states[i]} (walk: ${states.join(' → ')})`,
    );
  }
}

describe('lifecycle statechart', () => {
  it('the diagrams in diagrams/ match the machines (run `npm run diagrams` after changing a machine)', async () => {
    for (const [name, text] of Object.entries(diagrams())) {
      const onDisk = await readFile(new URL(`../../diagrams/${name}`, import.meta.url), 'utf8');
      assert.equal(onDisk, text, `diagrams/${name} is stale`);
    }
  });

  it('has the states the API names', () => {
    const states = leafStates(lifecycleMachine);
    for (const s of [
      'creating',
      'initializing',
      'restoring',
      'running',
      'waitingForChief',
      'detached',
      'closed',
      'failed',
    ])
      assert.ok(states.includes(s), s);
    assert.ok(states.some((s) => s.startsWith('recovering.')));
    assert.ok(states.some((s) => s.startsWith('stopping.')));
  });

  it('model-based: shortest paths over the spec reach every state of the chart', () => {
    const paths = getShortestPaths(lifecycleSpec);
    const reached = new Set(paths.map((p) => leafStatePath(p.state.value)));
    const missing = leafStates(lifecycleMachine).filter((s) => !reached.has(s));
    assert.deepEqual(missing, []);
  });

  it('model-based: every edge of the chart is an event of the spec that leads to its target', () => {
    for (const edge of edges) {
      // A root edge (the one CLOSE) is taken from a state that has no transition of its own for it.
      const [head, tail] = (edge.from === '' ? 'detached' : edge.from).split('.');
      const from = lifecycleSpec.resolveState({
        value: tail === undefined ? head! : { [head!]: tail },
        context: {},
      } as never);
      const [next] = transition(lifecycleSpec, from, { type: edge.event } as never);
      assert.equal(leafStatePath(next.value), edge.to, `${edge.from} --${edge.event}--> ${edge.to}`);
    }
  });

  it('createTestModel works on the spec (users test their hooks along its paths)', async () => {
    const model = createTestModel(lifecycleSpec);
    const paths = model.getShortestPaths();
    assert.ok(paths.length >= leafStates(lifecycleMachine).length - 1);
    const visited: string[] = [];
    await paths[0]!.test({ states: { '*': (state) => void visited.push(leafStatePath(state.value)) } });
    assert.ok(visited.length > 0);
  });

  it('the stub implementations fail loudly when not provided', () => {
    const actor = createActor(lifecycleMachine, { input: {} });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => void errors.push(e) });
    actor.start();
    // beginHooks is a stub: the invoke fails, and the chart routes it to `failed` as an event (no crash).
    assert.equal(actor.getSnapshot().value, 'failed');
    assert.match(String(actor.getSnapshot().context.lastError), /'beginHooks' implementation was not provided/);
    assert.deepEqual(errors, []);

    // A stub action (the recovery decision) cannot be routed: the actor itself fails, loudly.
    const partial = createActor(lifecycleMachine.provide({ actors: { beginHooks: fromPromise(async () => {}) } }), {
      input: {},
    });
    const partialErrors: unknown[] = [];
    partial.subscribe({ error: (e) => void partialErrors.push(e) });
    partial.start();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      assert.equal(partialErrors.length, 1);
      assert.match(String(partialErrors[0]), /'decideRecovery' implementation was not provided/);
      assert.equal(partial.getSnapshot().status, 'error');
    });
  });
});

describe('the live snapshot walks the chart', () => {
  it('clean run', async () => {
    const { graph, doStep } = gstepGraph();
    const { states, inspect } = recorder();
    await withSession(MonitoredSession.create({ graph, inspect, hooks: [new FakeHook()] }), async (s) => {
      await s.run(doStep);
    });
    assert.deepEqual(states, [
      'beginning',
      'creating',
      'initializing',
      'startingServices.startingCoordinator',
      'startingServices.notifyingHooks',
      'running',
      'stopping.endingHooks',
      'stopping.closingSession',
      'closed',
    ]);
    assertWalksTheChart(states);
  });

  it('recovery', async () => {
    const { graph, doStep } = gstepGraph();
    const { states, inspect } = recorder();
    await withSession(
      MonitoredSession.create({
        graph,
        inspect,
        hooks: [new RaiseOnceAtCountN(2, new AbortedError('x'))],
        recovery: { backoff: { initialMs: 1 } },
      }),
      async (s) => {
        await s.run(doStep);
        await s.run(doStep);
      },
    );
    const running = states.indexOf('running');
    assert.deepEqual(states.slice(running, running + 7), [
      'running',
      'recovering.closingSession',
      'creating',
      'initializing',
      'startingServices.startingCoordinator',
      'startingServices.notifyingHooks',
      'running',
    ]);
    // A hook actor per hook and session: the recovered session has its own.
    assert.equal(states.filter((x) => x === 'startingServices.notifyingHooks').length, 2);
    assert.equal(states.at(-1), 'closed');
    assertWalksTheChart(states);
  });

  it('error close', async () => {
    const { graph } = gstepGraph();
    const { states, inspect } = recorder();
    await assert.rejects(
      withSession(MonitoredSession.create({ graph, inspect, hooks: [new FakeHook()] }), () => {
        throw new RuntimeError('boom');
      }),
      /boom/,
    );
    assert.deepEqual(states.slice(-4), ['running', 'stopping.endingHooks', 'stopping.closingSession', 'closed']);
    assertWalksTheChart(states);
  });

  it('end of input', async () => {
    const { graph } = gstepGraph();
    const q = graph.fifoQueue<number>({ capacity: 2, name: 'input' });
    let n = 0;
    const next = graph.op('next', [], () => {
      if (n >= 3) throw new OutOfRangeError('done');
      return n++;
    });
    addQueueRunner(graph, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(next)] }));
    const dequeue = q.dequeue();
    const { states, inspect } = recorder();
    let reason = '';
    await withSession(
      MonitoredSession.create({ graph, inspect, hooks: [{ end: (_s, info) => void (reason = info.reason) }] }),
      async (s) => {
        for (;;) await s.run(dequeue);
      },
    );
    assert.equal(reason, 'endOfInput');
    assert.deepEqual(states.slice(-4), ['running', 'stopping.endingHooks', 'stopping.closingSession', 'closed']);
    assertWalksTheChart(states);
  });

  it('a failed first creation ends in failed', async () => {
    const { graph } = gstepGraph();
    const { states, inspect } = recorder();
    const boom = new RuntimeError('begin failed');
    await assert.rejects(
      MonitoredSession.create({
        graph,
        inspect,
        hooks: [
          {
            begin: () => {
              throw boom;
            },
          },
        ],
      }),
      (e) => e === boom,
    );
    assert.deepEqual(states, ['beginning', 'failed']);
    assertWalksTheChart(states);
  });
});

describe('lifecycle context', () => {
  it('stays a fast-mode object through creation, recovery and close (xstate copies it at every assign)', async () => {
    // V8 turns an object of more than about twenty properties built by Object.assign (xstate's
    // assign) into a dictionary: each copy and read then costs ten times more. Checked with V8's
    // own %HasFastProperties, compiled after allowing natives syntax for this process.
    v8.setFlagsFromString('--allow-natives-syntax');
    const fast = runInThisContext('(o) => %HasFastProperties(o)') as (o: object) => boolean;
    const { graph, doStep } = gstepGraph();
    const contexts: object[] = [];
    await withSession(
      MonitoredSession.create({ graph, hooks: [new FakeHook(), new RaiseOnceAtCountN(2, new AbortedError('x'))] }),
      async (s) => {
        contexts.push(s.snapshot.context);
        await s.run(doStep);
        await s.run(doStep);
        contexts.push(s.snapshot.context);
        assert.equal(s.snapshot.context.recoveries, 1);
      },
    );
    for (const context of contexts) {
      assert.ok(Object.keys(context).length <= 18, `${Object.keys(context).length} context fields`);
      assert.ok(fast(context), `a dictionary-mode context: ${Object.keys(context).join(', ')}`);
    }
  });
});

describe('lifecycle delays', () => {
  it('a "forever" delay (Infinity, or past 2^31 ms) is the longest timer, never the 1 ms Node would clamp it to', () => {
    const delays = lifecycleMachine.implementations.delays as Record<
      string,
      (args: { context: { config: { endGraceMs: number }; retryInMs: number } }) => number
    >;
    for (const name of ['endGrace', 'backoff', 'chiefWait']) {
      for (const ms of [Infinity, 2 ** 40]) {
        const got = delays[name]!({ context: { config: { endGraceMs: ms }, retryInMs: ms } });
        assert.equal(got, 2 ** 31 - 1, `${name}(${ms})`);
      }
      assert.equal(delays[name]!({ context: { config: { endGraceMs: 5 }, retryInMs: 5 } }), 5);
    }
  });
});
