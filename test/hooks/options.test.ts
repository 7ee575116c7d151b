import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CheckpointSaverHook,
  FeedFnHook,
  FinalOpsHook,
  GlobalStepWaiterHook,
  Graph,
  LoggingTensorHook,
  MonitoredSession,
  NanTensorHook,
  ProfilerHook,
  ProgressHook,
  SecondOrStepTimer,
  SessionRunArgs,
  SessionRunHook,
  StepCounterHook,
  StopAtStepHook,
  SummarySaverHook,
  UnknownOptionError,
  UsageError,
  getOrCreateGlobalStep,
  type FetchResult,
  type SessionRunContext,
  type SessionRunValues,
  type Tensor,
} from '../../src/index.ts';

const t = new Graph().constant(1, 'c');
/** Each hook with valid options, and the name of its API in messages. */
const hooks: [string, (extra: Record<string, unknown>) => unknown][] = [
  ['StopAtStepHook', (x) => new StopAtStepHook({ numSteps: 1, ...x })],
  ['SecondOrStepTimer', (x) => new SecondOrStepTimer({ everySteps: 1, ...x })],
  ['CheckpointSaverHook', (x) => new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: 1, ...x })],
  ['StepCounterHook', (x) => new StepCounterHook({ ...x })],
  ['LoggingTensorHook', (x) => new LoggingTensorHook({ tensors: [t], everyNIter: 1, ...x })],
  ['NanTensorHook', (x) => new NanTensorHook({ lossTensor: t, ...x })],
  ['GlobalStepWaiterHook', (x) => new GlobalStepWaiterHook({ waitUntilStep: 1, ...x })],
  ['FinalOpsHook', (x) => new FinalOpsHook({ finalOps: t, ...x })],
  ['FeedFnHook', (x) => new FeedFnHook({ feedFn: () => ({}), ...x })],
  ['SummarySaverHook', (x) => new SummarySaverHook({ saveSteps: 1, summaryOp: t as never, ...x })],
  ['ProfilerHook', (x) => new ProfilerHook({ saveSteps: 1, ...x })],
  ['ProgressHook', (x) => new ProgressHook({ stream: { write: () => true }, ...x })],
];

describe('hook options', () => {
  for (const [api, make] of hooks) {
    it(`${api} refuses an unknown option and names the camelCase one it probably meant`, () => {
      assert.doesNotThrow(() => make({}));
      assert.throws(
        () => make({ every_n_secs_typo: 1 }),
        (e: unknown) => e instanceof UnknownOptionError && e instanceof UsageError && e.message.startsWith(`${api}: unknown option \`every_n_secs_typo\``),
      );
    });
  }

  it('names the suggestion in this API spelling (save_steps → saveSteps)', () => {
    assert.throws(() => new ProfilerHook({ save_steps: 1 } as never), /ProfilerHook: unknown option `save_steps`; did you mean `saveSteps`\?/);
  });

  it('checks the clock when passed', () => {
    for (const [api, make] of hooks) {
      if (api === 'StopAtStepHook' || api === 'NanTensorHook' || api === 'FinalOpsHook' || api === 'FeedFnHook') continue;
      assert.throws(() => make({ clock: {} }), (e: unknown) => e instanceof UsageError && e instanceof TypeError && /`clock`/.test(e.message), api);
    }
  });

  it('messages name the option in this API spelling and the value received', () => {
    assert.throws(() => new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: -1 }), /^UsageValueError: CheckpointSaverHook: expected `saveSteps` to be a non-negative integer, got -1$/m);
    assert.throws(() => new ProgressHook({ lastStep: 0 }), /ProgressHook: expected `lastStep` to be a positive integer, got 0/);
    assert.throws(() => new NanTensorHook({ lossTensor: 3 } as never), /NanTensorHook: expected `lossTensor` to be a tensor or a node name, got 3/);
    assert.throws(() => new LoggingTensorHook({ tensors: { a: 1 }, everyNIter: 1 } as never), /expected `tensors.a` to be a tensor or a node name, got 1/);
    assert.throws(() => new CheckpointSaverHook({ checkpointDir: '/tmp/x', saveSteps: 1, checkpointBasename: 'a/b' }), /`checkpointBasename` to be a file name/);
    assert.throws(() => new StepCounterHook(null as never), /StepCounterHook: expected `options` to be an options object, got null/);
  });
});

describe('typed SessionRunValues', () => {
  it('a custom hook types its results without a cast', async () => {
    const graph = new Graph();
    const step = getOrCreateGlobalStep(graph);
    const loss: Tensor<number> = graph.constant(0.5, 'loss');
    const fetches = { loss, step } as const;
    const seen: number[] = [];
    class LossHook extends SessionRunHook<FetchResult<typeof fetches>> {
      override beforeRun(): SessionRunArgs<typeof fetches> {
        return new SessionRunArgs(fetches);
      }
      override afterRun(_ctx: SessionRunContext, values: SessionRunValues<FetchResult<typeof fetches>>): void {
        // `values.results.loss` is a number here: `toFixed` type-checks without `as`.
        seen.push(Number(values.results.loss.toFixed(1)) + values.results.step);
      }
    }
    const increment = graph.assignAdd(step, 1);
    const sess = await MonitoredSession.create({ graph, hooks: [new LossHook()] });
    await sess.run(increment);
    await sess.close();
    assert.deepEqual(seen, [0.5]);
  });
});
