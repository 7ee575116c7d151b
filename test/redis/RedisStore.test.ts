import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import {
  AbortedError,
  DeadlineExceededError,
  FailedPreconditionError,
  Graph,
  InvalidArgumentError,
  ResourceExhaustedError,
  Session,
  UnavailableError,
  getOrCreateGlobalStep,
} from '../../src/index.ts';
import { closeRedisConnections } from '../../src/redis/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

const run = promisify(execFile);
let server: RedisServer;
let jobs = 0;
const newJob = (): string => `t${process.pid}-${++jobs}`;

before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await closeRedisConnections();
  await server.stop();
});

/** A chief's session on a fresh job: new run generation, initialized, marked ready. */
async function chief(g: Graph, target: string): Promise<Session> {
  const sess = new Session(g, { target });
  await sess.store.startEpoch!();
  await sess.run(g.globalVariablesInitializer());
  await sess.store.markReady!();
  return sess;
}

const VALUES: Record<string, unknown> = {
  integer: 42,
  fraction: 0.1 + 0.2,
  negativeZero: -0,
  nan: Number.NaN,
  infinity: -Infinity,
  bigint: -(2n ** 70n) + 3n,
  string: 'héllo',
  boolean: true,
  nothing: null,
  float32: Float32Array.of(1.5, -2.25, Number.NaN),
  float64: Float64Array.of(Math.PI, -0),
  int8: Int8Array.of(-128, 127),
  int16: Int16Array.of(-32768, 1),
  int32: Int32Array.of(-(2 ** 31), 7),
  uint8: Uint8Array.of(0, 255),
  uint8clamped: Uint8ClampedArray.of(3, 250),
  uint16: Uint16Array.of(65535),
  uint32: Uint32Array.of(2 ** 32 - 1),
  bigint64: BigInt64Array.of(-(2n ** 63n)),
  biguint64: BigUint64Array.of(2n ** 64n - 1n),
  empty: new Float32Array(0),
  nested: { w: Float32Array.of(1, 2), meta: { step: 3, tags: ['a', 'b'], big: 5n }, when: new Date(0), $odd: 1 },
  collections: { m: new Map<unknown, unknown>([['k', Int32Array.of(1)]]), s: new Set([1, 'x']), u: [undefined] },
};

describe('Redis store', () => {
  it('round-trips every kind of value the Saver handles, through a second process view', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const vars = Object.entries(VALUES).map(([name, value]) => g.variable(value, { name }));
    const writer = await chief(g, target);
    const reader = new Session(g, { target });
    const read = await reader.run(vars);
    for (const [i, [name, value]] of Object.entries(VALUES).entries()) {
      assert.deepEqual(read[i], value, `variable ${name}`);
      if (ArrayBuffer.isView(value)) assert.equal(read[i]!.constructor, value.constructor, `dtype of ${name}`);
    }
    await Promise.all([writer.close(), reader.close()]);
  });

  it('reading a variable nobody initialized is FailedPreconditionError', async () => {
    const g = new Graph();
    const v = g.variable(1, { name: 'never_set' });
    const other = g.variable(2, { name: 'set' });
    const sess = new Session(g, { target: server.target(newJob()) });
    await sess.store.startEpoch!();
    await sess.run(other.initializer);
    await rejectsWith(sess.run(v), FailedPreconditionError, 'Attempting to use uninitialized value never_set');
    assert.deepEqual(await sess.run(g.reportUninitializedVariables()), ['never_set']);
    await sess.close();
  });

  it('a worker before the chief is ready sees nothing initialized, and cannot write', async () => {
    const g = new Graph();
    const v = g.variable(1, { name: 'v' });
    const worker = new Session(g, { target: server.target(newJob()) });
    assert.deepEqual(await worker.run(g.reportUninitializedVariables()), ['v']);
    await rejectsWith(worker.run(v.initializer), AbortedError, 'no run generation ready yet');
    await worker.close();
  });

  it('a new run generation (chief restarted) is AbortedError for sessions on the old one', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const first = await chief(g, target);
    const worker = new Session(g, { target });
    assert.equal(await worker.run(step), 0);
    const second = await chief(g, target);
    await rejectsWith(worker.run(step), AbortedError, 'run generation of this job changed');
    await rejectsWith(first.run(g.assignAdd(step, 1)), AbortedError);
    assert.equal(await second.run(step), 0);
    await Promise.all([first.close(), second.close(), worker.close()]);
  });

  it('a server that lost its data is AbortedError, never silent training on empty state', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const sess = await chief(g, target);
    const admin = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await admin.connect();
    await admin.flushAll();
    await admin.close();
    await rejectsWith(sess.run(step), AbortedError, 'run generation of this job is gone');
    await sess.close();
  });

  it('connection loss is UnavailableError; after a restart the lost state is AbortedError', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const sess = await chief(g, target);
    await server.kill9();
    await rejectsWith(sess.run(step), UnavailableError);
    await server.restart();
    let error: unknown;
    for (let i = 0; i < 100 && !(error instanceof AbortedError); i++) {
      try {
        await sess.run(step);
      } catch (e) {
        error = e;
        assert.ok(e instanceof AbortedError || e instanceof UnavailableError, `got ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(error instanceof AbortedError);
    await sess.close();
  });

  it('a full server (OOM under noeviction) is ResourceExhaustedError', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const big = g.variable(() => new Float64Array(1 << 18), { name: 'big' });
    const sess = new Session(g, { target });
    await sess.store.startEpoch!();
    const admin = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await admin.connect();
    await admin.configSet('maxmemory', '1mb');
    try {
      await rejectsWith(sess.run(big.initializer), ResourceExhaustedError, 'OOM');
    } finally {
      await admin.configSet('maxmemory', '0');
      await admin.close();
    }
    await sess.close();
  });

  it('a timed-out dequeue blocked in Redis is unblocked at once and takes no later element', async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const q = g.fifoQueue<number>({ capacity: 4, name: 'q' });
    const sess = new Session(g, { target });
    await sess.store.startEpoch!();
    const started = Date.now();
    await rejectsWith(sess.run(q.dequeue(), null, { timeoutInMs: 150 }), DeadlineExceededError);
    assert.ok(Date.now() - started < 1000, 'the timeout fired late');
    const admin = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await admin.connect();
    // CLIENT UNBLOCK released the BLPOP: nobody is blocked on the server any more.
    const deadline = Date.now() + 2000;
    let blocked = Number.NaN;
    while (Date.now() < deadline && blocked !== 0) {
      blocked = Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);
      await new Promise((r) => setTimeout(r, 10));
    }
    await admin.close();
    assert.equal(blocked, 0);
    await sess.run(q.enqueue(g.constant(5)));
    assert.equal(await sess.run(q.size()), 1);
    assert.equal(await sess.run(q.dequeue()), 5);
    await sess.close();
  });

  it('two processes doing 1,000 increments each end at exactly 2,000', { timeout: 60_000 }, async () => {
    const target = server.target(newJob());
    const g = new Graph();
    const step = getOrCreateGlobalStep(g);
    const sess = await chief(g, target);
    const child = new URL('./children/increment.ts', import.meta.url).pathname;
    const spawnOne = () => run(process.execPath, ['--import', 'tsx', child, target, '1000'], { timeout: 50_000 });
    const results = await Promise.all([spawnOne(), spawnOne()]);
    for (const r of results) assert.equal(r.stdout.trim(), 'done');
    assert.equal(await sess.run(step), 2000);
    await sess.close();
  });

  it('refuses malformed targets with InvalidArgumentError', () => {
    const g = new Graph();
    assert.throws(() => new Session(g, { target: `redis://127.0.0.1:${server.port}/0` }), InvalidArgumentError);
    assert.throws(() => new Session(g, { target: `redis://127.0.0.1:${server.port}/x?job=a` }), InvalidArgumentError);
    assert.throws(
      () => new Session(g, { target: `redis://127.0.0.1:${server.port}/0?job=a&jbo=b` }),
      /unknown parameter/,
    );
  });
});

describe('Redis store: assignAdd', () => {
  it('adds atomically to integers, fractions and bigints, and refuses uninitialized variables', async () => {
    const g = new Graph();
    const i = g.variable(1, { name: 'i' });
    const f = g.variable(0.5, { name: 'f' });
    const n = g.variable(2n ** 64n, { name: 'n' });
    const never = g.variable(0, { name: 'never' });
    const sess = new Session(g, { target: server.target(newJob(), '&epoch=new') });
    await sess.run([i.initializer, f.initializer, n.initializer]);
    assert.deepEqual(await sess.run([g.assignAdd(i, 2), g.assignAdd(f, 0.25), g.assignAdd(n, 1n)]), [
      3,
      0.75,
      2n ** 64n + 1n,
    ]);
    assert.deepEqual(await sess.run([g.assignAdd(i, 0.5), g.assignAdd(f, 1)]), [3.5, 1.75]);
    await rejectsWith(sess.run(g.assignAdd(never, 1)), FailedPreconditionError, 'uninitialized value never');
    assert.deepEqual(await sess.run(g.reportUninitializedVariables()), ['never']);
    await sess.close();
  });
});
