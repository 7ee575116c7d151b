import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { writeFileDurably } from '../internal/durableFile.ts';
import type { Graph } from '../graph/Graph.ts';
import { TraceLevel, type NodeExecStats } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import type { Variable } from '../graph/Variable.ts';
import { logger } from '../logger.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

/** A Chrome trace (the JSON that chrome://tracing and Perfetto open). */
export interface ChromeTrace {
  traceEvents: Record<string, unknown>[];
  displayTimeUnit: 'ms';
}

/** Turns a run's `stepStats` into a Chrome trace: one complete event per node, one row per device. */
export function toChromeTrace(stats: readonly NodeExecStats[]): ChromeTrace {
  const devices = [...new Set(stats.map((s) => s.device))];
  const events: Record<string, unknown>[] = devices.map((device, pid) => ({ name: 'process_name', ph: 'M', pid, args: { name: `${device} Compute` } }));
  for (const s of stats) {
    events.push({
      name: s.opType,
      cat: 'Op',
      ph: 'X',
      ts: s.startMicros,
      dur: s.durationMicros,
      pid: devices.indexOf(s.device),
      tid: 0,
      args: { name: s.nodeName, op: s.opType },
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}

/** Options of {@link ProfilerHook}: exactly one of `saveSteps`, `saveSecs`. */
export interface ProfilerHookOptions {
  saveSteps?: number | null;
  saveSecs?: number | null;
  /** Where `timeline-<step>.json` files go. @default '' (the working directory) */
  outputDir?: string;
  clock?: Clock;
}

/** Traces a run every N steps or seconds and writes `timeline-<step>.json` (Chrome trace format). */
export class ProfilerHook extends SessionRunHook {
  readonly outputDir: string;
  /** Files written so far. */
  readonly timelines: string[] = [];
  readonly #timer: SecondOrStepTimer;
  #step: Variable<number> | undefined;
  #nextStep: number | undefined;
  #requested = false;

  constructor(options: ProfilerHookOptions) {
    super();
    this.#timer = new SecondOrStepTimer({ everySteps: options?.saveSteps ?? null, everySecs: options?.saveSecs ?? null, ...(options?.clock ? { clock: options.clock } : {}) });
    this.outputDir = path.resolve(options.outputDir ?? '');
  }

  override begin(graph?: Graph): void {
    this.#nextStep = undefined;
    if (graph !== undefined) this.#step = requireGlobalStep(graph, 'ProfilerHook');
  }

  override afterCreateSession(session: Session): void {
    this.#step ??= requireGlobalStep(session.graph, 'ProfilerHook');
  }

  override beforeRun(): SessionRunArgs {
    this.#requested = this.#nextStep !== undefined && this.#timer.shouldTriggerForStep(this.#nextStep);
    return new SessionRunArgs(this.#step, undefined, this.#requested ? { traceLevel: TraceLevel.FULL_TRACE } : undefined);
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    const stale = runValues.results as number;
    if (this.#nextStep === undefined) this.#timer.updateLastTriggeredStep(stale);
    let step = stale + 1;
    if (this.#requested) {
      step = await runContext.session.run(this.#step!);
      this.#timer.updateLastTriggeredStep(step);
      const file = path.join(this.outputDir, `timeline-${step}.json`);
      try {
        await mkdir(this.outputDir, { recursive: true });
        await writeFileDurably(file, JSON.stringify(toChromeTrace(runValues.runMetadata.stepStats ?? [])), 'ProfilerHook');
        this.timelines.push(file);
      } catch (error) {
        logger.error(`ProfilerHook: could not write ${file}`, error);
      }
    }
    this.#nextStep = step + 1;
  }
}
