import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Graph, Session, UnknownError, type Tensor } from '../../src/index.ts';
import type { ExecContext } from '../../src/graph/Tensor.ts';
import { deferred, outcome, rejectsWith, tick } from '../helpers/assert.ts';
import { params } from '../helpers/property.ts';

/** A random DAG: each node takes some earlier nodes (possibly twice) and is sync or async. */
const dagArb = fc
  .array(
    fc.record({
      inputs: fc.array(fc.nat(), { maxLength: 4 }),
      // 0: synchronous; 1: a resolved promise; 2: after some microtasks; 3: after a macrotask.
      mode: fc.integer({ min: 0, max: 3 }),
      hops: fc.integer({ min: 1, max: 4 }),
    }),
    { minLength: 1, maxLength: 25 },
  )
  .chain((nodes) =>
    fc.record({
      nodes: fc.constant(nodes),
      fetches: fc.array(fc.nat({ max: nodes.length - 1 }), { minLength: 1, maxLength: 5 }),
    }),
  );

async function later<T>(value: T, mode: number, hops: number): Promise<T> {
  if (mode === 3) await tick();
  for (let i = 0; i < hops; i++) await Promise.resolve();
  return value;
}

describe('executor: asynchronous nodes', () => {
  it('runs every needed node once, after its inputs, with the values a synchronous run gives', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async ({ nodes, fetches }) => {
        const g = new Graph();
        const tensors: Tensor<number>[] = [];
        const expected: number[] = [];
        const done = new Set<number>();
        const runs = new Map<number, number>();
        nodes.forEach((spec, i) => {
          const inputs = i === 0 ? [] : spec.inputs.map((k) => k % i);
          expected.push(inputs.reduce((sum, k) => sum + 2 * expected[k]!, i + 1));
          tensors.push(
            g.op(`n${i}`, inputs.map((k) => tensors[k]!) as Tensor<number>[], (...args: number[]) => {
              for (const k of inputs) assert.ok(done.has(k), `node ${i} ran before its input ${k} finished`);
              runs.set(i, (runs.get(i) ?? 0) + 1);
              const value = args.reduce((sum, v) => sum + 2 * v, i + 1);
              if (spec.mode === 0) {
                done.add(i);
                return value;
              }
              return later(value, spec.mode, spec.hops).then((v) => (done.add(i), v));
            }),
          );
        });
        const sess = new Session(g);
        const values = await sess.run(fetches.map((f) => tensors[f]!));
        assert.deepEqual(
          values,
          fetches.map((f) => expected[f]),
        );
        for (const count of runs.values()) assert.equal(count, 1);
      }),
      params(150),
    );
  });

  it('releases a long chain of synchronous nodes waiting on one async node without deep recursion', async () => {
    const g = new Graph();
    let last: Tensor<number> = g.op('start', [], () => Promise.resolve(0));
    for (let i = 0; i < 20_000; i++) last = g.op('inc', [last], (x) => x + 1);
    assert.equal(await new Session(g).run(last), 20_000);
  });

  it('counts an async input used twice once per use', async () => {
    const g = new Graph();
    const a = g.op('a', [], () => later(3, 3, 1));
    const twice = g.op('twice', [a, a], (x, y) => x * y);
    assert.equal(await new Session(g).run(twice), 9);
  });

  it('after a node fails, the run rejects with that failure and no waiting node starts', async () => {
    const g = new Graph();
    const failing = g.op('failing', [], () => later(0, 1, 1).then(() => Promise.reject(new Error('boom'))));
    const slow = g.op('slow', [], () => later(1, 3, 2));
    let started = 0;
    const user = g.op('user', [slow], (x) => (started++, x));
    await rejectsWith(new Session(g).run([failing, user]), UnknownError, 'boom');
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(started, 0);
  });
});

describe('RunScope.waitFor: work the run waits for and no op does', () => {
  /** A node answering `value` at once and leaving `work` for the run to wait for. */
  function leaving<T>(g: Graph, name: string, value: T, work: () => Promise<unknown>): Tensor<T> {
    return g.addNode<T>(name, 'Leaving', [], (_args, ctx: ExecContext) => {
      ctx.scope.waitFor(work());
      return value;
    });
  }

  it('users get the value at once; the run settles once the work is done', async () => {
    const g = new Graph();
    const work = deferred();
    const a = leaving(g, 'a', 2, () => work.promise);
    let usedAt: 'before' | 'after' | undefined;
    let workDone = false;
    void work.promise.then(() => (workDone = true));
    const user = g.op('user', [a], (x) => ((usedAt = workDone ? 'after' : 'before'), x + 1));
    const running = outcome(new Session(g).run(user));
    let settled = false;
    void running.then(() => (settled = true));
    await tick();
    assert.equal(usedAt, 'before');
    assert.equal(settled, false);
    work.resolve();
    assert.deepEqual(await running, { ok: true, value: 3 });
  });

  it('the run waits for every piece of work, also work left by an async node', async () => {
    const g = new Graph();
    const first = deferred();
    const second = deferred();
    const a = leaving(g, 'a', 1, () => first.promise);
    const b = g.addNode<number>('b', 'Leaving', [], (_args, ctx: ExecContext) =>
      later(2, 3, 1).then((v) => (ctx.scope.waitFor(second.promise), v)),
    );
    let settled = false;
    const running = new Session(g).run([a, b]).then((v) => ((settled = true), v));
    first.resolve();
    for (let i = 0; i < 3; i++) await tick();
    assert.equal(settled, false);
    second.resolve();
    assert.deepEqual(await running, [1, 2]);
  });

  it('failing work fails the run; work failing after the run failed is not an unhandled rejection', async () => {
    const g = new Graph();
    const a = leaving(g, 'a', 1, () => later(0, 1, 1).then(() => Promise.reject(new Error('write lost'))));
    await assert.rejects(new Session(g).run(a), /write lost/);
    const h = new Graph();
    const late = deferred();
    const b = leaving(h, 'b', 1, () => late.promise);
    const failing = h.op('failing', [], () => Promise.reject(new Error('first')));
    await rejectsWith(new Session(h).run([b, failing]), UnknownError, 'first');
    late.reject(new Error('late'));
    await tick();
  });
});
