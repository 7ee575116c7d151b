import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Graph,
  GraphKeys,
  RuntimeError,
  Session,
  Tensor,
  ValueError,
  Variable,
  createGlobalStep,
  getGlobalStep,
  getOrCreateGlobalStep,
} from '../../src/index.ts';
import { throwsWith } from '../helpers/assert.ts';

describe('Graph', () => {
  it('makes duplicate names unique the TensorFlow way: x, x_1, x_2', () => {
    const g = new Graph();
    assert.equal(g.constant(1, 'x').name, 'x');
    assert.equal(g.constant(2, 'x').name, 'x_1');
    assert.equal(g.constant(3, 'x').name, 'x_2');
    // A name that happens to look generated is still unique.
    assert.equal(g.constant(4, 'y_1').name, 'y_1');
    assert.equal(g.constant(5, 'y').name, 'y');
    assert.equal(g.constant(6, 'y').name, 'y_2');
  });

  it('gives default names by op type', () => {
    const g = new Graph();
    assert.equal(g.placeholder().name, 'Placeholder');
    assert.equal(g.constant(0).name, 'Const');
    assert.equal(g.variable(0).name, 'Variable');
    assert.equal(g.noOp().name, 'NoOp');
    assert.equal(g.group([]).name, 'group_deps');
    assert.equal(g.fifoQueue({ capacity: 1 }).name, 'fifo_queue');
  });

  it('rejects bad names with a ValueError naming the API and the value', () => {
    const g = new Graph();
    throwsWith(() => g.constant(1, ''), ValueError, /Graph\.constant: expected `name`.*got ""/);
    throwsWith(() => g.placeholder('a:1'), ValueError, 'got "a:1"');
    throwsWith(() => g.variable(0, { name: 'has space' }), ValueError, 'Graph.variable');
  });

  it("refuses every change once finalized, with TensorFlow's message, until unfinalized", () => {
    const g = new Graph();
    const v = g.variable(1, { name: 'v' });
    g.finalize();
    assert.equal(g.finalized, true);
    const finalized = 'Graph is finalized and cannot be modified';
    throwsWith(() => g.constant(1), RuntimeError, finalized);
    throwsWith(() => g.placeholder(), RuntimeError, finalized);
    throwsWith(() => g.variable(0), RuntimeError, finalized);
    throwsWith(() => g.op('o', [v], (x) => x), RuntimeError, finalized);
    throwsWith(() => g.assign(v, 2), RuntimeError, finalized);
    throwsWith(() => g.assignAdd(v as Variable<number>, 2), RuntimeError, finalized);
    throwsWith(() => g.group([v]), RuntimeError, finalized);
    throwsWith(() => g.noOp(), RuntimeError, finalized);
    throwsWith(() => g.fifoQueue({ capacity: 1 }), RuntimeError, finalized);
    throwsWith(() => g.addToCollection('k', 1), RuntimeError, finalized);
    throwsWith(() => g.globalVariablesInitializer(), RuntimeError, finalized);
    g.unsafeUnfinalize();
    assert.equal(g.finalized, false);
    assert.equal(g.constant(1, 'after').name, 'after');
  });

  it('puts variables in the right collections', () => {
    const g = new Graph();
    const a = g.variable(0, { name: 'a' });
    const b = g.variable(0, { name: 'b', trainable: false });
    const l = g.variable(0, { name: 'l', local: true });
    const c = g.variable(0, { name: 'c', collections: ['custom'] });
    assert.deepEqual(g.globalVariables(), [a, b]);
    assert.deepEqual(g.trainableVariables(), [a]);
    assert.deepEqual(g.localVariables(), [l]);
    assert.deepEqual(g.getCollection('custom'), [c]);
    assert.equal(l.trainable, false);
    assert.equal(l.local, true);
  });

  it('collections: add, copy on read, clear, keys', () => {
    const g = new Graph();
    g.addToCollection('k', 1);
    g.addToCollection('k', 2);
    const got = g.getCollection<number>('k');
    got.push(99);
    assert.deepEqual(g.getCollection('k'), [1, 2]);
    assert.deepEqual(g.getCollection('missing'), []);
    assert.deepEqual(g.getAllCollectionKeys(), ['k']);
    g.clearCollection('k');
    assert.deepEqual(g.getCollection('k'), []);
  });

  it('getTensorByName accepts name and name:0, and throws ValueError for unknown names', () => {
    const g = new Graph();
    const x = g.constant(1, 'x');
    assert.equal(g.getTensorByName('x'), x);
    assert.equal(g.getTensorByName('x:0'), x);
    throwsWith(() => g.getTensorByName('nope'), ValueError, '"nope"');
    assert.equal(g.tryGetTensorByName('nope'), undefined);
  });

  it('op inputs must be tensors of the same graph', () => {
    const g = new Graph();
    const other = new Graph().constant(1, 'o');
    throwsWith(() => g.op('bad', [other], (x) => x), ValueError, /same graph/);
    throwsWith(() => g.op('bad', [1 as unknown as Tensor], (x) => x), TypeError, /`inputs\[0\]` to be a Tensor, got 1/);
    throwsWith(() => g.op('bad', [], 'nope' as never), TypeError, /`fn` to be a function/);
  });

  it('fifoQueue validates its capacity', () => {
    const g = new Graph();
    throwsWith(() => g.fifoQueue({ capacity: 0 }), ValueError, /`capacity`.*got 0/);
    throwsWith(() => g.fifoQueue({ capacity: 1.5 }), ValueError, 'got 1.5');
    assert.equal(g.fifoQueue({ capacity: Infinity }).capacity, Infinity);
  });

  it('initializers and reportUninitializedVariables cover global and local variables', async () => {
    const g = new Graph();
    g.variable(1, { name: 'my_var' });
    g.variable(2, { name: 'my_local_var', local: true });
    const report = g.reportUninitializedVariables();
    const sess = new Session(g);
    assert.deepEqual(await sess.run(report), ['my_var', 'my_local_var']);
    await sess.run(g.globalVariablesInitializer());
    assert.deepEqual(await sess.run(report), ['my_local_var']);
    await sess.run(g.localVariablesInitializer());
    assert.deepEqual(await sess.run(report), []);
  });

  it('an initializer function is called at every initialization; plain values are copied', async () => {
    const g = new Graph();
    let calls = 0;
    const lazy = g.variable(() => ++calls, { name: 'lazy' });
    const init = new Float32Array([1, 2]);
    const arr = g.variable(init, { name: 'arr' });
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    await sess.run(g.globalVariablesInitializer());
    assert.equal(await sess.run(lazy), 2);
    const value = await sess.run(arr);
    assert.notEqual(value, init);
    value[0] = 42;
    await sess.run(arr.initializer);
    assert.deepEqual([...(await sess.run(arr))], [1, 2]);
    assert.deepEqual([...init], [1, 2]);
  });
});

describe('global step', () => {
  it('getOrCreateGlobalStep creates one non-trainable global_step variable and reuses it', () => {
    const g = new Graph();
    assert.equal(getGlobalStep(g), undefined);
    const step = getOrCreateGlobalStep(g);
    assert.equal(step.name, 'global_step');
    assert.equal(step.trainable, false);
    assert.equal(getOrCreateGlobalStep(g), step);
    assert.equal(getGlobalStep(g), step);
    assert.deepEqual(g.getCollection(GraphKeys.GLOBAL_STEP), [step]);
    assert.ok(g.globalVariables().includes(step));
    throwsWith(() => createGlobalStep(g), ValueError, 'already exists');
  });

  it('getGlobalStep finds a variable named global_step outside the collection', () => {
    const g = new Graph();
    const v = g.variable(0, { name: 'global_step' });
    assert.equal(getGlobalStep(g), v);
  });

  it('getGlobalStep refuses an ambiguous collection', () => {
    const g = new Graph();
    g.addToCollection(GraphKeys.GLOBAL_STEP, g.variable(0, { name: 'a' }));
    g.addToCollection(GraphKeys.GLOBAL_STEP, g.variable(0, { name: 'b' }));
    throwsWith(() => getGlobalStep(g), ValueError, 'multiple');
  });

  it('starts at 0 and counts with assignAdd', async () => {
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const inc = g.assignAdd(step, 1);
    const sess = new Session(g);
    await sess.run(g.globalVariablesInitializer());
    assert.equal(await sess.run(step), 0);
    assert.equal(await sess.run(inc), 1);
    assert.equal(await sess.run(inc), 2);
    assert.equal(await sess.run(step), 2);
  });
});
