import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  Graph,
  GraphKeys,
  NotFoundError,
  Saver,
  Session,
  UsageError,
  readSaveableStates,
  type Saveable,
} from '../../src/index.ts';

async function setup(): Promise<{ dir: string; graph: Graph; sess: Session }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-saveable-'));
  const graph = new Graph();
  graph.variable(() => new Float32Array([1, 2, 3]), { name: 'w' });
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  return { dir, graph, sess };
}

/** A saveable holding one mutable record, recording what restore gave it. */
function box(initial: Record<string, unknown>): Saveable & { state: Record<string, unknown>; restored: unknown[]; absent: number } {
  const b = {
    state: initial,
    restored: [] as unknown[],
    absent: 0,
    saveState: () => b.state,
    restoreState: (s: Readonly<Record<string, unknown>>) => {
      b.restored.push(s);
      b.state = { ...s };
    },
    restoreAbsent: () => {
      b.absent++;
    },
  };
  return b;
}

describe('Saveable (checkpointed state that is not a graph variable)', () => {
  it('saves saveables with the variables and restores exactly what was saved', async () => {
    const { dir, graph, sess } = await setup();
    const state = { n: 3, nan: Number.NaN, big: 2n ** 70n, arr: new Float64Array([0.5, -0]), json: { a: [1, 'x'], $k: null } };
    const rng = box(state);
    const prefix = await new Saver({ saveables: { rng } }).save(sess, path.join(dir, 'm'), { globalStep: 1 });
    const fresh = box({});
    const saver = new Saver({ saveables: { rng: fresh } });
    await saver.restore(new Session(graph), prefix);
    assert.deepEqual(fresh.restored, [state]);
    assert.deepEqual(saver.lastRestore?.restoredSaveables, ['rng']);
    assert.deepEqual(saver.lastRestore?.absentSaveables, []);
  });

  it('takes saveables from the graph collection SAVEABLE_OBJECTS, async ones too', async () => {
    const { dir, graph, sess } = await setup();
    const hook = { saveState: async () => ({ step: 42 }), restoreState: async (s: Readonly<Record<string, unknown>>) => void (got = s) };
    let got: unknown;
    graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, { name: 'hooks/StepCounter', saveable: hook });
    const prefix = await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 1 });
    await new Saver().restore(new Session(graph), prefix);
    assert.deepEqual(got, { step: 42 });
    assert.deepEqual(await readSaveableStates(prefix), { 'hooks/StepCounter': { step: 42 } });
  });

  it('restores the variables of a checkpoint written before a saveable existed, and says the saveable was absent', async () => {
    const { dir, graph, sess } = await setup();
    const prefix = await new Saver().save(sess, path.join(dir, 'm'), { globalStep: 1 });
    const late = box({ pos: 9 });
    const saver = new Saver({ saveables: { late } });
    const restoredSess = new Session(graph);
    await saver.restore(restoredSess, prefix);
    assert.deepEqual([...(await restoredSess.run(graph.globalVariables()))[0] as Float32Array], [1, 2, 3]);
    assert.equal(late.restored.length, 0);
    assert.equal(late.absent, 1);
    assert.deepEqual(saver.lastRestore?.absentSaveables, ['late']);
    await assert.rejects(readSaveableStates(prefix, ['late']), (e) => e instanceof NotFoundError && /late/.test(e.message));
  });

  it('reports state in the checkpoint for a saveable the saver does not know', async () => {
    const { dir, graph, sess } = await setup();
    const prefix = await new Saver({ saveables: { old: box({ x: 1 }) } }).save(sess, path.join(dir, 'm'));
    const saver = new Saver();
    await saver.restore(new Session(graph), prefix);
    assert.deepEqual(saver.lastRestore?.unknownSaveables, ['old']);
  });

  it('refuses bad saveables with a typed error naming them', async () => {
    const { dir, graph, sess } = await setup();
    assert.throws(() => new Saver({ saveables: { x: {} as Saveable } }), (e) => e instanceof UsageError && /saveables\.x/.test(e.message));
    assert.throws(() => new Saver({ saveables: [] as never }), UsageError);
    const bad = { saveState: () => 5, restoreState: () => {} } as unknown as Saveable;
    await assert.rejects(new Saver({ saveables: { bad } }).save(sess, path.join(dir, 'm')), (e) => e instanceof UsageError && /bad/.test(e.message));
    graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, { name: 'dup', saveable: box({}) });
    await assert.rejects(new Saver({ saveables: { dup: box({}) } }).save(sess, path.join(dir, 'm')), (e) => e instanceof UsageError && /dup/.test(e.message));
  });
});
