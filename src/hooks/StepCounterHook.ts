import type { Clock } from '../clock.ts';
import { ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { Variable } from '../graph/Variable.ts';
import { logger } from '../logger.ts';
import { SummaryWriterCache, type SummaryWriter } from '../summary/SummaryWriter.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

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

/** Measures steps per second; logs it and writes it as the summary `<global step name>/sec`. */
export class StepCounterHook extends SessionRunHook {
  /** The last measured rate, for progress displays. */
  lastStepsPerSec: number | undefined;
  readonly #timer: SecondOrStepTimer;
  readonly #outputDir: string | undefined;
  #writer: SummarySink | undefined;
  #step: Variable<number> | undefined;
  #tag = 'global_step/sec';
  #lastSeenStep: number | undefined;
  #staleWarnings = 0;

  constructor(options: StepCounterHookOptions = {}) {
    super();
    const everyNSteps = options.everyNSteps === undefined ? 100 : options.everyNSteps;
    const everyNSecs = options.everyNSecs ?? null;
    if ((everyNSteps === null) === (everyNSecs === null)) {
      throw new ValueError(`StepCounterHook: exactly one of every_n_steps and every_n_secs should be provided (got everyNSteps=${describeValue(everyNSteps)}, everyNSecs=${describeValue(everyNSecs)}).`);
    }
    this.#timer = new SecondOrStepTimer({ everySteps: everyNSteps, everySecs: everyNSecs, ...(options.clock ? { clock: options.clock } : {}) });
    this.#outputDir = options.outputDir;
    this.#writer = options.summaryWriter;
  }

  override begin(graph?: Graph): void {
    if (this.#writer === undefined && this.#outputDir !== undefined) this.#writer = SummaryWriterCache.get(this.#outputDir);
    if (graph !== undefined) this.#resolve(graph);
  }

  override afterCreateSession(session: Session): void {
    if (this.#step === undefined) this.#resolve(session.graph);
  }

  #resolve(graph: Graph): void {
    this.#step = requireGlobalStep(graph, 'StepCounterHook');
    this.#tag = `${this.#step.name}/sec`;
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.#step);
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    const stale = runValues.results as number;
    if (this.#timer.shouldTriggerForStep(stale + 1)) {
      const step = await runContext.session.run(this.#step!);
      if (this.#timer.shouldTriggerForStep(step)) {
        const [elapsedSecs, elapsedSteps] = this.#timer.updateLastTriggeredStep(step);
        if (elapsedSecs !== undefined && elapsedSecs > 0) {
          const rate = elapsedSteps! / elapsedSecs;
          this.lastStepsPerSec = rate;
          logger.info(`${this.#tag}: ${rate.toFixed(4)}`);
          this.#writer?.addSummary({ value: [{ tag: this.#tag, simpleValue: rate }] }, step);
        }
      }
    }
    if (this.#lastSeenStep !== undefined && stale === this.#lastSeenStep && this.#staleWarnings < 5) {
      this.#staleWarnings++;
      logger.warn('It seems that global step has not been increased. Current value (could be stable): ' + `${stale} vs previous value: ${this.#lastSeenStep}. You could increase the global step by passing a global step op to your training step.`);
    }
    this.#lastSeenStep = stale;
  }
}
