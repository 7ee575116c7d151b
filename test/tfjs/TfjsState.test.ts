import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Graph, Saver, Session, UsageError } from '../../src/index.ts';
import { TfjsState, TfjsStateMismatchError, registerTfjsState } from '../../src/tfjs/index.ts';
import { batchOf, optimizerValues, tinyLoss, tinyModel, weightsOf } from './helpers.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-state-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** One variable of every tfjs dtype (complex64 where the backend has complex kernels: not WASM). */
function allDtypes(): Record<string, tf.Variable> {
  const complex = tf.getBackend() === 'wasm' ? {} : { c: tf.variable(tf.complex([1, 2], [3, -4])) };
  return {
    ...complex,
    f: tf.variable(
      tf.tensor2d([
        [1.5, -2.25],
        [Math.PI, 1e-30],
      ]),
    ),
    i: tf.variable(tf.tensor1d([7, -8, 2 ** 31 - 1], 'int32')),
    b: tf.variable(tf.tensor1d([true, false, true], 'bool')),
    s: tf.variable(tf.tensor1d(['héllo', '', 'wörld'], 'string')),
  };
}

async function valuesOf(vars: Record<string, tf.Variable>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars))
    out[k] = {
      dtype: v.dtype,
      shape: v.shape,
      data: v.dtype === 'string' ? await v.bytes() : Array.from(v.dataSync() as Float32Array),
    };
  return out;
}

/** Overwrites every variable with other values of its dtype and shape. */
function scramble(vars: Record<string, tf.Variable>): void {
  tf.tidy(() => {
    vars['f']!.assign(tf.zeros([2, 2]));
    vars['i']!.assign(tf.tensor1d([0, 0, 0], 'int32'));
    vars['b']!.assign(tf.tensor1d([false, true, false], 'bool'));
    vars['c']?.assign(tf.complex([0, 0], [0, 0]));
    vars['s']!.assign(tf.tensor1d(['x', 'y', 'z'], 'string'));
  });
}

describe('TfjsState', () => {
  it('round-trips every tfjs dtype through a checkpoint, as raw bytes', async () => {
    const vars = allDtypes();
    const expected = await valuesOf(vars);
    const graph = new Graph();
    registerTfjsState(graph, { variables: vars });
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const saver = new Saver();
    const prefix = await saver.save(sess, path.join(await tempDir(), 'model'));
    scramble(vars);
    assert.notDeepEqual(await valuesOf(vars), expected);
    await saver.restore(sess, prefix);
    assert.deepEqual(await valuesOf(vars), expected);
    // The index holds shapes and dtypes; the values are bytes in the data file (no JSON of floats).
    const index = await readFile(`${prefix}.index`, 'utf8');
    assert.doesNotMatch(index, /3\.14159/);
    if (vars['c'] !== undefined) assert.match(index, /complex64/);
    for (const v of Object.values(vars)) v.dispose();
  });

  it('round-trips optimizer state (SGD, momentum, Adam, RMSProp, Adagrad, Adadelta) bit for bit', async () => {
    for (const make of [
      () => tf.train.sgd(0.1),
      () => tf.train.momentum(0.1, 0.9, true),
      () => tf.train.adam(0.05),
      () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
      () => tf.train.adagrad(0.1),
      () => tf.train.adadelta(1, 0.95),
    ]) {
      const model = tinyModel(3);
      const optimizer = make();
      const state = new TfjsState({ model, optimizer });
      const train = (step: number): void => tf.dispose(optimizer.minimize(() => tinyLoss(model, batchOf(step)), true)!);
      for (let s = 0; s < 5; s++) train(s);
      const saved = await state.saveState();
      const [w5, o5] = [weightsOf(model), await optimizerValues(optimizer)];
      for (let s = 5; s < 10; s++) train(s);
      const w10 = weightsOf(model);
      assert.notDeepEqual(w10, w5);
      await state.restoreState(saved);
      assert.deepEqual(weightsOf(model), w5);
      assert.deepEqual(await optimizerValues(optimizer), o5);
      assert.equal(optimizer.iterations, 5);
      for (let s = 5; s < 10; s++) train(s);
      assert.deepEqual(weightsOf(model), w10, `${optimizer.getClassName()}: resumed training must match bit for bit`);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('restores optimizer state into a fresh optimizer (no slots yet), and slots back to none', async () => {
    const model = tinyModel(4);
    const optimizer = tf.train.adam(0.05);
    const state = new TfjsState({ model, optimizer });
    const fresh = await state.saveState();
    for (let s = 0; s < 3; s++) tf.dispose(optimizer.minimize(() => tinyLoss(model, batchOf(s)), true)!);
    const trained = await state.saveState();
    const before = tf.memory().numTensors;
    await state.restoreState(fresh);
    assert.equal((await optimizerValues(optimizer)).length, 1, 'only the iteration count is left');
    assert.equal(optimizer.iterations, 0);
    assert.equal(tf.memory().numTensors, before - 4, 'the 4 Adam slots are disposed');
    const other = tf.train.adam(0.05);
    const otherState = new TfjsState({ model, optimizer: other });
    await otherState.restoreState(trained);
    assert.deepEqual(await optimizerValues(other), optimizerValuesOf(trained));
    other.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('refuses another shape, dtype or optimizer with a typed error naming the variable, writing nothing', async () => {
    const w = tf.variable(tf.zeros([2, 3]));
    const state = new TfjsState({ variables: { w }, optimizer: tf.train.sgd(0.1) });
    const good = await state.saveState();
    const wrongShape = {
      ...good,
      'variables/w': { dtype: 'float32', shape: [3, 2], data: new Float32Array(6).fill(1) },
    };
    await assert.rejects(state.restoreState(wrongShape), (e: unknown) => {
      assert.ok(e instanceof TfjsStateMismatchError);
      assert.equal(e.variable, 'variables/w');
      assert.equal(e.expected, '[2,3] float32');
      assert.equal(e.actual, '[3,2] float32');
      assert.match(e.message, /variables\/w/);
      return true;
    });
    const wrongDtype = { ...good, 'variables/w': { dtype: 'int32', shape: [2, 3], data: new Int32Array(6) } };
    await assert.rejects(state.restoreState(wrongDtype), {
      name: 'TfjsStateMismatchError',
      variable: 'variables/w',
      actual: '[2,3] int32',
    });
    const { ['variables/w']: _dropped, ...missing } = good;
    await assert.rejects(state.restoreState(missing), { variable: 'variables/w', actual: 'absent' });
    await assert.rejects(state.restoreState({ ...good, 'variables/extra': good['variables/w'] }), {
      variable: 'variables/extra',
      expected: 'absent',
    });
    const adam = new TfjsState({ variables: { w }, optimizer: tf.train.adam() });
    await assert.rejects(adam.restoreState(good), {
      variable: 'optimizer',
      expected: 'a Adam optimizer',
      actual: 'SGD state',
    });
    assert.deepEqual(Array.from(w.dataSync()), [0, 0, 0, 0, 0, 0], 'nothing was written');
    w.dispose();
  });

  it('refuses a checkpoint written without tfjs state with NotFoundError', async () => {
    const w = tf.variable(tf.zeros([2]));
    const dir = await tempDir();
    const plain = new Graph();
    plain.variable(0, { name: 'global_step' });
    const plainSess = new Session(plain);
    await plainSess.run(plain.globalVariablesInitializer());
    const prefix = await new Saver().save(plainSess, path.join(dir, 'model'));
    const graph = new Graph();
    graph.variable(0, { name: 'global_step' });
    const sess = new Session(graph);
    await assert.rejects(
      new Saver({ saveables: { tfjs: new TfjsState({ variables: { w } }) } }).restore(sess, prefix),
      {
        name: 'NotFoundError',
        message: /holds no tfjs state/,
      },
    );
    w.dispose();
  });

  it('refuses misuse with UsageError naming the option', () => {
    assert.throws(
      () => new TfjsState({ variables: { w: 3 as unknown as tf.Variable } }),
      (e: unknown) => e instanceof UsageError && /variables\.w/.test(e.message),
    );
    assert.throws(() => new TfjsState({ optimizer: {} as tf.Optimizer }), UsageError);
    assert.throws(() => new TfjsState({ modle: 1 } as never), /did you mean `model`/);
  });

  it('leaks no tensor over many save/restore cycles', async () => {
    const model = tinyModel(5);
    const optimizer = tf.train.adam(0.05);
    const state = new TfjsState({ model, optimizer });
    tf.dispose(optimizer.minimize(() => tinyLoss(model, batchOf(0)), true)!);
    const saved = await state.saveState();
    await state.restoreState(saved);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) await state.restoreState(await state.saveState());
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    model.dispose();
  });
});

function optimizerValuesOf(state: Record<string, unknown>): number[][] {
  const opt = state['optimizer'] as { iterations: number; slots: { data: Float32Array }[] };
  return [[opt.iterations], ...opt.slots.map((s) => Array.from(s.data))];
}
