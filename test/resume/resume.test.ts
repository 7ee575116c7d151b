import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  Graph,
  ProgressHook,
  QueueRunner,
  Saver,
  Session,
  StepCounterHook,
  StopAtStepHook,
  TestClock,
  UsageValueError,
  addQueueRunner,
  arraySource,
  exactResumeOf,
  getOrCreateGlobalStep,
  latestCheckpoint,
  monitoredTrainingSession,
  randomGenerator,
  readSaveableStates,
  restoresOf,
  sourceQueueRunner,
  withSession,
  type SyncSeekableSource,
} from '../../src/index.ts';
import { MAIN, scratch } from './trainRuns.ts';

/** Trains `steps` steps of a graph built by `build` under a monitored training session in `dir`. */
async function trainIn(dir: string, build: (g: Graph) => unknown, steps: number, hooks: object[] = []): Promise<Graph> {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const input = build(graph) as { dequeue: unknown };
  const train = graph.group([graph.op('use', [input.dequeue as never], () => 0), graph.assignAdd(step, 1)], 'train');
  const sess = await monitoredTrainingSession({
    graph,
    checkpointDir: dir,
    saveCheckpointSteps: 5,
    saveSummariesSteps: null,
    hooks: [new StopAtStepHook({ lastStep: steps }), ...(hooks as never[])],
  });
  await withSession(sess, async (s) => {
    while (!s.shouldStop()) await s.run(train);
  });
  return graph;
}

const seekable = (g: Graph) => sourceQueueRunner(g, { source: arraySource([1, 2, 3], { repeat: true }) });
function plain(g: Graph) {
  const q = g.fifoQueue<number>({ capacity: 2, name: 'plain' });
  addQueueRunner(g, new QueueRunner({ queue: q, enqueueOps: [q.enqueue(g.op('one', [], () => 1))] }));
  return { dequeue: q.dequeue() };
}

describe('exact resume', () => {
  it('checkpoints of a job whose producers all seek say exactResume: true, and a restore from them is exact', async () => {
    const dir = await scratch('resume-unit');
    await trainIn(dir, seekable, 7);
    assert.deepEqual(await exactResumeOf((await latestCheckpoint(dir))!), { exact: true, reasons: [] });
    const graph = await trainIn(dir, seekable, 12);
    assert.deepEqual(
      restoresOf(graph).map((r) => r.exact),
      [true],
    );
    const { ['input/source_queue']: input } = await readSaveableStates((await latestCheckpoint(dir))!);
    assert.equal(input!['position'], 12, 'the position counts what the trainer consumed, not what the producer made');
    await rm(dir, { recursive: true, force: true });
  });

  it('a producer that cannot seek keeps working, and its checkpoints say exactResume: false with the reason', async () => {
    const dir = await scratch('resume-unit');
    await trainIn(dir, plain, 6);
    const info = await exactResumeOf((await latestCheckpoint(dir))!);
    assert.equal(info.exact, false);
    assert.match(info.reasons.join(), /queue runner 'plain' has no seekable source/);
    const graph = await trainIn(dir, plain, 9);
    assert.equal(restoresOf(graph)[0]!.exact, false);
    await rm(dir, { recursive: true, force: true });
  });

  it('a checkpoint written without resume state (an older version) is reported as not exact', async () => {
    const dir = await scratch('resume-unit');
    const graph = new Graph();
    graph.variable(1, { name: 'w' });
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'));
    const info = await exactResumeOf(prefix);
    assert.equal(info.exact, false);
    assert.match(info.reasons[0]!, /no resume state/);
    await rm(dir, { recursive: true, force: true });
  });

  it('randomGenerator: a fresh session draws from the seed; a restored one continues the saved sequence', async () => {
    const dir = await scratch('resume-unit');
    const graph = new Graph();
    const rng = randomGenerator(graph, { seed: 42, name: 'noise' });
    const u = rng.uniform();
    assert.throws(() => randomGenerator(graph, { seed: 1, name: 'noise' }), UsageValueError);
    const a = new Session(graph);
    const first = [await a.run(u), await a.run(u)];
    const prefix = await new Saver().save(a, path.join(dir, 'model.ckpt'));
    const rest = [await a.run(u), await a.run(u)];
    const fresh = new Session(graph);
    assert.deepEqual([await fresh.run(u), await fresh.run(u)], first);
    const restored = new Session(graph);
    await new Saver().restore(restored, prefix);
    assert.deepEqual([await restored.run(u), await restored.run(u)], rest);
    await rm(dir, { recursive: true, force: true });
  });

  it('arraySource seeks to any position and refuses a bad one', () => {
    const s: SyncSeekableSource<string, number> = arraySource(['a', 'b', 'c'], { repeat: true });
    s.seek(4);
    assert.deepEqual(s.next(), { done: false, value: 'b', position: 5 });
    assert.throws(() => s.seek(-1), UsageValueError);
    const once = arraySource(['a']);
    once.next();
    assert.deepEqual(once.next(), { done: true });
  });

  it('StepCounterHook and ProgressHook state goes into checkpoints and comes back on restore', async () => {
    const dir = await scratch('resume-unit');
    const clock = new TestClock();
    const lines: string[] = [];
    const progress = () => new ProgressHook({ stream: { write: (t: string) => lines.push(t) }, everyNSecs: 10, clock });
    await trainIn(dir, seekable, 7, [progress()]);
    const { hooks } = await readSaveableStates((await latestCheckpoint(dir))!);
    assert.deepEqual(Object.keys(hooks!).sort(), ['ProgressHook', 'StepCounterHook']);
    assert.equal((hooks!['StepCounterHook'] as { lastStep: number }).lastStep, 1, 'its first trigger, at step 1');
    assert.equal((hooks!['ProgressHook'] as { startStep: number }).startStep, 0);
    // A restored ProgressHook keeps its start step and its drawing rhythm: 4 s after a draw, not due.
    const hook = progress();
    hook.restoreCheckpointState({ startStep: 0, msSinceStart: 4000, msSinceDraw: 4000 });
    assert.deepEqual(hook.checkpointState(), { startStep: 0, msSinceStart: 4000, msSinceDraw: 4000 });
    const counter = new StepCounterHook({ everyNSteps: 10, clock, summaryWriter: { addSummary: () => {} } });
    counter.restoreCheckpointState({ lastStep: 20, msSinceLast: 1500 });
    assert.deepEqual(counter.checkpointState(), { lastStep: 20, msSinceLast: 1500 });
    await rm(dir, { recursive: true, force: true });
  });

  it('the CLI says in its text summary that it resumed exactly', { timeout: 60_000 }, async () => {
    const dir = await scratch('resume-cli');
    const run = (steps: number) =>
      new Promise<string>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', MAIN, 'train', '--steps', `${steps}`, '--checkpoint-dir', dir],
          { env: { ...process.env, NO_COLOR: '1' } },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.once('exit', () => resolve(out));
      });
    assert.match(await run(20), /resume\s+exact \(fresh start/);
    assert.match(await run(40), /resume\s+exact \(data position, random state and hook state restored\)/);
    await rm(dir, { recursive: true, force: true });
  });
});
