import type { Clock } from '../clock.ts';
import { ValueError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Variable } from '../graph/Variable.ts';
import type { Scaffold } from '../session/Scaffold.ts';
import type { Summary } from '../summary/ops.ts';
import { SummaryWriterCache, type SummaryWriter } from '../summary/SummaryWriter.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

/** Options of {@link SummarySaverHook}: exactly one of `scaffold`, `summaryOp`. */
export interface SummarySaverHookOptions {
  saveSteps?: number | null;
  saveSecs?: number | null;
  outputDir?: string;
  summaryWriter?: Pick<SummaryWriter, 'addSummary' | 'addSessionLog' | 'flush'>;
  scaffold?: Scaffold;
  summaryOp?: Tensor<Summary> | readonly Tensor<Summary>[];
  clock?: Clock;
}

/** Writes summaries every N steps or seconds, and a `SessionLog(START)` at the first step. */
export class SummarySaverHook extends SessionRunHook {
  readonly #timer: SecondOrStepTimer;
  readonly #outputDir: string | undefined;
  readonly #scaffold: Scaffold | undefined;
  readonly #summaryOp: readonly Tensor<Summary>[] | undefined;
  #writer: Pick<SummaryWriter, 'addSummary' | 'addSessionLog' | 'flush'> | undefined;
  #step: Variable<number> | undefined;
  #nextStep: number | undefined;
  #requested = false;

  constructor(options: SummarySaverHookOptions) {
    super();
    const { scaffold, summaryOp } = options ?? {};
    if ((scaffold === undefined) === (summaryOp === undefined)) throw new ValueError('SummarySaverHook: Exactly one of scaffold or summary_op must be provided.');
    this.#timer = new SecondOrStepTimer({ everySteps: options.saveSteps ?? null, everySecs: options.saveSecs ?? null, ...(options.clock ? { clock: options.clock } : {}) });
    this.#outputDir = options.outputDir;
    this.#writer = options.summaryWriter;
    this.#scaffold = scaffold;
    this.#summaryOp = summaryOp === undefined ? undefined : Array.isArray(summaryOp) ? [...summaryOp] : [summaryOp as Tensor<Summary>];
  }

  override begin(graph?: Graph): void {
    if (this.#writer === undefined && this.#outputDir !== undefined) this.#writer = SummaryWriterCache.get(this.#outputDir);
    this.#nextStep = undefined;
    if (graph !== undefined) this.#step = requireGlobalStep(graph, 'SummarySaverHook');
  }

  override afterCreateSession(session: Session): void {
    this.#step ??= requireGlobalStep(session.graph, 'SummarySaverHook');
  }

  #ops(): readonly Tensor<Summary>[] {
    if (this.#summaryOp !== undefined) return this.#summaryOp;
    const op = this.#scaffold?.summaryOp;
    return op === undefined ? [] : [op];
  }

  override beforeRun(): SessionRunArgs {
    this.#requested = this.#nextStep === undefined || this.#timer.shouldTriggerForStep(this.#nextStep);
    const ops = this.#requested ? this.#ops() : [];
    return new SessionRunArgs({ globalStep: this.#step, ...(ops.length > 0 ? { summary: ops } : {}) });
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    if (this.#writer === undefined) return;
    const results = runValues.results as { globalStep: number; summary?: Summary[] };
    let step = results.globalStep + 1;
    if (this.#nextStep === undefined || this.#requested) step = await runContext.session.run(this.#step!);
    if (this.#nextStep === undefined) this.#writer.addSessionLog({ status: 'START' }, step);
    if (this.#requested) {
      this.#timer.updateLastTriggeredStep(step);
      for (const s of results.summary ?? []) this.#writer.addSummary(s, step);
    }
    this.#nextStep = step + 1;
  }

  override async end(): Promise<void> {
    await this.#writer?.flush();
  }
}
