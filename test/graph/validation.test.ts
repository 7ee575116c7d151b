import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeadlineExceededError,
  FIFOQueue,
  Graph,
  InvalidArgumentError,
  Session,
  Server,
  Tensor,
  TestClock,
  UnknownError,
  UnknownOptionError,
  UsageError,
  UsageTypeError,
  UsageValueError,
  ValueError,
  Variable,
  createGlobalStep,
  getGlobalStep,
  getOrCreateGlobalStep,
  registerTargetResolver,
  systemClock,
  type Clock,
} from '../../src/index.ts';
import { rejectsWith, throwsWith } from '../helpers/assert.ts';

/** Asserts a misuse error naming `api` and `option`. */
function misuse(
  fn: () => unknown,
  cls: typeof UsageTypeError | typeof UsageValueError,
  api: string,
  option: string,
): void {
  const error = throwsWith(fn, cls) as UsageTypeError;
  assert.ok(error instanceof UsageError);
  assert.equal(error.api, api);
  assert.equal(error.option, option);
  assert.ok(error.message.startsWith(`${api}: `), error.message);
}

describe('graph APIs refuse misuse eagerly with the UsageError family', () => {
  it('Graph: unknown options are refused naming the camelCase option meant', () => {
    const g = new Graph();
    const e = throwsWith(
      () => g.variable(0, { is_trainable: false } as never),
      UnknownOptionError,
      'Graph.variable: unknown option `is_trainable`',
    );
    assert.equal((e as UnknownOptionError).suggestion, 'trainable');
    throwsWith(() => g.fifoQueue({ capacity: 2, nmae: 'q' } as never), UnknownOptionError, 'did you mean `name`?');
    const q = g.fifoQueue<number>({ capacity: 2 });
    throwsWith(
      () => q.close({ cancel_pending_enqueues: true } as never),
      UnknownOptionError,
      '`cancelPendingEnqueues`',
    );
  });

  it('Graph: wrong types are UsageTypeErrors, wrong values UsageValueErrors, naming the option', () => {
    const g = new Graph();
    const v = g.variable(0, { name: 'v' });
    misuse(() => g.placeholder(42 as never), UsageTypeError, 'Graph.placeholder', 'name');
    misuse(() => g.constant(1, ''), UsageValueError, 'Graph.constant', 'name');
    misuse(() => g.variable(0, { trainable: 'yes' as never }), UsageTypeError, 'Graph.variable', 'trainable');
    misuse(() => g.variable(0, { collections: 'c' as never }), UsageTypeError, 'Graph.variable', 'collections');
    misuse(() => g.variable({ f: () => 1 }), UsageValueError, 'Graph.variable', 'initial');
    misuse(() => g.variable(0, null as never), UsageTypeError, 'Graph.variable', 'options');
    misuse(() => g.op('o', [], 'nope' as never), UsageTypeError, 'Graph.op', 'fn');
    misuse(() => g.op('o', 'x' as never, () => 1), UsageTypeError, 'Graph.op', 'inputs');
    misuse(() => g.op('o', [null as never], () => 1), UsageTypeError, 'Graph.op', 'inputs[0]');
    misuse(() => g.op('o', [new Graph().constant(1)], () => 1), UsageValueError, 'Graph.op', 'inputs[0]');
    misuse(() => g.assign({} as never, 1), UsageTypeError, 'Graph.assign', 'variable');
    misuse(() => g.assignAdd(v as Variable<number>, 'one' as never), UsageTypeError, 'Graph.assignAdd', 'delta');
    misuse(() => g.group(undefined as never), UsageTypeError, 'Graph.group', 'inputs');
    misuse(() => g.fifoQueue(undefined as never), UsageTypeError, 'Graph.fifoQueue', 'options');
    misuse(() => g.fifoQueue({ capacity: Number.NaN }), UsageValueError, 'Graph.fifoQueue', 'capacity');
    misuse(() => g.addToCollection(Symbol('k') as never, 1), UsageTypeError, 'Graph.addToCollection', 'key');
    misuse(() => g.getCollection(undefined as never), UsageTypeError, 'Graph.getCollection', 'key');
    misuse(() => g.variablesInitializer([1] as never), UsageTypeError, 'Graph.variablesInitializer', 'variables');
    misuse(() => g.variablesInitializer(undefined as never), UsageTypeError, 'Graph.variablesInitializer', 'variables');
    misuse(
      () => g.reportUninitializedVariables('v' as never),
      UsageTypeError,
      'Graph.reportUninitializedVariables',
      'variables',
    );
    misuse(() => g.getTensorByName(7 as never), UsageTypeError, 'Graph.getTensorByName', 'name');
    misuse(() => g.uniqueName(undefined as never), UsageTypeError, 'Graph.uniqueName', 'name');
  });

  it('FIFOQueue, Tensor and Variable constructors and queue methods check their arguments', () => {
    const g = new Graph();
    misuse(() => new FIFOQueue(undefined as never, 'q', 1), UsageTypeError, 'FIFOQueue', 'graph');
    misuse(() => new FIFOQueue(g, 'q', 0), UsageValueError, 'FIFOQueue', 'capacity');
    misuse(() => new Tensor(g, 1, 'x', 'Const', null as never, () => 1), UsageTypeError, 'Tensor', 'inputs');
    misuse(() => new Tensor({} as never, 1, 'x', 'Const', [], () => 1), UsageTypeError, 'Tensor', 'graph');
    misuse(
      () => new Variable(g, 1, 'v', 0, undefined as never, () => g.noOp() as never),
      UsageTypeError,
      'Variable',
      'options',
    );
    const q = g.fifoQueue<number>({ capacity: 2, name: 'q' });
    misuse(() => q.enqueue(1, 5 as never), UsageTypeError, 'FIFOQueue.enqueue', 'name');
    misuse(() => q.dequeueMany(Number.POSITIVE_INFINITY), UsageValueError, "FIFOQueue('q').dequeueMany", 'n');
    misuse(
      () => q.close({ cancelPendingEnqueues: 1 as never }),
      UsageTypeError,
      'FIFOQueue.close',
      'cancelPendingEnqueues',
    );
  });

  it('a second global step and a missing tensor name are UsageValueErrors (still ValueErrors)', () => {
    const g = new Graph();
    createGlobalStep(g);
    const again = throwsWith(() => createGlobalStep(g), UsageValueError, 'already exists');
    assert.ok(again instanceof ValueError);
    const missing = throwsWith(() => g.getTensorByName('nope'), UsageValueError, '"nope"');
    assert.equal((missing as UsageValueError).option, 'name');
  });

  it('global step helpers refuse a non-Graph', () => {
    misuse(() => getGlobalStep(undefined as never), UsageTypeError, 'getGlobalStep', 'graph');
    misuse(() => createGlobalStep({} as never), UsageTypeError, 'createGlobalStep', 'graph');
    misuse(() => getOrCreateGlobalStep(null as never), UsageTypeError, 'getOrCreateGlobalStep', 'graph');
  });

  it('Session: constructor options, config and clock are checked when passed', () => {
    const g = new Graph();
    misuse(() => new Session(g, { config: { clock: {} as Clock } }), UsageTypeError, 'Session', 'config.clock');
    misuse(
      () => new Session(g, { config: { operationTimeoutInMs: -1 } }),
      UsageValueError,
      'Session',
      'config.operationTimeoutInMs',
    );
    misuse(() => new Session(g, { target: 5 as never }), UsageTypeError, 'Session', 'target');
    misuse(() => new Session(g, 'local://x' as never), UsageTypeError, 'Session', 'options');
    throwsWith(() => new Session(g, { targets: '' } as never), UnknownOptionError, 'did you mean `target`?');
    throwsWith(
      () => new Session(g, { config: { operation_timeout_in_ms: 5 } } as never),
      UnknownOptionError,
      '`operationTimeoutInMs`',
    );
  });

  it('Session.run: run options, metadata, fetches and feeds are misuse errors, graph statuses stay InvalidArgumentError', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const sess = new Session(g);
    await rejectsWith(
      sess.run(x, { x: 1 }, { timeout_in_ms: 5 } as never),
      UnknownOptionError,
      'did you mean `timeoutInMs`?',
    );
    await rejectsWith(sess.run(x, { x: 1 }, { traceLevel: 7 as never }), UsageValueError, '`options.traceLevel`');
    await rejectsWith(sess.run(x, { x: 1 }, { timeoutInMs: Number.NaN }), UsageValueError, '`options.timeoutInMs`');
    await rejectsWith(sess.run(x, { x: 1 }, 'fast' as never), UsageTypeError, '`options`');
    await rejectsWith(sess.run(x, { x: 1 }, null, 42 as never), UsageTypeError, '`runMetadata`');
    await rejectsWith(sess.run(42 as never), UsageTypeError, /fetch argument 42/);
    await rejectsWith(sess.run(x, 'feeds' as never), UsageTypeError, '`feedDict`');
    await rejectsWith(sess.run(x, new Map([[1, 2]]) as never), UsageTypeError, '`feedDict`');
    await rejectsWith(sess.run('nope'), InvalidArgumentError, 'does not name a node');
  });

  it('Session.run: a cyclic or absurdly deep fetch structure is a UsageValueError, not a stack overflow', async () => {
    const g = new Graph();
    const a = g.constant(1, 'a');
    const sess = new Session(g);
    const cyclic: unknown[] = [a];
    cyclic.push(cyclic);
    await rejectsWith(sess.run(cyclic as never), UsageValueError, 'without cycles');
    const obj: Record<string, unknown> = { a };
    obj['self'] = { inner: [obj] };
    await rejectsWith(sess.run(obj as never), UsageValueError, 'without cycles');
    let deep: unknown = a;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await rejectsWith(sess.run(deep as never), UsageValueError, 'levels deep');
    // A DAG (the same array twice, side by side) is not a cycle.
    const shared = [a];
    assert.deepEqual(await sess.run({ p: shared, q: shared }), { p: [1], q: [1] });
  });

  it('Session.run: hostile structures (throwing getters, proxies, a Proxy of a Map) become UsageTypeErrors with the cause', async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const sess = new Session(g);
    const boom = new Error('getter boom');
    const getter = {
      get bad(): unknown {
        throw boom;
      },
    };
    const e = await rejectsWith(
      sess.run({ v: x, w: getter } as never, { x: 1 }),
      UsageTypeError,
      'reading `fetches` failed: getter boom',
    );
    assert.equal(e.cause, boom);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    await rejectsWith(sess.run([x, revoked.proxy] as never, { x: 1 }), UsageTypeError, '`fetches`');
    await rejectsWith(
      sess.run(x, new Proxy(new Map([['x', 1]]), {}) as never),
      UsageTypeError,
      'reading `feedDict` failed',
    );
  });

  it('registerTargetResolver refuses bad schemes and resolvers; a resolver returning no store is named', () => {
    misuse(
      () => registerTargetResolver(3 as never, () => ({}) as never),
      UsageTypeError,
      'registerTargetResolver',
      'scheme',
    );
    misuse(
      () => registerTargetResolver('local:', () => ({}) as never),
      UsageValueError,
      'registerTargetResolver',
      'scheme',
    );
    misuse(() => registerTargetResolver('mem:', 'nope' as never), UsageTypeError, 'registerTargetResolver', 'resolver');
    const unregister = registerTargetResolver('void:', () => undefined as never);
    try {
      misuse(() => new Session(new Graph(), { target: 'void://x' }), UsageTypeError, 'Session', 'target');
    } finally {
      unregister();
    }
  });

  it('an op function that throws keeps the node name: UnknownError with op and cause; typed errors keep their class', async () => {
    const g = new Graph();
    const sess = new Session(g);
    const raw = new TypeError("Cannot read properties of undefined (reading 'x')");
    const sync = g.op('reads_undefined', [], () => {
      throw raw;
    });
    const u = await rejectsWith(sess.run(sync), UnknownError, "Op 'reads_undefined' failed with TypeError");
    assert.equal((u as UnknownError).op, 'reads_undefined');
    assert.equal(u.cause, raw);
    const later = g.op('async_later', [g.op('first', [], async () => 1)], async () => {
      throw new RangeError('late');
    });
    const v = await rejectsWith(sess.run(later), UnknownError, 'RangeError: late');
    assert.equal((v as UnknownError).op, 'async_later');
    const mixed = g.assignAdd(g.variable(1, { name: 'n' }) as Variable<number>, 1n as never, 'mix');
    await sess.run(g.globalVariablesInitializer());
    const w = await rejectsWith(sess.run(mixed), UnknownError, "Op 'mix'");
    assert.ok(w.cause instanceof TypeError);
    const typed = await rejectsWith(
      sess.run(
        g.op('typed', [], () => {
          throw new ValueError('bad value');
        }),
      ),
      ValueError,
      'bad value',
    );
    assert.equal((typed as ValueError & { op?: string }).op, 'typed');
  });
});

describe('"forever" durations mean no timer at all', () => {
  it('Session.run with timeoutInMs: Infinity or 2^31 ms schedules no timer and never times out', async () => {
    const g = new Graph();
    let release!: (v: number) => void;
    const slow = g.op('slow', [], () => new Promise<number>((resolve) => (release = resolve)));
    for (const timeoutInMs of [Infinity, 2 ** 31, 2 ** 40]) {
      const clock = new TestClock();
      const sess = new Session(g, { config: { clock } });
      const run = sess.run(slow, null, { timeoutInMs });
      await clock.advance(1);
      assert.equal(clock.pendingTimers, 0, `timeoutInMs=${timeoutInMs}`);
      release(7);
      assert.equal(await run, 7);
    }
  });

  it('on the system clock, Infinity does not fire after a few ms (Node would clamp it to 1 ms)', async () => {
    const g = new Graph();
    let release!: (v: number) => void;
    const slow = g.op('slow', [], () => new Promise<number>((resolve) => (release = resolve)));
    const sess = new Session(g, { config: { operationTimeoutInMs: Infinity } });
    const run = sess.run(slow);
    let failed: unknown;
    run.catch((e: unknown) => (failed = e));
    // A clamped timer is due after 1 ms; wait for a few macrotask turns past that.
    await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(failed instanceof DeadlineExceededError, false, String(failed));
    release(1);
    assert.equal(await run, 1);
    assert.equal(systemClock.setTimeout(() => assert.fail('fired'), Infinity) !== undefined, true);
  });

  it('a finite timeout still fires', async () => {
    const g = new Graph();
    const clock = new TestClock();
    const never = g.op('never', [], () => new Promise<number>(() => {}));
    const sess = new Session(g, { config: { clock } });
    const outcome = rejectsWith(sess.run(never, null, { timeoutInMs: 2 ** 31 - 1 }), DeadlineExceededError);
    await clock.advance(2 ** 31 - 1);
    await outcome;
  });
});

describe('Server', () => {
  it('createLocalServer ignores nothing silently: a closed server target is UnavailableError, not misuse', async () => {
    const server = Server.createLocalServer();
    await server.close();
    assert.throws(
      () => new Session(new Graph(), { target: server.target }),
      (e: unknown) => !(e instanceof UsageError),
    );
  });

  it('`new Server()` from plain JavaScript points to createLocalServer()', () => {
    const Ctor = Server as unknown as new (...args: unknown[]) => Server;
    throwsWith(() => new Ctor(), UsageTypeError, 'Server.createLocalServer()');
    throwsWith(() => new Ctor('local://x', {}), UsageTypeError, 'not public');
  });

  it('revoked proxies are refused as UsageTypeErrors wherever the graph APIs inspect a value', () => {
    const g = new Graph();
    const revoked = (): object => {
      const r = Proxy.revocable({}, {});
      r.revoke();
      return r.proxy;
    };
    const q = g.fifoQueue<number>({ capacity: 1 });
    misuse(() => g.op('o', [revoked() as never], () => 1), UsageTypeError, 'Graph.op', 'inputs[0]');
    misuse(() => g.assign(g.variable(0), revoked() as never), UsageTypeError, 'Graph.assign', 'value');
    misuse(() => q.enqueueMany(revoked() as never), UsageTypeError, 'FIFOQueue.enqueueMany', 'value');
    misuse(() => new Session(revoked() as never), UsageTypeError, 'Session', 'graph');
    misuse(() => g.addNode('n', 'T', revoked() as never, () => 1), UsageTypeError, 'Graph.addNode', 'inputs');
    misuse(() => g.variable(0, revoked() as never), UsageTypeError, 'Graph.variable', 'options');
    misuse(() => q.resource(undefined as never), UsageTypeError, "FIFOQueue('fifo_queue').resource", 'ctx');
  });
});
