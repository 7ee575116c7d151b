import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Graph,
  RuntimeError,
  Session,
  SessionRunArgs,
  SessionRunHook,
  TraceLevel,
  type FeedDict,
  type Fetch,
  type RunMetadata,
  type RunOptions,
  type SessionRunContext,
} from '../../src/index.ts';
import { HookedSession, mergeRunOptions } from '../../src/session/HookedSession.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { FakeHook } from '../helpers/tf.ts';

/** A session that records the arguments of its runs. */
class SpySession extends Session {
  readonly calls: { fetches: Fetch; feedDict: unknown; options: unknown; runMetadata: unknown }[] = [];
  override async run(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<never> {
    this.calls.push({ fetches, feedDict, options, runMetadata });
    return super.run(fetches, feedDict, options, runMetadata) as Promise<never>;
  }
}

function abGraph() {
  const g = new Graph();
  const a = g.placeholder<number>('a');
  const b = g.placeholder<number>('b');
  const c = g.placeholder<number>('c');
  return {
    g,
    a,
    b,
    c,
    aPlusB: g.op('a_plus_b', [a, b], (x, y) => x + y),
    aPlusBPlusC: g.op('abc', [a, b, c], (x, y, z) => x + y + z),
  };
}

describe('HookedSession (HookedSessionTest)', () => {
  it("testRunPassesAllArguments: with no hooks, the caller's objects reach the raw run unchanged", async () => {
    const g = new Graph();
    const x = g.placeholder<number>('x');
    const raw = new SpySession(g);
    const hooked = new HookedSession(raw, []);
    const feeds = new Map([[x, 0]]);
    const options: RunOptions = { traceLevel: TraceLevel.FULL_TRACE };
    const metadata: RunMetadata = {};
    assert.deepEqual(await hooked.run([x], feeds, options, metadata), [0]);
    assert.equal(raw.calls.length, 1);
    assert.equal(raw.calls[0]!.feedDict, feeds);
    assert.equal(raw.calls[0]!.options, options);
    assert.equal(raw.calls[0]!.runMetadata, metadata);
  });

  it('testCallsHooksBeginEnd: one run calls beforeRun/afterRun once each and never begin or end', async () => {
    const g = new Graph();
    const t = g.constant(5, 'a_tensor');
    const raw = new Session(g);
    const hooks = [new FakeHook(), new FakeHook()];
    const hooked = new HookedSession(raw, hooks);
    await hooked.run(t);
    for (const hook of hooks) {
      assert.deepEqual(hook.callCounter, { begin: 0, afterCreateSession: 0, beforeRun: 1, afterRun: 1, end: 0 });
      assert.equal(hook.lastRunValues!.results, undefined);
      assert.deepEqual(hook.lastRunValues!.options, {});
      assert.deepEqual(hook.lastRunValues!.runMetadata, {});
      assert.equal(hook.lastRunContext!.originalArgs.fetches, t);
      assert.equal(hook.lastRunContext!.originalArgs.feedDict, undefined);
      assert.equal(hook.lastRunContext!.session, raw);
    }
    // The same context object reaches every hook in one run.
    assert.equal(hooks[0]!.lastRunContext, hooks[1]!.lastRunContext);
  });

  it('testShouldStop: a stop requested in afterRun ends the loop after that run returns', async () => {
    const g = new Graph();
    const t = g.constant(1);
    const hooks = [new FakeHook(), new FakeHook()];
    const hooked = new HookedSession(new Session(g), hooks);
    await hooked.run(t);
    assert.equal(hooked.stopRequested, false);
    hooks[0]!.shouldStop = true;
    assert.equal(await hooked.run(t), 1);
    assert.equal(hooked.stopRequested, true);
    // Every afterRun ran although the first hook asked to stop.
    assert.equal(hooks[1]!.callCounter.afterRun, 2);
    // C1: a further run is refused before any hook is called.
    await rejectsWith(hooked.run(t), RuntimeError, 'Run called even after should_stop requested.');
    assert.equal(hooks[0]!.callCounter.beforeRun, 2);
  });

  it('testFetchesHookRequests: each hook gets exactly the results it asked for', async () => {
    const g = new Graph();
    const a = g.constant(0, 'a');
    const another = g.constant(5, 'another');
    const third = g.constant(10, 'third');
    const [h1, h2] = [new FakeHook(), new FakeHook()];
    h1.request = new SessionRunArgs([another]);
    h2.request = new SessionRunArgs([third]);
    const hooked = new HookedSession(new Session(g), [h1, h2]);
    assert.deepEqual(await hooked.run([a]), [0]);
    assert.deepEqual(h1.lastRunValues!.results, [5]);
    assert.deepEqual(h2.lastRunValues!.results, [10]);
  });

  it('testOnlyHooksHaveFeeds / testBothHooksAndUserHaveFeeds', async () => {
    const { g, a, b, c, aPlusB, aPlusBPlusC } = abGraph();
    const [h1, h2] = [new FakeHook(), new FakeHook()];
    h1.request = new SessionRunArgs(undefined, new Map([[a, 5]]));
    h2.request = new SessionRunArgs(undefined, new Map([[b, 10]]));
    const hooked = new HookedSession(new Session(g), [h1, h2]);
    assert.equal(await hooked.run(aPlusB), 15);
    const userFeeds = new Map([[c, 20]]);
    assert.equal(await hooked.run(aPlusBPlusC, userFeeds), 35);
    assert.equal(userFeeds.size, 1);
  });

  it('testHooksFeedConflicts: two hooks feeding one tensor fail before any run', async () => {
    const { g, a, aPlusB } = abGraph();
    const [h1, h2, h3] = [new FakeHook(), new FakeHook(), new FakeHook()];
    h1.request = new SessionRunArgs(undefined, new Map([[a, 5]]));
    h2.request = new SessionRunArgs(undefined, { a: 10 });
    const raw = new SpySession(g);
    const hooked = new HookedSession(raw, [h1, h2, h3]);
    await rejectsWith(hooked.run(aPlusB), RuntimeError, "Same tensor is fed by two hooks. Conflict(s): ['a']");
    assert.equal(h3.callCounter.beforeRun, 0);
    assert.equal(h1.callCounter.afterRun, 0);
    assert.equal(raw.calls.length, 0);
  });

  it('testHooksAndUserFeedConflicts', async () => {
    const { g, a, b, aPlusB } = abGraph();
    const [h1, h2] = [new FakeHook(), new FakeHook()];
    h1.request = new SessionRunArgs(undefined, new Map([[a, 5]]));
    h2.request = new SessionRunArgs(undefined, new Map([[b, 10]]));
    const hooked = new HookedSession(new Session(g), [h1, h2]);
    await rejectsWith(
      hooked.run(aPlusB, new Map([[b, 2]])),
      RuntimeError,
      "Same tensor is fed by a SessionRunHook and user. Conflict(s): ['b']",
    );
  });

  it('C3: an empty fetch list from a hook still counts as fetches', async () => {
    const g = new Graph();
    const hook = new FakeHook();
    hook.request = new SessionRunArgs([]);
    await new HookedSession(new Session(g), [hook]).run(g.constant(1));
    assert.deepEqual(hook.lastRunValues!.results, []);
  });

  it('C11: a stop requested in beforeRun takes effect after the run, which still executes', async () => {
    const g = new Graph();
    let ran = 0;
    const op = g.op('op', [], () => ++ran);
    class StopEarly extends SessionRunHook {
      override beforeRun(ctx: SessionRunContext): undefined {
        ctx.requestStop();
        return undefined;
      }
    }
    const hooked = new HookedSession(new Session(g), [new StopEarly()]);
    assert.equal(await hooked.run(op), 1);
    assert.equal(hooked.stopRequested, true);
  });

  it('C13: a throwing beforeRun skips later hooks and the run; a throwing afterRun skips later afterRuns and the stop request', async () => {
    const g = new Graph();
    let ran = 0;
    const op = g.op('op', [], () => ++ran);
    const boom = new Error('before');
    const failing = {
      beforeRun: () => {
        throw boom;
      },
    };
    const later = new FakeHook();
    await assert.rejects(new HookedSession(new Session(g), [failing, later]).run(op), (e) => e === boom);
    assert.equal(later.callCounter.beforeRun, 0);
    assert.equal(ran, 0);

    const stopper = new FakeHook();
    stopper.shouldStop = true;
    const afterFails = {
      afterRun: () => {
        throw new Error('after');
      },
    };
    const last = new FakeHook();
    const hooked = new HookedSession(new Session(g), [stopper, afterFails, last]);
    await assert.rejects(hooked.run(op), /after/);
    assert.equal(last.callCounter.afterRun, 0);
    assert.equal(hooked.stopRequested, false);
  });

  it('C13: when the raw run fails, no afterRun is called', async () => {
    const g = new Graph();
    const fails = g.op('fails', [], () => {
      throw new Error('run failed');
    });
    const hook = new FakeHook();
    await assert.rejects(new HookedSession(new Session(g), [hook]).run(fails), /run failed/);
    assert.equal(hook.callCounter.beforeRun, 1);
    assert.equal(hook.callCounter.afterRun, 0);
  });

  it('accepts async hooks and plain-object hooks', async () => {
    const g = new Graph();
    const extra = g.constant(7, 'extra');
    const seen: unknown[] = [];
    const plain = {
      beforeRun: async () => new SessionRunArgs(extra),
      afterRun: async (_ctx: SessionRunContext, values: { results: unknown }) => void seen.push(values.results),
    };
    assert.equal(await new HookedSession(new Session(g), [plain]).run(g.constant(1)), 1);
    assert.deepEqual(seen, [7]);
  });

  it('rejects a beforeRun that returns something other than SessionRunArgs', async () => {
    const g = new Graph();
    const bad = { beforeRun: () => ({ fetches: 1 }) as never };
    await rejectsWith(
      new HookedSession(new Session(g), [bad]).run(g.constant(1)),
      TypeError,
      /expected a SessionRunArgs or undefined/,
    );
  });
});

describe('run options merging (test_merge_run_options_from_hooks, test_merge_caller_and_hook_run_options)', () => {
  it("merges hooks' options: max trace level and timeout, OR of flags, watches appended", async () => {
    const g = new Graph();
    const t = g.constant(1);
    const optionsHook = (options: RunOptions) => ({
      beforeRun: () => new SessionRunArgs(undefined, undefined, options),
    });
    const seen: RunMetadata[] = [];
    const h1 = optionsHook({
      traceLevel: 2,
      timeoutInMs: 30000,
      outputPartitionGraphs: false,
      debugTensorWatchOpts: ['a'],
    });
    const h2 = {
      ...optionsHook({ traceLevel: 3, timeoutInMs: 60000, outputPartitionGraphs: true, debugTensorWatchOpts: ['b'] }),
      afterRun: (_c: unknown, v: { options: RunOptions; runMetadata: RunMetadata }) => void seen.push(v.runMetadata),
    };
    const raw = new SpySession(g);
    await new HookedSession(raw, [h1, h2]).run(t);
    const options = raw.calls[0]!.options as RunOptions;
    assert.equal(options.traceLevel, 3);
    assert.equal(options.timeoutInMs, 60000);
    assert.equal(options.outputPartitionGraphs, true);
    assert.deepEqual(options.debugTensorWatchOpts, ['a', 'b']);
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.partitionGraphs!.length > 0);
  });

  it("merges into the caller's options object, caller's watches first", async () => {
    const g = new Graph();
    const caller: RunOptions = {
      traceLevel: 3,
      timeoutInMs: 30000,
      outputPartitionGraphs: true,
      debugTensorWatchOpts: ['caller'],
    };
    const hook = {
      beforeRun: () =>
        new SessionRunArgs(undefined, undefined, {
          traceLevel: 2,
          timeoutInMs: 60000,
          outputPartitionGraphs: false,
          debugTensorWatchOpts: ['hook'],
        }),
    };
    const raw = new SpySession(g);
    const metadata: RunMetadata = {};
    await new HookedSession(raw, [hook]).run(g.constant(1), null, caller, metadata);
    assert.equal(raw.calls[0]!.options, caller);
    assert.deepEqual(caller, {
      traceLevel: 3,
      timeoutInMs: 60000,
      outputPartitionGraphs: true,
      debugTensorWatchOpts: ['caller', 'hook'],
    });
    assert.equal(raw.calls[0]!.runMetadata, metadata);
  });

  it('mergeRunOptions handles every merged field', () => {
    const target: RunOptions = {};
    mergeRunOptions(target, {
      interOpThreadPool: 2,
      reportTensorAllocationsUponOom: true,
      debugOptions: { resetDiskByteUsage: true },
    });
    mergeRunOptions(target, {
      interOpThreadPool: 1,
      reportTensorAllocationsUponOom: false,
      debugOptions: { resetDiskByteUsage: false },
    });
    assert.deepEqual(target, {
      interOpThreadPool: 2,
      reportTensorAllocationsUponOom: true,
      debugOptions: { resetDiskByteUsage: true },
    });
  });
});
