import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  FeedFnHook,
  Server,
  Session,
  FinalOpsHook,
  GlobalStepWaiterHook,
  Graph,
  LoggingTensorHook,
  MonitoredSession,
  NanLossDuringTrainingError,
  NanTensorHook,
  OutOfRangeError,
  ProfilerHook,
  ProgressHook,
  RuntimeError,
  Scaffold,
  SecondOrStepTimer,
  StepCounterHook,
  StopAtStepHook,
  SummarySaverHook,
  SummaryWriterCache,
  TestClock,
  ValueError,
  monitoredTrainingSession,
  summary,
  withSession,
  type Summary,
} from '../../src/index.ts';
import { rejectsWith, throwsWith, tick } from '../helpers/assert.ts';
import { readEventDir } from '../helpers/eventFile.ts';
import { gstepGraph } from '../helpers/tf.ts';

const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-hooks-'));

/** A summary sink that records what it is given. */
function sink() {
  const summaries: { step: number; summary: Summary }[] = [];
  const logs: { step: number; status: string }[] = [];
  return {
    summaries,
    logs,
    addSummary: (s: Summary, step: number) => void summaries.push({ step, summary: s }),
    addSessionLog: (l: { status: string }, step: number) => void logs.push({ step, status: l.status }),
    flush: async () => {},
  };
}

describe('SecondOrStepTimer', () => {
  it('validates: neither or both', () => {
    throwsWith(() => new SecondOrStepTimer({}), ValueError, 'either `everySecs` or `everySteps` should be provided.');
    throwsWith(() => new SecondOrStepTimer({ everySecs: 1, everySteps: 1 }), ValueError, 'can not provide both `everySecs` and `everySteps`.');
  });

  it('steps mode: first always, never twice for a step, then every N steps', () => {
    const t = new SecondOrStepTimer({ everySteps: 10 });
    assert.equal(t.shouldTriggerForStep(1), true);
    assert.deepEqual(t.updateLastTriggeredStep(1), [undefined, undefined]);
    assert.equal(t.shouldTriggerForStep(1), false);
    assert.equal(t.shouldTriggerForStep(10), false);
    assert.equal(t.shouldTriggerForStep(11), true);
    assert.equal(t.lastTriggeredStep(), 1);
    t.reset();
    assert.equal(t.lastTriggeredStep(), undefined);
  });

  it('seconds mode on the clock, with elapsed time and steps', async () => {
    const clock = new TestClock();
    const t = new SecondOrStepTimer({ everySecs: 2, clock });
    t.updateLastTriggeredStep(5);
    assert.equal(t.shouldTriggerForStep(6), false);
    await clock.advance(2000);
    assert.equal(t.shouldTriggerForStep(6), true);
    assert.deepEqual(t.updateLastTriggeredStep(9), [2, 4]);
  });
});

describe('StopAtStepHook', () => {
  it('validates', () => {
    throwsWith(() => new StopAtStepHook({}), ValueError, 'one of `numSteps` or `lastStep` must be specified.');
    throwsWith(() => new StopAtStepHook({ numSteps: 1, lastStep: 1 }), ValueError, 'only one of `numSteps` or `lastStep` can be specified.');
    throwsWith(() => new StopAtStepHook({ numSteps: -1 }), ValueError, /`numSteps`.*got -1/);
  });

  it('needs a global step', async () => {
    await rejectsWith(MonitoredSession.create({ graph: new Graph(), hooks: [new StopAtStepHook({ numSteps: 1 })] }), RuntimeError, 'Global step should be created to use StopAtStepHook.');
  });
});

describe('StepCounterHook', () => {
  it('validates: exactly one of everyNSteps and everyNSecs (secs needs everyNSteps: null)', () => {
    throwsWith(() => new StepCounterHook({ everyNSecs: 1 }), ValueError, 'exactly one of `everyNSteps` and `everyNSecs` must be given');
    throwsWith(() => new StepCounterHook({ everyNSteps: null }), ValueError, 'exactly one');
    assert.ok(new StepCounterHook({ everyNSteps: null, everyNSecs: 1 }));
  });

  it('writes global_step/sec = Δsteps/Δsecs on the clock, not on the first trigger', async () => {
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const out = sink();
    const hook = new StepCounterHook({ everyNSteps: 10, summaryWriter: out, clock });
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    for (let i = 0; i < 30; i++) {
      await clock.advance(100);
      await sess.run(doStep);
    }
    await sess.close();
    assert.deepEqual(out.summaries.map((s) => [s.step, s.summary.value[0]!.tag, s.summary.value[0]!.simpleValue]), [
      [11, 'global_step/sec', 10],
      [21, 'global_step/sec', 10],
    ]);
    assert.equal(hook.lastStepsPerSec, 10);
  });
});

describe('LoggingTensorHook', () => {
  it('validates', () => {
    throwsWith(() => new LoggingTensorHook({ tensors: [] }), ValueError, 'either `atEnd` and/or exactly one of `everyNIter` and `everyNSecs` must be provided.');
    throwsWith(() => new LoggingTensorHook({ tensors: [], everyNIter: 1, everyNSecs: 1 }), ValueError, 'exactly one');
    throwsWith(() => new LoggingTensorHook({ tensors: [], everyNIter: 0 }), ValueError, 'expected `everyNIter` to be a positive integer, got 0');
    assert.ok(new LoggingTensorHook({ tensors: [], atEnd: true }));
  });

  it('logs on the first iteration and every N, in tag order, with elapsed time after the first', async () => {
    const clock = new TestClock();
    const { graph, gstep, doStep } = gstepGraph();
    const lines: string[] = [];
    const hook = new LoggingTensorHook({ tensors: { step: gstep, b: 'do_step' }, everyNIter: 2, log: (l) => void lines.push(l), clock });
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    for (let i = 0; i < 5; i++) {
      await sess.run(doStep);
      await clock.advance(1500);
    }
    await sess.close();
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^b = \d+, step = \d+$/);
    assert.match(lines[1]!, /^b = \d+, step = \d+ \(3\.000 sec\)$/);
  });

  it('formatter and atEnd', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const lines: string[] = [];
    const hook = new LoggingTensorHook({ tensors: ['global_step'], atEnd: true, formatter: (v) => `at end: ${String(v['global_step'])}`, log: (l) => void lines.push(l) });
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      await s.run(doStep);
      await s.run(doStep);
    });
    assert.deepEqual(lines, ['at end: 2']);
    void gstep;
  });
});

describe('NanTensorHook', () => {
  function lossGraph() {
    const { graph, doStep } = gstepGraph();
    const x = graph.placeholder<number>('x');
    const loss = graph.op('loss', [x], (v) => v);
    return { graph, doStep, x, loss };
  }

  it('throws NanLossDuringTrainingError on NaN', async () => {
    const { graph, x, loss } = lossGraph();
    const sess = await MonitoredSession.create({ graph, hooks: [new NanTensorHook({ lossTensor: loss })] });
    assert.equal(await sess.run(loss, { x: 1 }), 1);
    await rejectsWith(sess.run(loss, new Map([[x, Number.NaN]])), NanLossDuringTrainingError, 'NaN loss during training.');
    await sess.close();
  });

  it('requests a stop instead with failOnNanLoss false', async () => {
    const { graph, x, loss } = lossGraph();
    const sess = await MonitoredSession.create({ graph, hooks: [new NanTensorHook({ lossTensor: 'loss', failOnNanLoss: false })] });
    await sess.run(loss, new Map([[x, Number.NaN]]));
    assert.equal(sess.shouldStop(), true);
    await sess.close();
  });
});

describe('SummarySaverHook', () => {
  it('validates', () => {
    throwsWith(() => new SummarySaverHook({ saveSteps: 1 }), ValueError, 'exactly one of `scaffold` or `summaryOp` must be provided.');
    throwsWith(() => new SummarySaverHook({ saveSteps: 1, scaffold: new Scaffold(), summaryOp: {} as never }), ValueError, 'exactly one');
  });

  it('writes START at the first step and summaries every N steps, at the real step', async () => {
    const { graph, doStep, gstep } = gstepGraph();
    const op = summary.scalar(graph, 'my_summary_tag', gstep);
    const out = sink();
    const sess = await MonitoredSession.create({ graph, hooks: [new SummarySaverHook({ saveSteps: 3, summaryOp: op, summaryWriter: out })] });
    for (let i = 0; i < 7; i++) await sess.run(doStep);
    await sess.close();
    assert.deepEqual(out.logs, [{ step: 1, status: 'START' }]);
    assert.deepEqual(out.summaries.map((s) => s.step), [1, 4, 7]);
    assert.equal(out.summaries[0]!.summary.value[0]!.tag, 'my_summary_tag');
  });
});

describe('GlobalStepWaiterHook', () => {
  it('polls the global step every 0.5 s on the clock until it reaches waitUntilStep', async () => {
    const clock = new TestClock();
    const server = Server.createLocalServer();
    const { graph, gstep, doStep } = gstepGraph();
    const bump = graph.assign(gstep, 5);
    const creator = new ChiefSessionCreator({ graph, master: server.target });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [new GlobalStepWaiterHook({ waitUntilStep: 5, clock })] });
    let done = false;
    const running = sess.run(doStep).then(() => (done = true));
    await clock.advance(2000);
    assert.equal(done, false);
    // Another session on the shared target (the chief, say) moves the step.
    await new Session(graph, { target: server.target }).run(bump);
    await clock.advance(500);
    await running;
    assert.equal(done, true);
    await sess.close();
    await server.close();
  });

  it('does not wait when waitUntilStep <= 0, and validates', async () => {
    throwsWith(() => new GlobalStepWaiterHook({ waitUntilStep: Number.NaN }), ValueError, '`waitUntilStep`');
    const { graph, doStep } = gstepGraph();
    const sess = await MonitoredSession.create({ graph, hooks: [new GlobalStepWaiterHook({ waitUntilStep: 0 })] });
    assert.equal(await sess.run(doStep), 1);
    await sess.close();
  });
});

describe('FinalOpsHook', () => {
  it('runs the final ops at a clean end and keeps their values', async () => {
    const { graph, gstep, doStep } = gstepGraph();
    const hook = new FinalOpsHook({ finalOps: { step: gstep } });
    assert.equal(hook.finalOpsValues, undefined);
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      await s.run(doStep);
    });
    assert.deepEqual(hook.finalOpsValues, { step: 1 });
  });

  it('is not run when end is skipped (error close); an OutOfRangeError from final ops is rethrown', async () => {
    const { graph } = gstepGraph();
    const eof = graph.op('eof', [], () => { throw new OutOfRangeError('input exhausted'); });
    const skipped = new FinalOpsHook({ finalOps: eof });
    await assert.rejects(withSession(MonitoredSession.create({ graph, hooks: [skipped] }), () => { throw new RuntimeError('x'); }), /x/);
    assert.equal(skipped.finalOpsValues, undefined);
    graph.unsafeUnfinalize();
    const eof2 = graph.op('eof2', [], () => { throw new OutOfRangeError('input exhausted'); });
    await rejectsWith(withSession(MonitoredSession.create({ graph, hooks: [new FinalOpsHook({ finalOps: eof2 })] }), () => {}), OutOfRangeError);
  });
});

describe('FeedFnHook', () => {
  it('feeds feedFn() into every run', async () => {
    const graph = new Graph();
    const x = graph.placeholder<number>('x');
    const doubled = graph.op('doubled', [x], (v) => v * 2);
    let n = 0;
    const sess = await MonitoredSession.create({ graph, hooks: [new FeedFnHook({ feedFn: () => new Map([[x, ++n]]) })] });
    assert.deepEqual([await sess.run(doubled), await sess.run(doubled)], [2, 4]);
    await sess.close();
    throwsWith(() => new FeedFnHook({ feedFn: 1 as never }), TypeError, '`feedFn`');
  });
});

describe('ProfilerHook', () => {
  it('writes timeline-<step>.json in Chrome trace format every N steps, not on the first run', async () => {
    const dir = await tempDir();
    const { graph, doStep } = gstepGraph();
    const hook = new ProfilerHook({ saveSteps: 2, outputDir: dir });
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    for (let i = 0; i < 5; i++) await sess.run(doStep);
    await sess.close();
    // TensorFlow's test_save_steps: the 2nd and 4th runs are traced, named after the step they reached.
    assert.deepEqual((await readdir(dir)).sort(), ['timeline-2.json', 'timeline-4.json']);
    const trace = JSON.parse(await readFile(path.join(dir, 'timeline-2.json'), 'utf8')) as { traceEvents: { ph: string; name: string; args: { name: string } }[] };
    const ops = trace.traceEvents.filter((e) => e.ph === 'X');
    assert.ok(ops.some((e) => e.args.name === 'do_step' && e.name === 'AssignAdd'));
    assert.ok(trace.traceEvents.some((e) => e.ph === 'M' && e.name === 'process_name'));
    throwsWith(() => new ProfilerHook({ outputDir: dir }), ValueError, 'exactly one of `saveSteps` and `saveSecs` must be given');
  });
});

describe('ProgressHook', () => {
  it('on a TTY: one bar redrawn in place, with step, rate, ETA and tensors', async () => {
    const clock = new TestClock();
    const { graph, gstep, doStep } = gstepGraph();
    let written = '';
    const stream = { isTTY: true, columns: 100, write: (t: string) => void (written += t) };
    await withSession(MonitoredSession.create({ graph, hooks: [new ProgressHook({ lastStep: 10, tensors: { step: gstep }, stream, clock, everyNSecs: 0 })] }), async (s) => {
      for (let i = 0; i < 10; i++) {
        await clock.advance(500);
        await s.run(doStep);
      }
    });
    assert.ok(written.includes('\r\x1b[2K'));
    assert.match(written, /\[#{20}-{20}\]  50%  step 5\/10  2\.0 steps\/s  ETA 0m03s  step 5\.0000/);
    assert.match(written, /\[#{40}\] 100%  step 10\/10  \d\.\d steps\/s  ETA 0m00s  step 10\.0000\n$/);
    assert.ok(written.endsWith('\n'));
    assert.ok(!written.includes('training ended'));
  });

  it('elsewhere: plain lines every everyNSecs and the end reason, no control codes', async () => {
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const lines: string[] = [];
    const stream = { isTTY: false, write: (t: string) => void lines.push(t) };
    await withSession(MonitoredSession.create({ graph, hooks: [new ProgressHook({ stream, clock, everyNSecs: 1 }), new StopAtStepHook({ lastStep: 6 })] }), async (s) => {
      while (!s.shouldStop()) {
        await clock.advance(400);
        await s.run(doStep);
      }
    });
    assert.ok(lines.every((l) => !l.includes('\x1b')));
    assert.equal(lines.at(-1), 'training ended: stopRequested\n');
    assert.match(lines.at(-2)!, /^step 6  /);
    assert.equal(lines.length, 4);
  });
});

describe('MonitoredTrainingSession summaries (test_summaries_steps)', () => {
  it('101 runs with saveSummariesSteps 100 and logStepCountSteps 10 write my_summary_tag and global_step/sec', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    summary.scalar(graph, 'my_summary_tag', gstep);
    const sess = await monitoredTrainingSession({ graph, checkpointDir: dir, saveSummariesSteps: 100, logStepCountSteps: 10 });
    for (let i = 0; i < 101; i++) {
      await sess.run(doStep);
      if (i % 10 === 0) await tick();
    }
    await sess.close();
    await SummaryWriterCache.clear();
    const files = await readEventDir(dir);
    const tags = new Set(files.at(-1)!.events.flatMap((e) => e.summary?.value.map((v) => v.tag) ?? []));
    assert.ok(tags.has('my_summary_tag'), [...tags].join(','));
    assert.ok(tags.has('global_step/sec'), [...tags].join(','));
    const mine = files.at(-1)!.events.filter((e) => e.summary?.value[0]?.tag === 'my_summary_tag');
    // Written at the step each run reached; the value is the step the run read before incrementing it.
    assert.deepEqual(mine.map((e) => [e.step, e.summary!.value[0]!.simpleValue]), [[1, 0], [101, 100]]);
    const rates = files.at(-1)!.events.filter((e) => e.summary?.value[0]?.tag === 'global_step/sec');
    assert.ok(rates.length >= 1 && rates.every((e) => e.step % 10 === 1 && e.summary!.value[0]!.simpleValue! > 0));
    const logs = files.at(-1)!.events.filter((e) => e.sessionLog).map((e) => e.sessionLog!.status);
    assert.ok(logs.includes('START') && logs.includes('CHECKPOINT'), logs.join(','));
  });
});
