import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Graph,
  UsageValueError,
  Server,
  Session,
  UnavailableError,
  getOrCreateGlobalStep,
  registerTargetResolver,
  type ResourceStore,
} from '../../src/index.ts';
import { rejectsWith, tick } from '../helpers/assert.ts';

function model() {
  const g = new Graph();
  const step = getOrCreateGlobalStep(g);
  const q = g.fifoQueue<number>({ capacity: 10, name: 'shared_q' });
  return { g, step, inc: g.assignAdd(step, 1), enqueue: q.enqueue(g.constant(7)), dequeue: q.dequeue() };
}

describe('Server', () => {
  it('sessions on one target share variables and queues, even from separately built graphs', async () => {
    const server = Server.createLocalServer();
    assert.match(server.target, /^local:\/\/.+/);
    const chief = model();
    const worker = model();
    const chiefSess = new Session(chief.g, { target: server.target });
    const workerSess = new Session(worker.g, { target: server.target });
    await chiefSess.run(chief.g.globalVariablesInitializer());
    await chiefSess.run(chief.inc);
    assert.equal(await workerSess.run(worker.step), 1);
    await workerSess.run(worker.inc);
    assert.equal(await chiefSess.run(chief.step), 2);
    await chiefSess.run(chief.enqueue);
    assert.equal(await workerSess.run(worker.dequeue), 7);
    await server.close();
  });

  it('sessions without a target keep private state', async () => {
    const { g, inc, step } = model();
    const a = new Session(g);
    const b = new Session(g);
    await a.run(g.globalVariablesInitializer());
    await b.run(g.globalVariablesInitializer());
    await a.run(inc);
    assert.equal(await b.run(step), 0);
  });

  it("a closed session lets its private values go at once; a server's values stay for the sessions still on it", async () => {
    const { g, inc, step } = model();
    const own = new Session(g);
    await own.run(g.globalVariablesInitializer());
    await own.run(inc);
    const store = own.store;
    assert.equal(store.isInitialized(step.name), true);
    await own.close();
    assert.equal(store.isInitialized(step.name), false, 'a closed private session still holds its values');

    const server = Server.createLocalServer();
    const [a, b] = [model(), model()];
    const first = new Session(a.g, { target: server.target });
    const second = new Session(b.g, { target: server.target });
    await first.run(a.g.globalVariablesInitializer());
    await first.run(a.inc);
    await first.close();
    assert.equal(await second.run(b.step), 1);
    await server.close();
  });

  it("closing the server makes its sessions' runs, pending operations and new sessions fail with UnavailableError", async () => {
    const server = Server.createLocalServer();
    const { g, step, dequeue } = model();
    const sess = new Session(g, { target: server.target });
    await sess.run(g.globalVariablesInitializer());
    const waiting = sess.run(dequeue);
    await tick();
    await server.close();
    assert.equal(server.closed, true);
    await rejectsWith(waiting, UnavailableError, 'was closed');
    await rejectsWith(sess.run(step), UnavailableError, `Server ${server.target} was closed.`);
    assert.throws(() => new Session(g, { target: server.target }), UnavailableError);
  });

  it('closing one session on a shared target cancels only its own pending operations', async () => {
    const server = Server.createLocalServer();
    const { g, dequeue, enqueue } = model();
    const a = new Session(g, { target: server.target });
    const b = new Session(g, { target: server.target });
    const aWaits = a.run(dequeue);
    const bWaits = b.run(dequeue);
    await tick();
    await a.close();
    await assert.rejects(aWaits, { name: 'CancelledError' });
    await b.run(enqueue);
    assert.equal(await bWaits, 7);
    await server.close();
  });

  it('other targets plug in through registerTargetResolver', async () => {
    const seen: string[] = [];
    const values = new Map<string, unknown>();
    const store: ResourceStore = {
      readVariable: async (name) => values.get(name),
      writeVariable: async (name, value) => void values.set(name, value),
      isInitialized: async (name) => values.has(name),
      queue: () => {
        throw new Error('no queues');
      },
      closedWith: undefined,
      close: () => {},
    };
    const unregister = registerTargetResolver('mem:', (target) => (seen.push(target), store));
    try {
      const { g, step, inc } = model();
      const sess = new Session(g, { target: 'mem://one' });
      await sess.run(g.globalVariablesInitializer());
      await sess.run(inc);
      assert.equal(await sess.run(step), 1);
      assert.deepEqual(seen, ['mem://one']);
    } finally {
      unregister();
    }
    assert.throws(() => new Session(new Graph(), { target: 'mem://one' }), UsageValueError);
    assert.throws(() => registerTargetResolver('local:', () => store), UsageValueError);
  });

  it("assignments go through a store's assignVariable when it has one (the value it answers)", async () => {
    const values = new Map<string, unknown>();
    const calls: string[] = [];
    const store: ResourceStore = {
      readVariable: (name) => values.get(name),
      writeVariable: (name, value) => void (calls.push(`write ${name}`), values.set(name, value)),
      assignVariable: async (name, value) => (calls.push(`assign ${name}`), values.set(name, value), value),
      isInitialized: (name) => values.has(name),
      queue: () => {
        throw new Error('no queues');
      },
      closedWith: undefined,
      close: () => {},
    };
    const unregister = registerTargetResolver('assigning:', () => store);
    try {
      const g = new Graph();
      const v = g.variable(1, { name: 'v' });
      const sess = new Session(g, { target: 'assigning://one' });
      await sess.run(v.initializer);
      assert.equal(await sess.run(g.assign(v, 5)), 5);
      assert.equal(await sess.run(g.assign(v, g.constant(6))), 6);
      assert.equal(await sess.run(v), 6);
      assert.deepEqual(calls, ['assign v', 'assign v', 'assign v']);
    } finally {
      unregister();
    }
  });
});
