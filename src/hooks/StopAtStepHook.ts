import { UsageValueError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { Coordinator } from '../session/Coordinator.ts';
import { checkOptions, is, optional } from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { checkRunArgs, runSession, stepResult } from './hookArgs.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

/** Options of {@link StopAtStepHook}: exactly one of them. */
export interface StopAtStepHookOptions {
  /** Stop after this many steps from the step at the first session creation. */
  numSteps?: number;
  /** Stop once the global step reaches this value. */
  lastStep?: number;
}

const API = 'StopAtStepHook';
const AFTER_RUN = `${API}.afterRun`;

/** Requests a stop when the global step reaches `lastStep` (or `numSteps` past the start). */
export class StopAtStepHook extends SessionRunHook<number> {
  readonly #numSteps: number | undefined;
  #lastStep: number | undefined;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));

  constructor(options: StopAtStepHookOptions) {
    super();
    const opts = checkOptions(API, options, ['numSteps', 'lastStep'], { required: true });
    const numSteps = optional(API, 'numSteps', opts.numSteps, is.nonNegativeInteger);
    const lastStep = optional(API, 'lastStep', opts.lastStep, is.nonNegativeInteger);
    if ((numSteps === undefined) === (lastStep === undefined)) {
      const message =
        numSteps === undefined
          ? 'one of `numSteps` or `lastStep` must be specified.'
          : 'only one of `numSteps` or `lastStep` can be specified.';
      throw new UsageValueError(`${API}: ${message}`, { api: API, option: 'numSteps', received: numSteps });
    }
    this.#numSteps = numSteps;
    this.#lastStep = lastStep;
  }

  /** The step at which the hook stops (known after the first session creation for `numSteps`). */
  get lastStep(): number | undefined {
    return this.#lastStep;
  }

  override begin(graph?: Graph): void {
    this.#step.begin(graph);
  }

  /**
   * Fixes the last step at the first session (`numSteps` past its step). A session that starts at
   * or past the last step (restored there, by a recovery or a restart) has nothing left to do: the
   * coordinator is asked to stop before any step runs, where TensorFlow would run one more.
   */
  override async afterCreateSession(session: Session, coord: Coordinator): Promise<void> {
    const step = this.#step.afterCreateSession(session); // checks `session`
    const current = await session.run(step);
    if (this.#lastStep === undefined) this.#lastStep = current + this.#numSteps!;
    else if (current >= this.#lastStep) coord.requestStop();
  }

  override beforeRun(): SessionRunArgs {
    return this.#step.fetchArgs;
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues<number>): Promise<void> {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    const next = stepResult(AFTER_RUN, runValues.results) + 1;
    if (next >= this.#lastStep!) {
      const step = await runSession(AFTER_RUN, runContext).run(this.#step.value);
      if (step >= this.#lastStep!) runContext.requestStop();
    }
  }
}
