import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { writeFileDurably } from '../internal/durableFile.ts';
import type { Graph } from '../graph/Graph.ts';
import { TraceLevel, type NodeExecStats } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import { logger } from '../logger.ts';
import { arrayOf, checkOptions, expect, is, optional, rule } from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { checkRunArgs, runSession, stepResult } from './hookArgs.ts';
import { clockOption, periodicTimer } from './hookOptions.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import type { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

/** A Chrome trace (the JSON that chrome://tracing and Perfetto open). */
export interface ChromeTrace {
  traceEvents: Record<string, unknown>[];
  displayTimeUnit: 'ms';
}

const statsRule = arrayOf(
  rule<NodeExecStats>('a NodeExecStats', 'type', (v) => {
    if (v === null || typeof v !== 'object') return false;
    const s = v as NodeExecStats;
    return (
      typeof s.nodeName === 'string' &&
      typeof s.opType === 'string' &&
      typeof s.device === 'string' &&
      typeof s.startMicros === 'number' &&
      typeof s.durationMicros === 'number'
    );
  }),
  'an array of NodeExecStats ({ nodeName, opType, device, startMicros, durationMicros })',
);

/**
 * Turns a run's `stepStats` into a Chrome trace: one complete event per node, one process per
 * device. Ops that overlap in time go on separate threads (`tid`s) of their device, so every
 * thread's slices are disjoint, as Perfetto and chrome://tracing require; a thread is reused as
 * soon as its previous op has ended.
 */
export function toChromeTrace(stats: readonly NodeExecStats[]): ChromeTrace {
  expect('toChromeTrace', 'stats', stats, statsRule);
  const devices = [...new Set(stats.map((s) => s.device))];
  const events: Record<string, unknown>[] = devices.map((device, pid) => ({
    name: 'process_name',
    ph: 'M',
    pid,
    args: { name: `${device} Compute` },
  }));
  const lanes = devices.map((): number[] => []); // per device: the end of the last op on each thread
  const ordered = [...stats].sort((a, b) => a.startMicros - b.startMicros || b.durationMicros - a.durationMicros);
  for (const s of ordered) {
    const pid = devices.indexOf(s.device);
    const ends = lanes[pid]!;
    let tid = ends.findIndex((end) => end <= s.startMicros);
    if (tid === -1) {
      tid = ends.length;
      events.push({
        name: 'thread_name',
        ph: 'M',
        pid,
        tid,
        args: { name: tid === 0 ? 'ops' : `ops (concurrent ${tid})` },
      });
    }
    ends[tid] = s.startMicros + s.durationMicros;
    events.push({
      name: s.opType,
      cat: 'Op',
      ph: 'X',
      ts: s.startMicros,
      dur: s.durationMicros,
      pid,
      tid,
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

const API = 'ProfilerHook';
const AFTER_RUN = `${API}.afterRun`;

/** Traces a run every N steps or seconds and writes `timeline-<step>.json` (Chrome trace format). */
export class ProfilerHook extends SessionRunHook<number> {
  readonly outputDir: string;
  /** Files written so far. */
  readonly timelines: string[] = [];
  readonly #timer: SecondOrStepTimer;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));
  #nextStep: number | undefined;
  #requested = false;

  constructor(options: ProfilerHookOptions) {
    super();
    const opts = checkOptions(API, options, ['saveSteps', 'saveSecs', 'outputDir', 'clock'], { required: true });
    const clock = clockOption(API, opts.clock);
    this.#timer = periodicTimer(API, {
      steps: ['saveSteps', opts.saveSteps],
      secs: ['saveSecs', opts.saveSecs],
      clock,
    });
    this.outputDir = path.resolve(optional(API, 'outputDir', opts.outputDir, is.string) ?? '');
  }

  override begin(graph?: Graph): void {
    this.#nextStep = undefined;
    this.#step.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#step.afterCreateSession(session);
  }

  override beforeRun(): SessionRunArgs {
    this.#requested = this.#nextStep !== undefined && this.#timer.shouldTriggerForStep(this.#nextStep);
    return new SessionRunArgs(
      this.#step.value,
      undefined,
      this.#requested ? { traceLevel: TraceLevel.FULL_TRACE } : undefined,
    );
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues<number>): Promise<void> {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    const stale = stepResult(AFTER_RUN, runValues.results);
    if (this.#nextStep === undefined) this.#timer.updateLastTriggeredStep(stale);
    let step = stale + 1;
    if (this.#requested) {
      step = await runSession(AFTER_RUN, runContext).run(this.#step.value);
      this.#timer.updateLastTriggeredStep(step);
      const file = path.join(this.outputDir, `timeline-${step}.json`);
      try {
        await mkdir(this.outputDir, { recursive: true });
        await writeFileDurably(
          file,
          JSON.stringify(toChromeTrace(runValues.runMetadata?.stepStats ?? [])),
          'ProfilerHook',
        );
        this.timelines.push(file);
      } catch (error) {
        logger.error(`ProfilerHook: could not write ${file}`, error);
      }
    }
    this.#nextStep = step + 1;
  }
}
