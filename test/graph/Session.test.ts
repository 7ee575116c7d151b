import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortedError,
  DeadlineExceededError,
  FailedPreconditionError,
  Graph,
  InvalidArgumentError,
  RuntimeError,
  Session,
  TestClock,
  TraceLevel,
  UnknownError,
  UsageValueError,
  ValueError,
  getOrCreateGlobalStep,
  type RunMetadata,
} from '../../src/index.ts';
import { deferred, rejectsWith, tick } from '../helpers/assert.ts';

async function initialized(g: Graph): Promise<Session> {
  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());
  return sess;
}

describe('Session.run', () => {
  it('returns results in the shape of nested arrays and objects, with names as fetches', async () => {
    const g = new Graph();
    const a = g.constant(1, 'a');
    const b = g.constant('two', 'b');
    const sess = new Session(g);
    const result = await sess.run({ x: a, nested: [b, { deep: 'a:0' }], nothing: null, list: [] });
    assert.deepEqual(result, { x: 1, nested: ['two', { deep: 1 }], nothing: null, list: [] });
    // The static type follows the structure.
    const typed: { x: number; nested: [string, { deep: unknown }] } = result;
    assert.equal(typed.x, 1);
    assert.equal(await sess.run('b'), 'two');
    assert.deepEqual(await sess.run([a, a]), [1, 1]);
  });

  it('evaluates each node once per run, even when fetched twice and shared by branches', async () => {
    const g = new Graph();
    let calls = 0;
    const shared = g.op('shared', [], () => ++calls);
    const left = g.op('left', [shared], (s) => s + 1);
    const right = g.op('right', [shared], (s) => s + 2);
    const sess = new Session(g);
    assert.deepEqual(await sess.run([left, right, shared, shared]), [2, 3, 1, 1]);
    assert.equal(calls, 1);
    await sess.run([left, right]);
    assert.equal(calls, 2);
  });

  it('runs independent async branches concurrently', async () => {
    const g = new Graph();
    const gateA = deferred<number>();
    const gateB = deferred<number>();
    const started: string[] = [];
    const a = g.op('a', [], () => (started.push('a'), gateA.promise));
    const b = g.op('b', [], () => (started.push('b'), gateB.promise));
    const sum = g.op('sum', [a, b], (x, y) => x + y);
    const sess = new Session(g);
    const run = sess.run(sum);
    await tick();
    // Both started before either finished.
    assert.deepEqual(started, ['a', 'b']);
    gateB.resolve(2);
    gateA.resolve(40);
    assert.equal(await run, 42);
  });

  it('feeds any tensor, not only placeholders, and skips what the feed replaces', async () => {
    const g = new Graph();
    let upstreamCalls = 0;
    const upstream = g.op('upstream', [], () => ++upstreamCalls);
    const doubled = g.op('doubled', [upstream], (u) => u * 2);
    const x = g.placeholder<number>('x');
    const plus = g.op('plus', [x, doubled], (x, d) => x + d);
    const sess = new Session(g);
    assert.equal(
      await sess.run(
        plus,
        new Map([
          [x, 1],
          [upstream, 10],
        ]),
      ),
      21,
    );
    assert.equal(upstreamCalls, 0);
    assert.equal(await sess.run(plus, { x: 1, doubled: 5 }), 6);
    assert.equal(await sess.run(plus, { 'x:0': 2 }), 4);
    assert.equal(upstreamCalls, 1);
  });

  it('does not change a user feed map', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const sess = new Session(g);
    const feeds = new Map([[x, 3]]);
    await sess.run(x, feeds);
    assert.equal(feeds.size, 1);
  });

  it('rejects a needed placeholder that is not fed with InvalidArgumentError naming it, before running anything', async () => {
    const g = new Graph();
    let sideEffects = 0;
    const effect = g.op('effect', [], () => ++sideEffects);
    const x = g.placeholder<number>('my_input');
    const both = g.group([effect, x]);
    const sess = new Session(g);
    const error = await rejectsWith(
      sess.run(both),
      InvalidArgumentError,
      "You must feed a value for placeholder tensor 'my_input'",
    );
    assert.equal((error as InvalidArgumentError).op, 'my_input');
    assert.equal(sideEffects, 0);
  });

  it('rejects unknown fetches and feeds, and tensors of another graph, naming them', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const other = new Graph().constant(1, 'elsewhere');
    const sess = new Session(g);
    await rejectsWith(sess.run('nope'), InvalidArgumentError, /fetch "nope" does not name a node/);
    await rejectsWith(sess.run(other), InvalidArgumentError, /elsewhere.*not an element of this graph/);
    await rejectsWith(sess.run(x, { nope: 1 }), InvalidArgumentError, /feed key "nope"/);
    await rejectsWith(sess.run(x, new Map([[other, 1]])), InvalidArgumentError, /not an element of this graph/);
  });

  it('rejects conflicting feeds of one tensor under two keys', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const sess = new Session(g);
    await rejectsWith(
      sess.run(
        x,
        new Map<unknown, number>([
          [x, 1],
          ['x', 2],
        ]) as never,
      ),
      InvalidArgumentError,
      "tensor 'x' is fed more than once",
    );
  });

  it('rejects fetches of invalid types with TypeError', async () => {
    const g = new Graph();
    const sess = new Session(g);
    await rejectsWith(sess.run(42 as never), TypeError, /fetch argument 42 has invalid type number/);
    await rejectsWith(sess.run(new Map() as never), TypeError, /invalid type object/);
    await rejectsWith(sess.run(g.constant(1), 'feeds' as never), TypeError, /`feedDict` to be a Map or a plain object/);
  });

  it('reading an uninitialized variable fails with FailedPreconditionError mentioning "uninitialized"', async () => {
    const g = new Graph();
    const w = g.variable(0, { name: 'w' });
    const sess = new Session(g);
    const error = await rejectsWith(sess.run(w), FailedPreconditionError, 'uninitialized');
    assert.match(error.message, /\bw\b/);
    assert.equal((error as FailedPreconditionError).op, 'w');
  });

  it('gives OpErrors thrown by an op the op name, wraps other errors in UnknownError with op and cause', async () => {
    const g = new Graph();
    const aborted = new AbortedError('preempted');
    const plain = new RangeError('bad');
    const sess = new Session(g);
    const a = await rejectsWith(
      sess.run(
        g.op('aborts', [], () => {
          throw aborted;
        }),
      ),
      AbortedError,
    );
    assert.equal(a, aborted);
    assert.equal(aborted.op, 'aborts');
    const b = await rejectsWith(
      sess.run(
        g.op('async_aborts', [], async () => {
          throw new AbortedError('late');
        }),
      ),
      AbortedError,
    );
    assert.equal((b as AbortedError).op, 'async_aborts');
    const plainOp = g.op('plain', [], () => {
      throw plain;
    });
    const p = await rejectsWith(sess.run(plainOp), UnknownError, "Op 'plain' failed with RangeError: bad");
    assert.equal((p as UnknownError).op, 'plain');
    assert.equal(p.cause, plain);
    const u = await rejectsWith(
      sess.run(
        g.op('weird', [], () => {
          throw 'a string';
        }),
      ),
      UnknownError,
      /Op 'weird' threw a non-Error value: "a string"/,
    );
    assert.equal(u.cause, 'a string');
  });

  it('a failing sync op does not leave a concurrently pending async op rejecting unobserved', async () => {
    const g = new Graph();
    const gate = deferred<number>();
    const slow = g.op('slow', [], () => gate.promise);
    const fails = g.op('fails', [], () => {
      throw new AbortedError('now');
    });
    const sess = new Session(g);
    await rejectsWith(sess.run([slow, fails]), AbortedError);
    gate.reject(new Error('late failure'));
    await tick();
    // The setup file fails this test file if the late rejection went unhandled.
  });

  it('timeoutInMs fails a slow run with DeadlineExceededError on the injected clock', async () => {
    const g = new Graph();
    const clock = new TestClock();
    const never = g.op('never', [], () => new Promise<number>(() => {}));
    const sess = new Session(g, { config: { clock } });
    const run = sess.run(never, null, { timeoutInMs: 500 });
    await clock.advance(499);
    let settled = false;
    void run.then(
      () => (settled = true),
      () => (settled = true),
    );
    await tick();
    assert.equal(settled, false);
    await clock.advance(1);
    await rejectsWith(run, DeadlineExceededError, 'timeoutInMs=500');
    assert.equal(clock.pendingTimers, 0);
  });

  it('operationTimeoutInMs applies to every run; a fast run clears its timer', async () => {
    const g = new Graph();
    const clock = new TestClock();
    const fast = g.op('fast', [], async () => 1);
    const sess = new Session(g, { config: { clock, operationTimeoutInMs: 100 } });
    assert.equal(await sess.run(fast), 1);
    assert.equal(clock.pendingTimers, 0);
    await rejectsWith(sess.run(fast, null, { timeoutInMs: -1 }), ValueError, /`options.timeoutInMs`.*got -1/);
  });

  it("fills stepStats when tracing and partitionGraphs when asked, in the caller's metadata object", async () => {
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const inc = g.assignAdd(step, 1, 'inc');
    const sess = await initialized(g);
    const metadata: RunMetadata = {};
    await sess.run(inc, null, { traceLevel: TraceLevel.FULL_TRACE, outputPartitionGraphs: true }, metadata);
    assert.deepEqual(
      metadata.stepStats?.map((s) => s.nodeName),
      ['inc'],
    );
    const stat = metadata.stepStats![0]!;
    assert.equal(stat.opType, 'AssignAdd');
    assert.ok(stat.startMicros > 1e15, 'start is in epoch microseconds');
    assert.ok(stat.durationMicros >= 0);
    assert.deepEqual(metadata.partitionGraphs?.[0]?.nodes, ['inc']);
    const untraced: RunMetadata = {};
    await sess.run(inc, null, {}, untraced);
    assert.deepEqual(untraced, {});
  });

  it('traces async nodes until they settle', async () => {
    const g = new Graph();
    const clockless = g.op('wait', [], () => new Promise<number>((r) => setTimeout(() => r(1), 20)));
    const sess = new Session(g);
    const metadata: RunMetadata = {};
    await sess.run(clockless, null, { traceLevel: 1 }, metadata);
    assert.ok(metadata.stepStats![0]!.durationMicros >= 15_000, `duration ${metadata.stepStats![0]!.durationMicros}`);
  });

  it('assign takes tensors or values; assignAdd works on bigint', async () => {
    const g = new Graph();
    const v = g.variable(1, { name: 'v' });
    const big = g.variable(10n, { name: 'big' });
    const sess = await initialized(g);
    assert.equal(await sess.run(g.assign(v, 5)), 5);
    assert.equal(
      await sess.run(
        g.assign(
          v,
          g.op('seven', [], () => 7),
        ),
      ),
      7,
    );
    assert.equal(await sess.run(g.assignAdd(big, 5n)), 15n);
    assert.equal(await sess.run(v), 7);
  });

  it('a plan is reused for the same shape and stays correct for new feeds', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const sq = g.op('sq', [x], (x) => x * x);
    const sess = new Session(g);
    for (let i = 0; i < 5; i++) assert.equal(await sess.run(sq, { x: i }), i * i);
    assert.deepEqual(await sess.run({ a: sq, b: [x] }, { x: 3 }), { a: 9, b: [3] });
  });

  it('after close, runs fail with a clear RuntimeError; closing twice is fine', async () => {
    const g = new Graph();
    const sess = new Session(g);
    await sess.close();
    await sess.close();
    assert.equal(sess.closed, true);
    await rejectsWith(sess.run(g.constant(1)), RuntimeError, 'Attempted to use a closed Session.');
  });

  it('never throws synchronously: misuse and a closed session reject the returned promise', async () => {
    const g = new Graph();
    const sess = new Session(g);
    let run: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (run = sess.run('missing')));
    await assert.rejects(run!, /missing/);
    await sess.close();
    assert.doesNotThrow(() => (run = sess.run(g.constant(1))));
    await rejectsWith(run!, RuntimeError, 'Attempted to use a closed Session.');
  });

  it('validates its constructor arguments', () => {
    assert.throws(() => new Session({} as Graph), /Session: expected `graph` to be a Graph, got \{\}/);
    assert.throws(() => new Session(new Graph(), { config: { operationTimeoutInMs: Number.NaN } }), ValueError);
    assert.throws(() => new Session(new Graph(), { target: 'bogus://x' }), UsageValueError);
  });
});
