/**
 * The shared facade of `MonitoredSession` and `SingularMonitoredSession`. The lifecycle statechart
 * (`machines/lifecycle.ts`, effects in `lifecycleEffects.ts`) drives creation, recovery and close;
 * the per-step path (`run`) goes straight to the active {@link SessionStack} and never touches it.
 */
import type { LifecycleActor, LifecycleSnapshot } from '../../machines/lifecycle.ts';
import { RuntimeError } from '../errors.ts';
import type { FeedDict, Fetch, FetchResult } from '../graph/fetches.ts';
import type { Graph } from '../graph/Graph.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import type { EndReason } from './SessionRunHook.ts';
import { MONITORED_SESSION } from '../internal/brand.ts';
import { isThenable } from '../internal/promise.ts';
import { logger } from '../logger.ts';
import { trackHooks } from '../resume/ResumeState.ts';
import { isHookError } from './HookedSession.ts';
import { FailureLog } from './FailureLog.ts';
import { InFlight } from './InFlight.ts';
import { closed, currentOrNew, firstOutcome, isIn, nextSession, outcome, type FacadeView } from './lifecycleWaits.ts';
import { startLifecycle } from './lifecycleEffects.ts';
import type { FailureSource } from './recovery.ts';
import { runAttempt, type SessionStack } from './SessionStack.ts';
import { refuseNew, type ResolvedSessionOptions } from './sessionOptions.ts';
import { StepContext, checkStepFn, type StepFn } from './StepContext.ts';
import { CLOSE_WITH, CREATE } from './tokens.ts';

export { CLOSE_WITH, CREATE } from './tokens.ts';

const closedError = (): RuntimeError => new RuntimeError('Session is already closed.');

/** The shared implementation of `MonitoredSession` (recoverable) and `SingularMonitoredSession`. */
export abstract class BaseMonitoredSession {
  readonly [MONITORED_SESSION] = true;
  readonly #singular: boolean;
  readonly #options: ResolvedSessionOptions;
  readonly #actor: LifecycleActor;
  readonly #graphWasFinalized: boolean;
  /** The stack runs use: set and cleared by the chart (`activateSession`/`deactivateSession`) only. */
  #current: SessionStack | undefined;
  #closing: Promise<void> | undefined;
  readonly #failures = new FailureLog();
  /** Attempts (runs, step functions) executing on a session; close waits for them before the hooks end. */
  readonly #inFlight = new InFlight();
  /** What the chart waits read of this facade (off the per-step path). */
  readonly #view: FacadeView<SessionStack> = {
    current: () => this.#current,
    closing: () => this.#closing !== undefined,
  };

  protected constructor(token: unknown, options: ResolvedSessionOptions, singular: boolean) {
    if (token !== CREATE) refuseNew(new.target.name, token);
    this.#singular = singular;
    this.#options = options;
    this.#graphWasFinalized = options.graph?.finalized ?? true;
    trackHooks(options.graph, options.hooks); // their declared state goes into checkpoints (exact resume)
    this.#actor = startLifecycle({
      ...options,
      recovers: !singular,
      activate: (stack) => void (this.#current = stack),
      failureEvent: (error, source, stack) => this.#failures.event(error, source, stack),
      recovering: () => this.#failures.recovering(),
    });
  }

  /** Starts the lifecycle and waits for the first session (or the creation error). */
  protected async start(): Promise<void> {
    this.#actor.start();
    const snapshot = await firstOutcome(this.#actor);
    if (!isIn(snapshot, 'running')) {
      this.#closing = Promise.resolve();
      throw snapshot.context.lastError;
    }
  }

  /** The lifecycle actor: `actor.getSnapshot().value` is the state; `actor.subscribe` follows it. */
  get actor(): LifecycleActor {
    return this.#actor;
  }

  /** The lifecycle's current snapshot (state, sessions created, recoveries and their causes). */
  get snapshot(): LifecycleSnapshot {
    return this.#actor.getSnapshot();
  }

  /** The graph of the current session; `undefined` after close. */
  get graph(): Graph | undefined {
    if (this.#closing !== undefined && this.#current === undefined) return undefined;
    return this.#current?.raw.graph ?? this.#options.graph;
  }

  /** @internal The raw session of the current stack. */
  protected currentRaw(): Session | undefined {
    return this.#current?.raw;
  }

  /**
   * Runs `fetches` with every hook around it. In `MonitoredSession`, a lost session
   * (`AbortedError`, `UnavailableError`) is recreated and the same run issued again.
   */
  run<const F extends Fetch>(
    fetches: F,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<FetchResult<F>> {
    if (this.#closing !== undefined) return Promise.reject(closedError());
    // The per-step path: the first attempt runs on the current stack at once (no closure is made
    // for it), and a run that answers synchronously makes one promise, the one returned here.
    const stack = this.#current;
    if (stack === undefined)
      return this.#supervised('run', runAttempt<FetchResult<F>>(fetches, feedDict, options, runMetadata));
    this.#enter(stack);
    let result: unknown;
    try {
      result = stack.runNow(fetches, feedDict, options, runMetadata);
    } catch (error) {
      return this.#supervised('run', runAttempt<FetchResult<F>>(fetches, feedDict, options, runMetadata), stack, error);
    }
    if (!isThenable(result)) return Promise.resolve(this.#succeeded(stack, result as FetchResult<F>));
    return Promise.resolve(result as Promise<FetchResult<F>>).then(
      (value) => this.#succeeded(stack, value),
      (error: unknown) =>
        this.#supervised('run', runAttempt<FetchResult<F>>(fetches, feedDict, options, runMetadata), stack, error),
    );
  }

  /**
   * Calls `stepFn(stepContext)`: `stepContext.session` is the raw session (no hooks),
   * `stepContext.runWithHooks` runs with hooks. In `MonitoredSession`, a lost session re-runs the
   * whole step function on a new one.
   */
  async runStepFn<R>(stepFn: StepFn<R>): Promise<R> {
    checkStepFn(stepFn);
    if (this.#closing !== undefined) throw closedError();
    let raw: Session | undefined;
    return this.#supervised('stepFn', (stack) => {
      // TensorFlow's quirk (E7): the context keeps the raw session of the first attempt.
      raw ??= stack.raw;
      return stepFn(new StepContext(raw, (f, fd, o, md) => stack.run(f, fd, o, md)));
    });
  }

  /**
   * Runs `attempt` on the current session stack, counted as in flight (close waits for it). A
   * failure is decided by the recovery policy (MonitoredSession only); an attempt whose session a
   * recovery replaced under it is made again on the new one, whatever it failed with. `failed`
   * and `error`: a first attempt made outside (on `failed`, still entered) that threw `error`.
   */
  async #supervised<R>(
    source: FailureSource,
    attempt: (stack: SessionStack) => R | Promise<R>,
    failed?: SessionStack,
    error?: unknown,
  ): Promise<R> {
    for (let lost = failed, why = error; ;) {
      if (lost !== undefined) {
        this.#leave(lost);
        // A run blocked on input while another run lost the session fails (OutOfRangeError, say)
        // only because the recovery closed its session: it is re-issued, not ended.
        if (!lost.retired || this.#closing !== undefined) {
          if (this.#singular) throw why;
          await this.#recover(why, isHookError(why) ? 'hook' : source, lost);
        }
      }
      const stack = await currentOrNew(this.#actor, this.#view, closedError);
      this.#enter(stack);
      try {
        return this.#succeeded(stack, await attempt(stack));
      } catch (caught) {
        [lost, why] = [stack, caught];
      }
    }
  }

  /**
   * An attempt on `stack` succeeded: it leaves the stack, and the next failure is attempt 1 again.
   * The session was lost while this attempt ran (a producer failed, say): the result stands,
   * but the caller's next shouldStop() must answer for a new session, whose hooks may already
   * ask to stop (a StopAtStepHook restored at its last step). Returning during the recovery
   * (or the next one, when the new session is lost in turn), a loop would see no session,
   * run once more and train a step past its end.
   */
  #succeeded<R>(stack: SessionStack, result: R): R | Promise<R> {
    this.#leave(stack);
    this.#failures.succeeded();
    return stack.retired ? nextSession(this.#actor, this.#view).then(() => result) : result;
  }

  /** An attempt starts using `stack`: close (and a recovery's close of `stack`) waits for it. */
  #enter(stack: SessionStack): void {
    this.#inFlight.enter();
    stack.inFlight.enter();
  }

  #leave(stack: SessionStack): void {
    stack.inFlight.leave();
    this.#inFlight.leave();
  }

  /** Reports `error` to the chart, which decides; returns to retry, or throws what the caller gets. */
  async #recover(error: unknown, source: FailureSource, stack: SessionStack): Promise<void> {
    if (stack === this.#current) {
      const event = this.#failures.event(error, source, stack);
      this.#actor.send(event);
      const decision = this.#actor.getSnapshot().context.decision;
      if (decision?.failure === event.failure && decision.action === 'rethrow') throw error;
    }
    const snapshot = await outcome(this.#actor);
    if (isIn(snapshot, 'running')) return;
    if (isIn(snapshot, 'detached')) throw snapshot.context.lastError ?? error;
    throw error;
  }

  /**
   * Synchronous, no side effect. True once a hook or the coordinator asked to stop, or after close.
   * A coordinator stopped by a lost session has already started a recovery (its watcher reported
   * it), so there is no session right now and this is false until the new one runs.
   * `SingularMonitoredSession` throws the error the coordinator holds (TensorFlow's check).
   */
  shouldStop(): boolean {
    if (this.#closing !== undefined) return true;
    const stack = this.#current;
    if (stack === undefined) return !this.#actor.getSnapshot().hasTag('sessionPending');
    if (this.#singular && stack.coord.hasException) throw stack.coord.exception;
    return stack.coord.shouldStop() || stack.hooked.stopRequested;
  }

  /**
   * Closes cleanly: hooks' `end` (each within `stopGracePeriodSecs`), then producers stopped, then
   * the session closed; a stored coordinator error is thrown from here. Finishes within a bound in
   * every state. A second close waits for the first, then throws "Session is already closed.".
   */
  async close(): Promise<void> {
    await this[CLOSE_WITH]('clean', undefined);
  }

  /**
   * `await using`: settles when the close is done. Without a prior `close()` (or `withSession`),
   * the block may have left with an error it cannot see, so this is an abort-close: hooks are told
   * `endOnError`, never `end`, and so never publish (a final checkpoint, say) a failed run's state.
   * Call `await session.close()` at the end of the block for a clean close.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closing !== undefined) {
      await this.#closing.catch(() => {});
      return;
    }
    const cause = new RuntimeError(
      "The monitored session was disposed without close(): closed as aborted, hooks' end skipped.",
    );
    logger.info(cause.message);
    await this[CLOSE_WITH]('error', cause);
  }

  /** @internal Closing with a kind (clean or error), the error of an error close, and the hooks' end reason. */
  async [CLOSE_WITH](kind: 'clean' | 'error', cause: unknown, reason?: EndReason): Promise<void> {
    if (this.#closing !== undefined) {
      await this.#closing.catch(() => {});
      throw closedError();
    }
    this.#closing = this.#close(kind, cause, reason);
    return this.#closing;
  }

  async #close(kind: 'clean' | 'error', cause: unknown, reason: EndReason | undefined): Promise<void> {
    const stack = this.#current;
    const endReason =
      reason ?? (stack?.hooked.stopRequested || stack?.coord.shouldStop() ? 'stopRequested' : 'finished');
    await this.#drainRuns();
    // CLOSE is handled in every state: a creation in progress (or its hung afterCreateSession) is abandoned.
    this.#actor.send({ type: 'CLOSE', kind, reason: endReason, cause });
    const snapshot = await closed(this.#actor);
    const graph = this.#options.graph;
    if (graph !== undefined && !this.#graphWasFinalized) graph.unsafeUnfinalize();
    const error = snapshot.context.lastError;
    if (error !== undefined) throw error;
  }

  /**
   * Waits for runs in flight (started before close) to finish, so no hook is called after its
   * `end`; a run still going after the grace period is abandoned and reported.
   */
  async #drainRuns(): Promise<void> {
    const { clock, graceSecs } = this.#options;
    const warning = (left: number) =>
      `Closing with ${left} run(s) still in flight after the ${graceSecs}s grace period; they are abandoned.`;
    if ((await this.#inFlight.drain(clock, graceSecs * 1000, warning)) > 0) this.#current?.inFlight.abandon();
  }
}
