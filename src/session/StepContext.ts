import { StopIteration, ValueError } from '../errors.ts';
import type { FeedDict, Fetch, FetchResult } from '../graph/fetches.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import { Session } from '../graph/Session.ts';
import { expect, instanceOf, is, misuse } from '../internal/validate.ts';

/** A step function: one argument, the {@link StepContext}. */
export type StepFn<R> = (stepContext: StepContext) => R | Promise<R>;

type RunWithHooks = (
  fetches: Fetch,
  feedDict?: FeedDict | null,
  options?: RunOptions | null,
  runMetadata?: RunMetadata | null,
) => Promise<unknown>;

/**
 * What a step function gets (TensorFlow's `StepContext`): the raw session (runs bypass hooks),
 * `runWithHooks` (runs with hooks), and `requestStop`.
 */
export class StepContext {
  /** The raw session: its runs do not call hooks. */
  readonly session: Session;
  readonly #runWithHooks: RunWithHooks;

  constructor(session: Session, runWithHooks: RunWithHooks) {
    this.session = expect('StepContext', 'session', session, instanceOf(Session));
    this.#runWithHooks = expect('StepContext', 'runWithHooks', runWithHooks, is.function) as RunWithHooks;
  }

  /** Runs with the hooks around it, like `MonitoredSession.run` (recovery is per step function). */
  async runWithHooks<const F extends Fetch>(
    fetches: F,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<FetchResult<F>> {
    return (await this.#runWithHooks(fetches, feedDict, options, runMetadata)) as FetchResult<F>;
  }

  /** Stops the iterations: throws `StopIteration`, which a `withSession` block treats as a clean exit. */
  requestStop(): never {
    throw new StopIteration('step_fn has requested the iterations to stop.');
  }
}

/** Rejects step functions that declare more than one parameter (TensorFlow's rule). @internal */
export function checkStepFn(stepFn: unknown): void {
  if (typeof stepFn !== 'function') misuse('runStepFn', 'stepFn', 'a function', stepFn, 'type');
  if (stepFn.length > 1) {
    throw new ValueError(
      `\`step_fn\` may either have one \`step_context\` argument, or \`self\` and \`step_context\` arguments if it's an instance method. Got a function of ${stepFn.length} parameters instead.`,
    );
  }
}
