import type { Clock } from '../clock.ts';
import { UsageValueError } from '../errors.ts';
import { graphDefBytes } from '../checkpoint/graphDef.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import type { Scaffold } from '../session/Scaffold.ts';
import type { Summary } from '../summary/ops.ts';
import type { SummaryWriter } from '../summary/SummaryWriter.ts';
import { DirectoryWriter } from './DirectoryWriter.ts';
import {
  anyOf,
  arrayOf,
  checkOptions,
  expect,
  instanceOf,
  is,
  optional,
  rule,
  withMethods,
  type Rule,
} from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { checkGraph, checkRunArgs, runSession } from './hookArgs.ts';
import { clockOption, periodicTimer } from './hookOptions.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import type { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

/** Options of {@link SummarySaverHook}: exactly one of `scaffold`, `summaryOp`. */
export interface SummarySaverHookOptions {
  saveSteps?: number | null;
  saveSecs?: number | null;
  outputDir?: string;
  summaryWriter?: Pick<SummaryWriter, 'addSummary' | 'addSessionLog' | 'flush'>;
  scaffold?: Scaffold;
  summaryOp?: Tensor<Summary> | readonly Tensor<Summary>[];
  /**
   * Also write the graph (a `graph_def` event, TensorBoard's Graphs tab) once per monitored
   * session, when its writer has `addGraph`. @default false
   */
  saveGraphDef?: boolean;
  clock?: Clock;
}

const API = 'SummarySaverHook';
const AFTER_RUN = `${API}.afterRun`;
const KNOWN = [
  'saveSteps',
  'saveSecs',
  'outputDir',
  'summaryWriter',
  'scaffold',
  'summaryOp',
  'saveGraphDef',
  'clock',
] as const;
type Writer = Pick<SummaryWriter, 'addSummary' | 'addSessionLog' | 'flush'> & Partial<Pick<SummaryWriter, 'addGraph'>>;
const writerRule = withMethods<Writer>(
  'a summary writer (addSummary, addSessionLog, flush)',
  'addSummary',
  'addSessionLog',
  'flush',
);
const tensorRule = instanceOf(Tensor) as Rule<Tensor<Summary>>;
const opRule = anyOf<Tensor<Summary> | Tensor<Summary>[]>(
  'a summary tensor or a list of them',
  tensorRule,
  arrayOf(tensorRule),
);
/** What this hook fetched on a step that writes: the global step and the summaries. */
const resultsRule = rule<{ globalStep: number; summary?: Summary[] }>(
  'the fetched { globalStep, summary? }',
  'type',
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { globalStep?: unknown }).globalStep === 'number' &&
    ((v as { summary?: unknown }).summary === undefined || Array.isArray((v as { summary?: unknown }).summary)),
);

/** Writes summaries every N steps or seconds, and a `SessionLog(START)` at the first step. */
export class SummarySaverHook extends SessionRunHook<number | { globalStep: number; summary?: Summary[] }> {
  readonly #timer: SecondOrStepTimer;
  readonly #directory: DirectoryWriter;
  readonly #given: Writer | undefined;
  readonly #scaffold: Scaffold | undefined;
  readonly #summaryOp: readonly Tensor<Summary>[] | undefined;
  #writer: Writer | undefined;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));
  #nextStep: number | undefined;
  #requested = false;
  readonly #saveGraphDef: boolean;
  #graphWritten = false;

  constructor(options: SummarySaverHookOptions) {
    super();
    const opts = checkOptions(API, options, KNOWN, { required: true });
    if ((opts.scaffold === undefined) === (opts.summaryOp === undefined)) {
      const message = `${API}: exactly one of \`scaffold\` or \`summaryOp\` must be provided.`;
      throw new UsageValueError(message, { api: API, option: 'summaryOp', received: opts.summaryOp });
    }
    const scaffold = optional(API, 'scaffold', opts.scaffold, is.object) as Scaffold | undefined;
    const summaryOp = optional(API, 'summaryOp', opts.summaryOp, opRule);
    const clock = clockOption(API, opts.clock);
    this.#timer = periodicTimer(API, {
      steps: ['saveSteps', opts.saveSteps],
      secs: ['saveSecs', opts.saveSecs],
      clock,
    });
    this.#saveGraphDef = optional(API, 'saveGraphDef', opts.saveGraphDef, is.boolean) ?? false;
    this.#directory = new DirectoryWriter(optional(API, 'outputDir', opts.outputDir, is.nonEmptyString));
    this.#given = optional(API, 'summaryWriter', opts.summaryWriter, writerRule);
    this.#scaffold = scaffold;
    this.#summaryOp =
      summaryOp === undefined ? undefined : Array.isArray(summaryOp) ? [...summaryOp] : [summaryOp as Tensor<Summary>];
  }

  override begin(graph?: Graph): void {
    checkGraph(`${API}.begin`, graph); // before anything is acquired
    this.#writer = this.#given ?? this.#directory.acquire();
    this.#nextStep = undefined;
    this.#step.begin(graph);
    this.#graphWritten = false;
  }

  override afterCreateSession(session: Session): void {
    this.#step.afterCreateSession(session);
    this.#writeGraph(session.graph);
  }

  /** The graph, once per monitored session, at its first session: every hook's `begin` has added its ops. */
  #writeGraph(graph: Graph): void {
    if (!this.#saveGraphDef || this.#graphWritten || typeof this.#writer?.addGraph !== 'function') return;
    this.#writer.addGraph(graphDefBytes(graph));
    this.#graphWritten = true;
  }

  #ops(): readonly Tensor<Summary>[] {
    if (this.#summaryOp !== undefined) return this.#summaryOp;
    const op = this.#scaffold?.summaryOp;
    return op === undefined ? [] : [op];
  }

  /**
   * The global step alone (one tensor, the same `SessionRunArgs` every step) on the steps that
   * write nothing; with the summaries, `{ globalStep, summary }`, on the steps that do.
   */
  override beforeRun(): SessionRunArgs {
    this.#requested = this.#nextStep === undefined || this.#timer.shouldTriggerForStep(this.#nextStep);
    if (!this.#requested) return this.#step.fetchArgs;
    const ops = this.#ops();
    return new SessionRunArgs({ globalStep: this.#step.value, ...(ops.length > 0 ? { summary: ops } : {}) });
  }

  /** Not an async method: a step that writes nothing (all but one in `saveSteps`) returns nothing. */
  override afterRun(
    runContext: SessionRunContext,
    runValues: SessionRunValues<number | { globalStep: number; summary?: Summary[] }>,
  ): Promise<void> | void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    if (this.#writer === undefined) return;
    const fetched = runValues.results;
    const results =
      typeof fetched === 'number'
        ? { globalStep: fetched }
        : expect(AFTER_RUN, 'runValues.results', fetched, resultsRule);
    if (this.#nextStep === undefined || this.#requested) return this.#write(runContext, this.#writer, results);
    this.#nextStep = results.globalStep + 2;
  }

  /** Reads the global step after the run, then writes the session log (first step) and the summaries. */
  async #write(
    runContext: SessionRunContext,
    writer: Writer,
    results: { globalStep: number; summary?: Summary[] },
  ): Promise<void> {
    const step = await runSession(AFTER_RUN, runContext).run(this.#step.value);
    if (this.#nextStep === undefined) writer.addSessionLog({ status: 'START' }, step);
    if (this.#requested) {
      this.#timer.updateLastTriggeredStep(step);
      for (const s of results.summary ?? []) writer.addSummary(s, step);
    }
    this.#nextStep = step + 1;
  }

  override async end(): Promise<void> {
    try {
      await this.#writer?.flush();
    } finally {
      await this.#directory.release();
    }
  }

  async endOnError(): Promise<void> {
    await this.#directory.release();
  }
}
