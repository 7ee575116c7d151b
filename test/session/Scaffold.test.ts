import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, GraphKeys, RuntimeError, Scaffold, Session, type SaverLike, type Tensor } from '../../src/index.ts';
import { throwsWith } from '../helpers/assert.ts';

const fakeSaver = (): SaverLike => ({ save: async () => 'p', restore: async () => {} });

describe('Scaffold (ScaffoldTest)', () => {
  it('test_nothing_created_before_finalize: every field is empty', () => {
    const s = new Scaffold();
    assert.equal(s.initOp, undefined);
    assert.equal(s.initFeedDict, undefined);
    assert.equal(s.initFn, undefined);
    assert.equal(s.readyOp, undefined);
    assert.equal(s.readyForLocalInitOp, undefined);
    assert.equal(s.localInitOp, undefined);
    assert.equal(s.saver, undefined);
  });

  it('test_defaults_empty_graph: ready ops report the right variables until init and local init ran', async () => {
    const g = new Graph();
    g.variable(1, { name: 'my_var' });
    g.variable(2, { name: 'my_local_var', local: true });
    const s = new Scaffold({ saver: fakeSaver() }).finalize(g);
    const sess = new Session(g);
    assert.deepEqual(await sess.run(s.readyOp!), ['my_var', 'my_local_var']);
    assert.deepEqual(await sess.run(s.readyForLocalInitOp!), ['my_var']);
    await sess.run(s.initOp!);
    assert.deepEqual(await sess.run(s.readyForLocalInitOp!), []);
    await sess.run(s.localInitOp!);
    assert.deepEqual(await sess.run(s.readyOp!), []);
    assert.equal(s.initFeedDict, undefined);
    assert.equal(s.initFn, undefined);
    assert.equal(s.localInitFeedDict, undefined);
    assert.ok(s.saver);
  });

  it('test_caches_values: two default scaffolds in one graph share the same ops', () => {
    const g = new Graph();
    g.variable(1, { name: 'v' });
    g.addToCollection(GraphKeys.SAVERS, fakeSaver());
    const a = new Scaffold().finalize(g);
    const b = new Scaffold().finalize(g);
    assert.equal(a.initOp, b.initOp);
    assert.equal(a.readyOp, b.readyOp);
    assert.equal(a.readyForLocalInitOp, b.readyForLocalInitOp);
    assert.equal(a.localInitOp, b.localInitOp);
    assert.equal(a.saver, b.saver);
  });

  it('test_raise_error_if_more_than_one_cached_item', () => {
    const g = new Graph();
    g.addToCollection(GraphKeys.SAVERS, fakeSaver());
    g.addToCollection(GraphKeys.SAVERS, fakeSaver());
    throwsWith(() => new Scaffold().finalize(g), RuntimeError, 'More than one item');
    const h = new Graph();
    h.addToCollection(GraphKeys.INIT_OP, h.noOp());
    h.addToCollection(GraphKeys.INIT_OP, h.noOp());
    throwsWith(() => new Scaffold().finalize(h), RuntimeError, /More than one item in the collection "init_op"/);
  });

  it('test_uses_passed_values: explicit values come back verbatim', () => {
    const g = new Graph();
    const ops = [2, 3, 4, 5, 6, 7].map((v) => v as unknown as Tensor);
    const saver = fakeSaver();
    const s = new Scaffold({
      initOp: ops[0]!,
      initFeedDict: { a: 3 },
      readyOp: ops[1]!,
      readyForLocalInitOp: ops[2]!,
      localInitOp: ops[3]!,
      summaryOp: ops[4] as never,
      saver,
    }).finalize(g);
    assert.deepEqual([s.initOp, s.readyOp, s.readyForLocalInitOp, s.localInitOp, s.summaryOp], ops.slice(0, 5));
    assert.deepEqual(s.initFeedDict, { a: 3 });
    assert.equal(s.saver, saver);
  });

  it('test_new_scaffold_from_existing_scaffold: explicit args override, others are copied, init_fn re-bound', async () => {
    const g = new Graph();
    const calls: Scaffold[] = [];
    const initFn = (scaffold: Scaffold) => void calls.push(scaffold);
    const a = new Scaffold({ initOp: 1 as never, readyOp: 2 as never, initFn, saver: fakeSaver() });
    const b = new Scaffold({ readyOp: 9 as never, copyFromScaffold: a });
    assert.equal(b.initOp, 1);
    assert.equal(b.readyOp, 9);
    assert.equal(b.saver, a.saver);
    assert.equal(typeof b.initFn, 'function');
    await b.initFn!(new Session(g));
    assert.deepEqual(calls, [b]);
  });

  it('test_copy_from_scaffold_is_scaffold', () => {
    throwsWith(
      () => new Scaffold({ copyFromScaffold: 1 as never }),
      TypeError,
      'copy_from_scaffold is not a Scaffold instance',
    );
  });

  it('test_graph_is_finalized: adding an op after finalize fails', () => {
    const g = new Graph();
    new Scaffold().finalize(g);
    throwsWith(() => g.constant(1), RuntimeError, 'Graph is finalized and cannot be modified');
  });
});
