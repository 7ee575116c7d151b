/**
 * Hook methods called directly with junk (what the API fuzz found): each refuses its argument with
 * a UsageTypeError naming the method and the argument, never a TypeError from inside the hook.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CheckpointSaverHook,
  FinalOpsHook,
  GlobalStepWaiterHook,
  Graph,
  LoggingTensorHook,
  NanTensorHook,
  ProfilerHook,
  ProgressHook,
  SecondOrStepTimer,
  Session,
  SessionRunArgs,
  SessionRunContext,
  SessionRunValues,
  StepCounterHook,
  StopAtStepHook,
  SummarySaverHook,
  SummaryWriterCache,
  UsageTypeError,
  getOrCreateGlobalStep,
  toChromeTrace,
} from '../../src/index.ts';

function misuse(api: string, option: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof UsageTypeError, `expected a UsageTypeError, got ${String(e)}`);
    assert.match(
      e.message,
      new RegExp(`^${api.replace('.', '\\.')}: expected \`${option.replace(/[.[\]]/g, '\\$&')}\``),
    );
    return true;
  };
}

function revoked(): object {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}

const graph = new Graph();
const step = getOrCreateGlobalStep(graph);
const loss = graph.constant(1, 'loss');
const session = new Session(graph);
const ctx = new SessionRunContext(new SessionRunArgs(), session);
const values = (results: unknown): SessionRunValues => new SessionRunValues(results, {}, {});
const dir = mkdtempSync(path.join(tmpdir(), 'ms-hook-misuse-'));

/** Each hook, and whether its `afterRun` fetched the global step (a number). */
const hooks: [string, () => Record<string, (...a: unknown[]) => unknown>, boolean][] = [
  ['StopAtStepHook', () => new StopAtStepHook({ lastStep: 3 }) as never, true],
  ['CheckpointSaverHook', () => new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1 }) as never, true],
  ['StepCounterHook', () => new StepCounterHook({ everyNSteps: 1 }) as never, true],
  ['ProfilerHook', () => new ProfilerHook({ saveSteps: 1, outputDir: dir }) as never, true],
  ['NanTensorHook', () => new NanTensorHook({ lossTensor: loss }) as never, false],
  ['LoggingTensorHook', () => new LoggingTensorHook({ tensors: [loss], everyNIter: 1 }) as never, false],
  ['ProgressHook', () => new ProgressHook({ stream: { write: () => true } }) as never, false],
  [
    'SummarySaverHook',
    () => new SummarySaverHook({ saveSteps: 1, summaryOp: loss as never, summaryWriter: sink() }) as never,
    false,
  ],
];

function sink(): never {
  return { addSummary: () => {}, addSessionLog: () => {}, flush: async () => {} } as never;
}

describe('hook methods called with junk refuse it with a UsageTypeError', () => {
  after(async () => {
    await SummaryWriterCache.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [api, make, fetchesStep] of hooks) {
    it(`${api}.afterCreateSession(junk) names \`session\``, async () => {
      for (const junk of [undefined, null, {}, 2, revoked()]) {
        await assert.rejects(
          async () => make().afterCreateSession!(junk),
          misuse(`${api}.afterCreateSession`, 'session'),
        );
      }
    });

    it(`${api}.afterRun(junk, ...) names \`runContext\` and \`runValues\``, async () => {
      const hook = make();
      await hook.begin!(graph);
      await assert.rejects(async () => hook.afterRun!(undefined, values(0)), misuse(`${api}.afterRun`, 'runContext'));
      await assert.rejects(async () => hook.afterRun!(revoked(), values(0)), misuse(`${api}.afterRun`, 'runContext'));
      await assert.rejects(async () => hook.afterRun!(ctx, undefined), misuse(`${api}.afterRun`, 'runValues'));
      await assert.rejects(async () => hook.afterRun!(ctx, { results: 0 }), misuse(`${api}.afterRun`, 'runValues'));
      if (fetchesStep)
        await assert.rejects(
          async () => hook.afterRun!(ctx, values('x')),
          misuse(`${api}.afterRun`, 'runValues.results'),
        );
    });

    it(`${api}.begin(junk) names \`graph\``, async () => {
      await assert.rejects(async () => make().begin!({ nodes: 1 }), misuse(`${api}.begin`, 'graph'));
    });
  }

  it('a run context built around junk is refused when the hook runs it', async () => {
    const hook = new StepCounterHook({ everyNSteps: 1 });
    hook.begin(graph);
    const junk = new SessionRunContext(new SessionRunArgs(), {} as never);
    await assert.rejects(
      async () => hook.afterRun(junk, values(0) as never),
      misuse('StepCounterHook.afterRun', 'runContext.session'),
    );
  });

  it('end(junk) names `session` (and ProgressHook, `info`)', async () => {
    await assert.rejects(
      async () => new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1 }).end(undefined as never),
      misuse('CheckpointSaverHook.end', 'session'),
    );
    await assert.rejects(
      async () => new FinalOpsHook({ finalOps: loss }).end({} as never),
      misuse('FinalOpsHook.end', 'session'),
    );
    await assert.rejects(
      async () => new LoggingTensorHook({ tensors: [loss], atEnd: true }).end(3 as never),
      misuse('LoggingTensorHook.end', 'session'),
    );
    const progress = new ProgressHook({ stream: { write: () => true } });
    await assert.rejects(
      async () => progress.end(undefined as never, { reason: 'finished' }),
      misuse('ProgressHook.end', 'session'),
    );
    await assert.rejects(async () => progress.end(session, revoked() as never), misuse('ProgressHook.end', 'info'));
  });

  it('GlobalStepWaiterHook.beforeRun(junk) names `runContext`', async () => {
    const hook = new GlobalStepWaiterHook({ waitUntilStep: 5 });
    hook.begin(graph);
    await assert.rejects(
      async () => hook.beforeRun(undefined as never),
      misuse('GlobalStepWaiterHook.beforeRun', 'runContext'),
    );
  });

  it('restoreCheckpointState(junk) names `state`; ProgressHook.printAbove(junk) names `text`', () => {
    assert.throws(
      () => new SecondOrStepTimer({ everySteps: 1 }).restoreCheckpointState(undefined as never),
      misuse('SecondOrStepTimer.restoreCheckpointState', 'state'),
    );
    assert.throws(
      () => new StepCounterHook().restoreCheckpointState(revoked() as never),
      misuse('StepCounterHook.restoreCheckpointState', 'state'),
    );
    const progress = new ProgressHook({ stream: { write: () => true } });
    assert.throws(
      () => progress.restoreCheckpointState(null as never),
      misuse('ProgressHook.restoreCheckpointState', 'state'),
    );
    assert.throws(() => progress.printAbove(3 as never), misuse('ProgressHook.printAbove', 'text'));
  });

  it('toChromeTrace(junk) names `stats`', () => {
    for (const junk of [undefined, {}, [undefined], [{ device: Symbol('d') }]])
      assert.throws(() => toChromeTrace(junk as never), misuse('toChromeTrace', 'stats'));
  });

  it('valid calls keep working: StopAtStepHook requests a stop at its last step', async () => {
    const hook = new StopAtStepHook({ lastStep: 0 });
    hook.begin(graph);
    await session.run(step.initializer);
    const context = new SessionRunContext(new SessionRunArgs(), session);
    await hook.afterRun(context, values(0) as never);
    assert.equal(context.stopRequested, true);
  });
});
