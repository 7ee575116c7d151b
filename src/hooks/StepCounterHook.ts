import type { Clock } from '../clock.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { logger } from '../logger.ts';
import type { SummaryWriter } from '../summary/SummaryWriter.ts';
import { DirectoryWriter } from './DirectoryWriter.ts';
import { checkOptions, is, optional, withMethods } from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { checkGraph, checkRunArgs, checkState, runSession, stepResult } from './hookArgs.ts';
import { clockOption, periodicTimer } from './hookOptions.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import type { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

/** Where periodic hooks write summaries (a `SummaryWriter` has it). */
export type SummarySink = Pick<SummaryWriter, 'addSummary'>;

/** Options of {@link StepCounterHook}. */
export interface StepCounterHookOptions {
  /** @default 100 (pass `null` to use `everyNSecs`) */
  everyNSteps?: number | null;
  everyNSecs?: number | null;
  /** Directory for a summary writer (shared per directory). */
  outputDir?: string;
  summaryWriter?: SummarySink;
  clock?: Clock;
}

const API = 'StepCounterHook';
const AFTER_RUN = `${API}.afterRun`;

/** Measures steps per second; logs it and writes it as the summary `<global step name>/sec`. */
export class StepCounterHook extends SessionRunHook<number> {
  /** The last measured rate, for progress displays. */
  lastStepsPerSec: number | undefined;
  readonly #timer: SecondOrStepTimer;
  readonly #directory: DirectoryWriter;
  readonly #given: SummarySink | undefined;
  #writer: SummarySink | undefined;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));
  #lastSeenStep: number | undefined;
  #staleWarnings = 0;

  constructor(options: StepCounterHookOptions = {}) {
    super();
    const opts = checkOptions(API, options, ['everyNSteps', 'everyNSecs', 'outputDir', 'summaryWriter', 'clock']);
    const everyNSteps = opts.everyNSteps === undefined ? 100 : opts.everyNSteps;
    const clock = clockOption(API, opts.clock);
    this.#timer = periodicTimer(API, {
      steps: ['everyNSteps', everyNSteps],
      secs: ['everyNSecs', opts.everyNSecs],
      clock,
    });
    this.#directory = new DirectoryWriter(optional(API, 'outputDir', opts.outputDir, is.nonEmptyString));
    this.#given = optional(
      API,
      'summaryWriter',
      opts.summaryWriter,
      withMethods<SummarySink>('a summary writer (with addSummary)', 'addSummary'),
    );
  }

  override begin(graph?: Graph): void {
    checkGraph(`${API}.begin`, graph); // before anything is acquired
    this.#writer = this.#given ?? this.#directory.acquire();
    this.#step.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#step.afterCreateSession(session);
  }

  override beforeRun(): SessionRunArgs {
    return this.#step.fetchArgs;
  }

  /**
   * Not an async method: a step that does not trigger (all but one in `everyNSteps`) returns
   * nothing, and the hooked layer waits for no promise.
   */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues<number>): Promise<void> | void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    const stale = stepResult(AFTER_RUN, runValues.results);
    if (this.#timer.shouldTriggerForStep(stale + 1)) return this.#trigger(runContext, stale);
    this.#noteStep(stale);
  }

  /** Reads the global step after the run and, when the period has passed, logs and writes the rate. */
  async #trigger(runContext: SessionRunContext, stale: number): Promise<void> {
    const step = await runSession(AFTER_RUN, runContext).run(this.#step.value);
    if (this.#timer.shouldTriggerForStep(step)) {
      const [elapsedSecs, elapsedSteps] = this.#timer.updateLastTriggeredStep(step);
      if (elapsedSecs !== undefined && elapsedSecs > 0) {
        const rate = elapsedSteps! / elapsedSecs;
        this.lastStepsPerSec = rate;
        const tag = `${this.#step.value.name}/sec`;
        logger.info(`${tag}: ${rate.toFixed(4)}`);
        this.#writer?.addSummary({ value: [{ tag, simpleValue: rate }] }, step);
      }
    }
    this.#noteStep(stale);
  }

  /** Warns (a few times) when the global step a run saw did not move since the previous run. */
  #noteStep(stale: number): void {
    if (this.#lastSeenStep !== undefined && stale === this.#lastSeenStep && this.#staleWarnings < 5) {
      this.#staleWarnings++;
      logger.warn(
        'It seems that global step has not been increased. Current value (could be stable): ' +
          `${stale} vs previous value: ${this.#lastSeenStep}. You could increase the global step by passing a global step op to your training step.`,
      );
    }
    this.#lastSeenStep = stale;
  }

  /** The timer's last trigger, saved with checkpoints so the rate logs resume on their rhythm. */
  checkpointState(): Readonly<Record<string, unknown>> {
    return this.#timer.checkpointState();
  }

  restoreCheckpointState(state: Readonly<Record<string, unknown>>): void {
    this.#timer.restoreCheckpointState(checkState(`${API}.restoreCheckpointState`, state));
  }

  override async end(): Promise<void> {
    await this.#directory.release();
  }

  async endOnError(): Promise<void> {
    await this.#directory.release();
  }
}
