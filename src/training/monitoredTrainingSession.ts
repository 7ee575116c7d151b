import type { Clock } from '../clock.ts';
import { checkOptions, expect, instanceOf, is, optional, rule } from '../internal/validate.ts';
import { Graph } from '../graph/Graph.ts';
import type { SessionConfig } from '../graph/Session.ts';
import { CheckpointSaverHook } from '../hooks/CheckpointSaverHook.ts';
import { StepCounterHook } from '../hooks/StepCounterHook.ts';
import { SummarySaverHook } from '../hooks/SummarySaverHook.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import { ChiefSessionCreator, WorkerSessionCreator } from '../session/creators.ts';
import { MonitoredSession, type InspectObserver } from '../session/MonitoredSession.ts';
import type { RecoveryPolicy } from '../session/recovery.ts';
import { clockRule, hookRule, inspectRule } from '../session/rules.ts';
import { Scaffold } from '../session/Scaffold.ts';

/**
 * Options of {@link monitoredTrainingSession}. A saving option left `undefined` means
 * TensorFlow's default (`USE_DEFAULT`); `null` or `0` turns that saver off.
 */
export interface MonitoredTrainingSessionOptions {
  graph: Graph;
  /** @default '' */
  master?: string;
  /** @default true */
  isChief?: boolean;
  checkpointDir?: string;
  scaffold?: Scaffold;
  hooks?: readonly Hook[];
  /** Hooks for the chief only, placed before the default hooks. */
  chiefOnlyHooks?: readonly Hook[];
  /** @default 600 when neither checkpoint option is given */
  saveCheckpointSecs?: number | null;
  saveCheckpointSteps?: number | null;
  /**
   * Asynchronous checkpointing: each checkpoint is written in the background while training goes
   * on (`CheckpointSaverHook`'s `async`). @default false
   */
  asyncCheckpoint?: boolean;
  /** @default 100 when neither summary option is given */
  saveSummariesSteps?: number | null;
  saveSummariesSecs?: number | null;
  config?: SessionConfig;
  /** @default 120 */
  stopGracePeriodSecs?: number;
  /** @default 100 */
  logStepCountSteps?: number | null;
  /** How long a worker waits for the chief. @default 7200 */
  maxWaitSecs?: number;
  /**
   * A worker's longest wait between readiness checks; on a store that signals readiness
   * (`redis://`) the worker resumes as soon as the chief is ready. @default 30
   */
  recoveryWaitSecs?: number;
  /** @default checkpointDir */
  summaryDir?: string;
  /** @default true */
  saveGraphDef?: boolean;
  recovery?: RecoveryPolicy;
  clock?: Clock;
  inspect?: InspectObserver;
}

/** Resolves TensorFlow's USE_DEFAULT rules for a (secs, steps) pair. @internal */
export function resolveSaveFrequency(
  secs: number | null | undefined,
  steps: number | null | undefined,
  defaults: { secs?: number; steps?: number },
): { secs: number | undefined; steps: number | undefined } {
  if (secs === undefined && steps === undefined) return { secs: defaults.secs, steps: defaults.steps };
  return { secs: secs ?? undefined, steps: steps ?? undefined };
}

const positive = (x: number | undefined): x is number => x !== undefined && x > 0;

const API = 'monitoredTrainingSession';
const KEYS = [
  'graph',
  'master',
  'isChief',
  'checkpointDir',
  'scaffold',
  'hooks',
  'chiefOnlyHooks',
  'saveCheckpointSecs',
  'saveCheckpointSteps',
  'asyncCheckpoint',
  'saveSummariesSteps',
  'saveSummariesSecs',
  'config',
  'stopGracePeriodSecs',
  'logStepCountSteps',
  'maxWaitSecs',
  'summaryDir',
  'saveGraphDef',
  'recovery',
  'clock',
  'inspect',
  'recoveryWaitSecs',
] as const;
const count = rule<number | null>(
  'a non-negative number, null or undefined',
  'value',
  (v) => v === null || is.nonNegativeNumber.test(v),
);

/** Every option, eagerly, named as this API names it (`checkpoint_dir` is refused, naming `checkpointDir`). */
function checkTrainingOptions(options: unknown): asserts options is MonitoredTrainingSessionOptions {
  const o = checkOptions(API, options, KEYS, { required: true });
  expect(API, 'graph', o.graph, instanceOf(Graph));
  for (const key of [
    'saveCheckpointSecs',
    'saveCheckpointSteps',
    'saveSummariesSteps',
    'saveSummariesSecs',
    'logStepCountSteps',
    'maxWaitSecs',
    'recoveryWaitSecs',
  ] as const) {
    optional(API, key, o[key], count);
  }
  for (const key of ['master', 'checkpointDir', 'summaryDir'] as const) optional(API, key, o[key], is.string);
  for (const key of ['isChief', 'saveGraphDef', 'asyncCheckpoint'] as const) optional(API, key, o[key], is.boolean);
  optional(API, 'scaffold', o.scaffold, instanceOf(Scaffold));
  optional(API, 'config', o.config, is.object);
  optional(API, 'stopGracePeriodSecs', o.stopGracePeriodSecs, is.duration);
  for (const key of ['hooks', 'chiefOnlyHooks'] as const) {
    (optional(API, key, o[key], is.array) ?? []).forEach((hook, i) => expect(API, `${key}[${i}]`, hook, hookRule));
  }
  optional(API, 'clock', o.clock, clockRule);
  optional(API, 'inspect', o.inspect, inspectRule);
}

/**
 * TensorFlow's `MonitoredTrainingSession`: a `MonitoredSession` set up for training. The chief
 * restores from and saves to `checkpointDir` and writes summaries; workers wait for the chief.
 * @example
 * const sess = await monitoredTrainingSession({ graph, checkpointDir: 'runs/a', saveCheckpointSteps: 100, hooks: [new StopAtStepHook({ lastStep: 1000 })] });
 */
export async function monitoredTrainingSession(options: MonitoredTrainingSessionOptions): Promise<MonitoredSession> {
  checkTrainingOptions(options);
  const { graph, master = '', isChief = true, checkpointDir, stopGracePeriodSecs = 120, maxWaitSecs = 7200 } = options;
  const scaffold = options.scaffold ?? new Scaffold();
  const common = {
    stopGracePeriodSecs,
    graph,
    ...(options.recovery ? { recovery: options.recovery } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  };
  if (!isChief) {
    const sessionCreator = new WorkerSessionCreator({
      graph,
      scaffold,
      master,
      config: options.config,
      maxWaitSecs,
      clock: options.clock,
      recoveryWaitSecs: options.recoveryWaitSecs ?? undefined,
    });
    return MonitoredSession.create({ ...common, sessionCreator, hooks: [...(options.hooks ?? [])] });
  }

  const checkpoint = resolveSaveFrequency(options.saveCheckpointSecs, options.saveCheckpointSteps, { secs: 600 });
  const summaries = resolveSaveFrequency(options.saveSummariesSecs, options.saveSummariesSteps, { steps: 100 });
  const summaryDir = options.summaryDir ?? checkpointDir;
  const logStepCountSteps = options.logStepCountSteps === undefined ? 100 : options.logStepCountSteps;
  const clock = options.clock ? { clock: options.clock } : {};
  const hooks: Hook[] = [...(options.chiefOnlyHooks ?? [])];
  if (summaryDir) {
    if (positive(logStepCountSteps ?? undefined))
      hooks.push(new StepCounterHook({ outputDir: summaryDir, everyNSteps: logStepCountSteps, ...clock }));
    if (positive(summaries.steps) || positive(summaries.secs)) {
      hooks.push(
        new SummarySaverHook({
          scaffold,
          outputDir: summaryDir,
          saveSteps: positive(summaries.steps) ? summaries.steps : null,
          saveSecs: positive(summaries.secs) ? summaries.secs : null,
          ...clock,
        }),
      );
    }
  }
  if (checkpointDir && (positive(checkpoint.secs) || positive(checkpoint.steps))) {
    hooks.push(
      new CheckpointSaverHook({
        checkpointDir,
        saveSecs: positive(checkpoint.secs) ? checkpoint.secs : null,
        saveSteps: positive(checkpoint.steps) ? checkpoint.steps : null,
        scaffold,
        saveGraphDef: options.saveGraphDef ?? true,
        async: options.asyncCheckpoint ?? false,
        ...clock,
      }),
    );
  }
  hooks.push(...(options.hooks ?? []));
  const sessionCreator = new ChiefSessionCreator({
    graph,
    scaffold,
    master,
    config: options.config,
    checkpointDir,
    clock: options.clock,
  });
  return MonitoredSession.create({ ...common, sessionCreator, hooks });
}
