import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MonitoredSession, StepCounterHook, TestClock, toChromeTrace, type NodeExecStats, type Summary } from '../../src/index.ts';
import { gstepGraph } from '../helpers/tf.ts';

describe('StepCounterHook: global_step/sec from a high-resolution clock', () => {
  it('measures sub-millisecond steps exactly where a millisecond clock sees no time at all', async () => {
    const clock = new TestClock(1_000);
    let hr = 0;
    const hiRes = {
      now: () => clock.now(),
      hrNow: () => hr,
      setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clock.clearTimeout(h),
    };
    const rates: number[] = [];
    const sink = { addSummary: (s: Summary) => void rates.push(s.value[0]!.simpleValue!) };
    const { graph, doStep } = gstepGraph();
    const sess = await MonitoredSession.create({ graph, hooks: [new StepCounterHook({ everyNSteps: 1, summaryWriter: sink, clock: hiRes })] });
    for (let i = 0; i < 4; i++) {
      hr += 0.3; // 0.3 ms per step; the millisecond clock does not move
      await sess.run(doStep);
    }
    await sess.close();
    assert.equal(rates.length, 3);
    for (const rate of rates) assert.ok(Math.abs(rate - 1000 / 0.3) < 1e-6, String(rate));
  });
});

describe('toChromeTrace', () => {
  const stat = (nodeName: string, startMicros: number, durationMicros: number, device = 'cpu'): NodeExecStats => ({ nodeName, opType: 'PyFunc', startMicros, durationMicros, device });

  it('puts concurrent ops on separate tids and reuses a tid once its op ended', () => {
    const trace = toChromeTrace([stat('a', 0, 10), stat('b', 5, 10), stat('c', 12, 3), stat('d', 16, 1), stat('e', 0, 1, 'gpu')]);
    const slices = trace.traceEvents.filter((e) => e['ph'] === 'X') as { args: { name: string }; pid: number; tid: number; ts: number; dur: number }[];
    const tid = (n: string) => slices.find((s) => s.args.name === n)!.tid;
    assert.equal(tid('a'), 0);
    assert.equal(tid('b'), 1);
    assert.equal(tid('c'), 0); // a ended at 10
    assert.equal(tid('d'), 0);
    assert.equal(tid('e'), 0);
    // No two slices of one (pid, tid) overlap: what Perfetto needs to draw them all.
    for (const x of slices) {
      for (const y of slices) {
        if (x === y || x.pid !== y.pid || x.tid !== y.tid) continue;
        assert.ok(x.ts + x.dur <= y.ts || y.ts + y.dur <= x.ts, `${x.args.name} overlaps ${y.args.name}`);
      }
    }
    const threads = trace.traceEvents.filter((e) => e['name'] === 'thread_name');
    assert.equal(threads.length, 3); // cpu: 2 threads, gpu: 1
  });
});
