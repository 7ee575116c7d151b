import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { buildIrisModel, irisData } from '../../src/cli/iris.ts';
import { AbortedError, Graph, Session, getOrCreateGlobalStep } from '../../src/index.ts';
import { closeRedisConnections } from '../../src/redis/index.ts';
import type { RedisStore } from '../../src/redis/RedisStore.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

let server: RedisServer;
let jobs = 0;
const newJob = (): string => `p${process.pid}-${++jobs}`;

before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await closeRedisConnections();
  await server.stop();
});

async function admin() {
  const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
  await client.connect();
  return client;
}

/** How many times sockets of this process flush writes while `fn` runs (one flush per round trip). */
async function flushes(fn: () => Promise<void>): Promise<number> {
  const proto = net.Socket.prototype as unknown as Record<'_writev' | '_write', (...args: unknown[]) => unknown>;
  const originals = { _writev: proto._writev, _write: proto._write };
  let count = 0;
  for (const name of ['_writev', '_write'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      count++;
      return originals[name].apply(this, args);
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(proto, originals);
  }
  return count;
}

describe('Redis store: one step, two round trips', () => {
  it("an Iris step: its reads and the step's increment in one round trip, its writes in one more", async () => {
    const model = buildIrisModel({ seed: 1, faultRate: 0 });
    const data = irisData();
    const feed = new Map([[model.batch, { xs: data.xs.slice(0, 64), ys: data.ys.slice(0, 16) }]]);
    const sess = new Session(model.graph, { target: server.target(newJob(), '&queues=local') });
    await sess.store.startEpoch!();
    await sess.run(model.graph.globalVariablesInitializer());
    for (let i = 0; i < 3; i++) await sess.run([model.train, model.step], feed);
    const steps = 20;
    let last = 0;
    const count = await flushes(async () => {
      for (let i = 0; i < steps; i++) [, last] = await sess.run([model.train, model.step], feed);
    });
    assert.equal(last, 3 + steps);
    // A keep-alive PING may add one.
    assert.ok(count >= 2 * steps && count <= 2 * steps + 1, `${count} socket flushes for ${steps} steps`);
    await sess.close();
  });

  it('readVariableOr is one read: value, fallback when unset, AbortedError after an epoch change', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const v = g.variable(4, { name: 'v' });
    const sess = new Session(g, { target });
    await sess.store.startEpoch!();
    await sess.run(v.initializer);
    const store = sess.store;
    assert.equal(await store.readVariableOr!('v', 7), 4);
    assert.equal(await store.readVariableOr!('unset', 7), 7);
    const other = new Session(g, { target });
    await other.store.startEpoch!();
    await rejectsWith(Promise.resolve(store.readVariableOr!('unset', 7)), AbortedError, 'run generation');
    await Promise.all([sess.close(), other.close()]);
  });

  it('variable keys follow the bound run generation (no cached key of an older one is used)', async () => {
    const job = newJob();
    const g = new Graph();
    const v = g.variable(1, { name: 'v' });
    const sess = new Session(g, { target: server.target(job) });
    const store = sess.store as RedisStore;
    const redis = await admin();
    try {
      await store.startEpoch();
      await sess.run(v.initializer);
      const first = String(await redis.get(`ms:${job}:epoch`));
      assert.equal(await redis.get(`ms:${job}:${first}:v:v`), '1');
      // The same view starts a new generation: its writes and reads go to the new keys.
      await store.startEpoch();
      const second = String(await redis.get(`ms:${job}:epoch`));
      assert.notEqual(second, first);
      await sess.run(g.assign(v, 5));
      assert.equal(await redis.get(`ms:${job}:${second}:v:v`), '5');
      await redis.set(`ms:${job}:${second}:v:v`, '6');
      assert.equal(await sess.run(v), 6);
      // Adopting another generation moves the keys along too.
      await redis.set(`ms:${job}:epoch`, 'third');
      await redis.set(`ms:${job}:third:v:v`, '8');
      store.adopt('third');
      assert.equal(await sess.run(v), 8);
    } finally {
      await redis.close();
      await sess.close();
    }
  });

  it('assignVariable answers the value it wrote; writeVariable answers nothing; both write the same bytes', async () => {
    const g = new Graph();
    const sess = new Session(g, { target: server.target(newJob(), '&epoch=new') });
    const store = sess.store as RedisStore;
    const value = Float32Array.of(1.5, -2);
    assert.equal(await store.assignVariable('a', value), value);
    assert.equal(await store.writeVariable('b', value), undefined);
    assert.deepEqual(await store.readVariable('a'), value);
    assert.deepEqual(await store.readVariable('b'), value);
    await sess.close();
  });

  it('a tick whose first operation is an integer add checks the epoch too', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const sess = new Session(g, { target });
    await sess.store.startEpoch!();
    await sess.run(step.initializer);
    const add = g.assignAdd(step, 1);
    for (let i = 1; i <= 3; i++) assert.equal(await sess.run(add), i);
    const other = new Session(g, { target });
    await other.store.startEpoch!();
    await rejectsWith(sess.run(add), AbortedError, 'run generation of this job changed');
    await Promise.all([sess.close(), other.close()]);
  });

  it('an integer add falls back to the general add once a fraction was written there', async () => {
    const g = new Graph();
    const x = g.variable(1, { name: 'x' });
    const sess = new Session(g, { target: server.target(newJob(), '&epoch=new') });
    await sess.run(x.initializer);
    const add = g.assignAdd(x, 1);
    assert.equal(await sess.run(add), 2);
    assert.equal(await sess.run(add), 3);
    await sess.run(g.assign(x, 0.5));
    assert.equal(await sess.run(add), 1.5);
    assert.equal(await sess.run(add), 2.5);
    await sess.close();
  });
});
