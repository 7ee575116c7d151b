import { RuntimeError, ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import { getGlobalStep } from '../graph/globalStep.ts';
import type { Session } from '../graph/Session.ts';
import type { Variable } from '../graph/Variable.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';

/** Options of {@link StopAtStepHook}: exactly one of them. */
export interface StopAtStepHookOptions {
  /** Stop after this many steps from the step at the first session creation. */
  numSteps?: number;
  /** Stop once the global step reaches this value. */
  lastStep?: number;
}

function checkStep(option: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new ValueError(`StopAtStepHook: expected \`${option}\` to be a non-negative integer, got ${describeValue(value)}`);
  }
  return value as number;
}

/** The global step of `graph`, or TensorFlow's error for a hook that needs it. @internal */
export function requireGlobalStep(graph: Graph | undefined, hookName: string): Variable<number> {
  const step = graph === undefined ? undefined : getGlobalStep(graph);
  if (step === undefined) throw new RuntimeError(`Global step should be created to use ${hookName}.`);
  return step;
}

/** Requests a stop when the global step reaches `lastStep` (or `numSteps` past the start). */
export class StopAtStepHook extends SessionRunHook {
  readonly #numSteps: number | undefined;
  #lastStep: number | undefined;
  #step: Variable<number> | undefined;

  constructor(options: StopAtStepHookOptions) {
    super();
    const { numSteps, lastStep } = options ?? {};
    if (numSteps === undefined && lastStep === undefined) throw new ValueError('StopAtStepHook: One of num_steps or last_step must be specified.');
    if (numSteps !== undefined && lastStep !== undefined) throw new ValueError('StopAtStepHook: Only one of num_steps or last_step can be specified.');
    this.#numSteps = numSteps === undefined ? undefined : checkStep('numSteps', numSteps);
    this.#lastStep = lastStep === undefined ? undefined : checkStep('lastStep', lastStep);
  }

  /** The step at which the hook stops (known after the first session creation for `numSteps`). */
  get lastStep(): number | undefined {
    return this.#lastStep;
  }

  override begin(graph?: Graph): void {
    if (graph !== undefined) this.#step = requireGlobalStep(graph, 'StopAtStepHook');
  }

  override async afterCreateSession(session: Session): Promise<void> {
    this.#step ??= requireGlobalStep(session.graph, 'StopAtStepHook');
    if (this.#lastStep === undefined) this.#lastStep = (await session.run(this.#step)) + this.#numSteps!;
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.#step);
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    const next = (runValues.results as number) + 1;
    if (next >= this.#lastStep!) {
      const step = await runContext.session.run(this.#step!);
      if (step >= this.#lastStep!) runContext.requestStop();
    }
  }
}
