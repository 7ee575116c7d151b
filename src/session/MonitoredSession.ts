import { assign, createActor, fromCallback, fromPromise, waitFor, type InspectionEvent, type Observer } from 'xstate';
import { errorMessage, errorName, lifecycleMachine, MAX_HISTORY, type CloseKind, type HookActorInput, type HookCall, type HookMethod, type LifecycleActor, type LifecycleContext, type LifecycleSnapshot, type ProducerSpec } from '../../machines/lifecycle.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';
import { OutOfRangeError, RuntimeError, StopIteration, ValueError, describeValue, isRecoverable } from '../errors.ts';
import type { FeedDict, Fetch, FetchResult } from '../graph/fetches.ts';
import { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session, SessionConfig } from '../graph/Session.ts';
import type { EndReason, Hook } from '../hooks/SessionRunHook.ts';
import { MONITORED_SESSION } from '../internal/brand.ts';
import { logger } from '../logger.ts';
import { trackHooks } from '../resume/ResumeState.ts';
import { Coordinator } from './Coordinator.ts';
import { ChiefSessionCreator, NotReadyYet, isSteppedCreator, type SessionCreator } from './creators.ts';
import { HookedSession, implementsMethod } from './HookedSession.ts';
import type { QueueRunner } from './QueueRunner.ts';
import { backoffDelay, resolveRecoveryPolicy, type RecoveryPolicy, type ResolvedRecoveryPolicy } from './recovery.ts';
import type { Scaffold } from './Scaffold.ts';
import { StepContext, checkStepFn, type StepFn } from './StepContext.ts';

/** An xstate inspection observer, passed to every actor the session creates. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Options of {@link MonitoredSession.create}. */
export interface MonitoredSessionOptions {
  /** Creates (and recreates) sessions. @default new ChiefSessionCreator({ graph }) */
  sessionCreator?: SessionCreator;
  hooks?: readonly Hook[];
  /** Seconds producers get to stop at close before they are abandoned. @default 120 */
  stopGracePeriodSecs?: number;
  /** Needed when no `sessionCreator` is given. */
  graph?: Graph;
  /** How to recover from lost sessions. @default retry AbortedError/UnavailableError forever, short capped backoff */
  recovery?: RecoveryPolicy;
  /** Clock for backoff, grace periods and waits. @default systemClock */
  clock?: Clock;
  /** An xstate inspection observer (e.g. a statechart inspector), given every actor. */
  inspect?: InspectObserver;
}

/** The layers under the recoverable one: raw session, coordinator, hooks (TensorFlow's stack). */
class SessionStack {
  readonly raw: Session;
  readonly coord: Coordinator;
  readonly hooked: HookedSession;
  readonly generation: number;
  readonly tasks: { name: string; run: (signal?: AbortSignal) => Promise<void> }[];

  constructor(raw: Session, coord: Coordinator, hooks: readonly Hook[], generation: number) {
    this.raw = raw;
    this.coord = coord;
    this.hooked = new HookedSession(raw, hooks);
    this.generation = generation;
    const runners = raw.graph.getCollection<QueueRunner>(GraphKeys.QUEUE_RUNNERS);
    this.tasks = runners.flatMap((qr) => qr.producerTasks(raw, coord));
  }

  /** The coordinated layer's run: a preemption error held by the coordinator replaces others (D1). */
  async run(fetches: Fetch, feedDict?: FeedDict | null, options?: RunOptions | null, runMetadata?: RunMetadata | null): Promise<unknown> {
    try {
      return await this.hooked.run(fetches, feedDict, options, runMetadata);
    } catch (error) {
      if (!isRecoverable(error) && this.coord.hasException && isRecoverable(this.coord.exception)) throw this.coord.exception;
      throw error;
    }
  }
}

const CLOSE_WITH = Symbol('closeWith');

/**
 * The shared implementation of `MonitoredSession` (recoverable) and `SingularMonitoredSession`.
 * The lifecycle statechart drives creation, recovery and close; the per-step path (`run`) goes
 * straight to the current session stack and never touches the chart.
 */
abstract class BaseMonitoredSession {
  readonly [MONITORED_SESSION] = true;
  readonly #singular: boolean;
  readonly #hooks: readonly Hook[];
  readonly #creator: SessionCreator;
  readonly #policy: ResolvedRecoveryPolicy;
  readonly #clock: Clock;
  readonly #grace: number;
  readonly #actor: LifecycleActor;
  readonly #graph: Graph | undefined;
  readonly #graphWasFinalized: boolean;
  #stack: SessionStack | undefined;
  #building: { raw: Session; stack?: SessionStack } | undefined;
  #closed = false;
  /** Set by a successful run: the next recovery starts a new attempt count. */
  #fresh = true;
  #endReason: EndReason = 'finished';
  /** Runs and step functions in flight; close waits for them before the hooks end. */
  #active = 0;
  #idle: (() => void) | undefined;
  #closeError: unknown;

  protected constructor(options: MonitoredSessionOptions, singular: boolean) {
    const api = singular ? 'SingularMonitoredSession' : 'MonitoredSession';
    if (options === null || typeof options !== 'object') throw new TypeError(`${api}.create: expected an options object, got ${describeValue(options)}`);
    const hooks = options.hooks ?? [];
    if (!Array.isArray(hooks)) throw new TypeError(`${api}.create: expected \`hooks\` to be an array, got ${describeValue(hooks)}`);
    hooks.forEach((hook, i) => {
      if (hook === null || typeof hook !== 'object') throw new TypeError(`${api}.create: expected \`hooks[${i}]\` to be a hook object, got ${describeValue(hook)}`);
    });
    const grace = options.stopGracePeriodSecs ?? 120;
    if (typeof grace !== 'number' || !(grace >= 0)) {
      throw new ValueError(`${api}.create: expected \`stopGracePeriodSecs\` to be a non-negative number, got ${describeValue(grace)}`);
    }
    if (options.graph !== undefined && !(options.graph instanceof Graph)) {
      throw new TypeError(`${api}.create: expected \`graph\` to be a Graph, got ${describeValue(options.graph)}`);
    }
    let creator = options.sessionCreator;
    if (creator === undefined) {
      if (options.graph === undefined) throw new ValueError(`${api}.create: expected \`graph\` (or a \`sessionCreator\`), got neither`);
      creator = new ChiefSessionCreator({ graph: options.graph, clock: options.clock });
    } else if (typeof creator?.createSession !== 'function') {
      throw new TypeError(`${api}.create: expected \`sessionCreator\` to have a createSession() method, got ${describeValue(creator)}`);
    }
    this.#singular = singular;
    this.#hooks = [...hooks];
    this.#creator = creator;
    this.#policy = resolveRecoveryPolicy(options.recovery);
    this.#clock = options.clock ?? systemClock;
    this.#grace = grace;
    const creatorGraph = (creator as unknown as { graph?: unknown }).graph;
    this.#graph = options.graph ?? (creatorGraph instanceof Graph ? creatorGraph : undefined);
    this.#graphWasFinalized = this.#graph?.finalized ?? true;
    trackHooks(this.#graph, this.#hooks);
    const stepped = isSteppedCreator(creator);
    const restores = isSteppedCreator(creator) && creator.restores;
    this.#actor = createActor(this.#provideMachine(), {
      input: { singular, stepped, restores, hookCount: this.#hooks.length, endGraceMs: grace * 1000 },
      clock: this.#clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
  }

  /** Starts the lifecycle and waits for the first session (or the creation error). */
  protected async start(): Promise<void> {
    this.#actor.start();
    const snapshot = await waitFor(this.#actor, (s) => s.matches('running') || s.matches('failed') || s.matches('detached'));
    if (!snapshot.matches('running')) {
      this.#closed = true;
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
    if (this.#closed && this.#stack === undefined) return undefined;
    return this.#stack?.raw.graph ?? this.#graph;
  }

  /** @internal The raw session of the current stack. */
  protected currentRaw(): Session | undefined {
    return this.#stack?.raw;
  }

  /**
   * Runs `fetches` with every hook around it. In `MonitoredSession`, a lost session
   * (`AbortedError`, `UnavailableError`) is recreated and the same run issued again.
   */
  run<const F extends Fetch>(fetches: F, feedDict?: FeedDict | null, options?: RunOptions | null, runMetadata?: RunMetadata | null): Promise<FetchResult<F>> {
    if (this.#closed) return Promise.reject(new RuntimeError('Session is already closed.'));
    // The first attempt takes the current stack without awaiting anything else: the per-step path.
    return this.#supervised('run', (stack) => stack.run(fetches, feedDict, options, runMetadata) as Promise<FetchResult<F>>, this.#stack);
  }

  /**
   * Calls `stepFn(stepContext)`: `stepContext.session` is the raw session (no hooks),
   * `stepContext.runWithHooks` runs with hooks. In `MonitoredSession`, a lost session re-runs the
   * whole step function on a new one.
   */
  async runStepFn<R>(stepFn: StepFn<R>): Promise<R> {
    checkStepFn(stepFn);
    if (this.#closed) throw new RuntimeError('Session is already closed.');
    let raw: Session | undefined;
    return this.#supervised('stepFn', (stack) => {
      // TensorFlow's quirk (E7): the context keeps the raw session of the first attempt.
      raw ??= stack.raw;
      return stepFn(new StepContext(raw, (f, fd, o, md) => stack.run(f, fd, o, md)));
    });
  }

  /**
   * Runs `attempt` on the current session stack, counted as in flight (close waits for it). A
   * lost session (MonitoredSession only) is recovered from and `attempt` made again on the new one.
   */
  async #supervised<R>(source: string, attempt: (stack: SessionStack) => R | Promise<R>, first?: SessionStack): Promise<R> {
    this.#active++;
    try {
      for (let current = first; ; current = undefined) {
        const stack = current ?? (await this.#ensureStack());
        try {
          const result = await attempt(stack);
          this.#fresh = true;
          return result;
        } catch (error) {
          if (this.#singular || !isRecoverable(error)) throw error;
          await this.#recover(error, source, stack);
        }
      }
    } finally {
      if (--this.#active === 0) this.#idle?.();
    }
  }

  /**
   * Waits for runs in flight (started before close) to finish, so no hook is called after its
   * `end`; a run still going after the grace period is abandoned and reported.
   */
  async #drainRuns(): Promise<void> {
    if (this.#active === 0) return;
    const idle = new Promise<void>((resolve) => (this.#idle = resolve));
    const controller = new AbortController();
    const timeout = sleep(this.#clock, this.#grace * 1000, controller.signal).catch(() => {});
    await Promise.race([idle, timeout]);
    controller.abort();
    this.#idle = undefined;
    if (this.#active > 0) logger.warn(`Closing with ${this.#active} run(s) still in flight after the ${this.#grace}s grace period; they are abandoned.`);
  }

  /**
   * Synchronous. True once a hook or the coordinator asked to stop, or after close. A lost
   * session reported to the coordinator makes it false: recovery starts and the next run waits for it.
   */
  shouldStop(): boolean {
    if (this.#closed) return true;
    const stack = this.#stack;
    if (stack === undefined) {
      return !this.#actor.getSnapshot().hasTag('sessionPending');
    }
    if (stack.coord.hasException) {
      const error = stack.coord.exception;
      if (this.#singular) throw error;
      if (!isRecoverable(error)) return true;
      this.#sendRecover(error, 'coordinator', stack);
      return false;
    }
    return stack.coord.shouldStop() || stack.hooked.stopRequested;
  }

  /**
   * Closes cleanly: hooks' `end`, then producers stopped, then the session closed; a stored
   * coordinator error is thrown from here. A second close throws "Session is already closed.".
   */
  async close(): Promise<void> {
    await this[CLOSE_WITH]('clean', undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }

  /** @internal Closing with a reason (clean) or an error (hooks' `end` skipped). */
  async [CLOSE_WITH](kind: CloseKind, cause: unknown, reason?: EndReason): Promise<void> {
    if (this.#closed) throw new RuntimeError('Session is already closed.');
    this.#closed = true;
    this.#endReason = reason ?? (this.#stack?.hooked.stopRequested || this.#stack?.coord.shouldStop() ? 'stopRequested' : 'finished');
    this.#closeError = cause;
    await this.#drainRuns();
    // Let a creation in progress finish first: close always starts from a settled state.
    await waitFor(this.#actor, (s) => !s.hasTag('settling'));
    this.#actor.send({ type: 'CLOSE', kind });
    const snapshot = await waitFor(this.#actor, (s) => s.status === 'done');
    if (this.#graph !== undefined && !this.#graphWasFinalized) this.#graph.unsafeUnfinalize();
    const error = snapshot.context.lastError;
    if (error !== undefined) throw error;
  }

  /** One lifecycle call of a hook, made by its actor: after creation, or at close. */
  async #callHook(hook: Hook, method: HookMethod): Promise<void> {
    if (method === 'afterCreateSession') {
      const { raw, stack } = this.#building!;
      await hook.afterCreateSession?.(raw, stack!.coord);
      return;
    }
    const raw = this.#stack?.raw;
    if (raw === undefined) return;
    if (method === 'end') {
      await hook.end?.(raw, { reason: this.#endReason });
      return;
    }
    if (implementsMethod(hook, 'endOnError')) await hook.endOnError!(raw, this.#closeError);
  }

  #sendRecover(error: unknown, source: string, stack: SessionStack): void {
    this.#actor.send({ type: 'RECOVER', error, source, generation: stack.generation, fresh: this.#fresh });
    this.#fresh = false;
  }

  /** Asks the chart to recover from `error` and waits for the outcome. */
  async #recover(error: unknown, source: string, stack: SessionStack): Promise<void> {
    logger.warn(`An error was raised. This may be due to a preemption in a connected worker or parameter server. The current session will be closed and a new session will be created. Error: ${errorMessage(error)}`);
    this.#sendRecover(error, source, stack);
    const snapshot = await this.#outcome();
    if (snapshot.matches('running')) return;
    if (snapshot.matches('detached')) throw snapshot.context.lastError ?? error;
    throw error;
  }

  /** Waits until the lifecycle has a session again, has none (detached), or is closing. */
  #outcome(): Promise<LifecycleSnapshot> {
    return waitFor(this.#actor, (s) => s.matches('running') || s.matches('detached') || s.matches('stopping') || s.status === 'done');
  }

  /** The current stack, waiting for a recovery in progress or asking a detached chart for a session. */
  async #ensureStack(): Promise<SessionStack> {
    for (;;) {
      if (this.#closed) throw new RuntimeError('Session is already closed.');
      const stack = this.#stack;
      if (stack !== undefined) return stack;
      if (this.#actor.getSnapshot().matches('detached')) this.#actor.send({ type: 'CREATE' });
      const snapshot = await this.#outcome();
      if (snapshot.matches('running')) continue;
      if (snapshot.matches('detached')) throw snapshot.context.lastError;
      throw new RuntimeError('Session is already closed.');
    }
  }

  #provideMachine() {
    const hooks = this.#hooks;
    const creator = this.#creator;
    const policy = this.#policy;
    const singular = this.#singular;
    const attemptOf = (context: LifecycleContext, event: { type: string; fresh?: boolean }): number =>
      event.type === 'RECOVER' && event.fresh ? 1 : context.attempt + 1;
    const sourceOf = (event: { type: string; source?: string }): string => (event.type === 'RECOVER' ? (event.source ?? 'run') : 'creation');

    return lifecycleMachine.provide({
      actors: {
        beginHooks: fromPromise(async () => {
          for (const hook of hooks) await hook.begin?.(this.#graph);
        }),
        openSession: fromPromise(async () => {
          const raw = isSteppedCreator(creator) ? await creator.openSession() : await creator.createSession();
          this.#building = { raw };
        }),
        restoreSession: fromPromise(async () => (isSteppedCreator(creator) ? creator.restoreSession(this.#building!.raw) : false)),
        initializeSession: fromPromise(async ({ input }) => {
          if (isSteppedCreator(creator)) await creator.initializeSession(this.#building!.raw, input.restored);
        }),
        startCoordinator: fromPromise(async ({ input }): Promise<ProducerSpec[]> => {
          const raw = this.#building!.raw;
          // No error counts as a clean stop in a monitored session, not even OutOfRangeError (B2).
          const coord = new Coordinator({ cleanStopExceptionTypes: [], clock: this.#clock });
          const stack = new SessionStack(raw, coord, hooks, input.generation);
          this.#building!.stack = stack;

          return stack.tasks.map((task, index) => ({ id: `producer-${input.generation}-${index}`, name: task.name, generation: input.generation, index }));
        }),
        producer: fromPromise(async ({ input, signal }) => {
          const stack = this.#building?.stack ?? this.#stack;
          if (stack === undefined || stack.generation !== input.generation) return;
          const done = stack.tasks[input.index]!.run(signal);
          stack.coord.registerThread(done, input.name);
          await done.catch((error: unknown) => logger.error(`${input.name} failed`, error));
        }),
        hook: fromCallback<HookCall, HookActorInput>(({ input, receive, sendBack }) => {
          const hook = hooks[input.index]!;
          receive((call) => {
            void this.#callHook(hook, call.method).then(
              () => sendBack({ type: 'HOOK.DONE', index: input.index }),
              (error: unknown) => {
                // At an error close the chart goes on with the next hook; say what was skipped.
                if (call.method === 'endOnError') logger.error('A hook failed in endOnError; the close goes on.', error);
                sendBack({ type: 'HOOK.FAILED', index: input.index, error });
              },
            );
          });
        }),
        closeStack: fromPromise(async () => {
          const stack = this.#stack ?? this.#building?.stack;
          const raw = this.#stack?.raw ?? this.#building?.raw;
          this.#stack = undefined;
          this.#building = undefined;
          if (raw === undefined) return { abandoned: [] };
          let abandoned: string[] = [];
          let joinError: unknown;
          let failed = false;
          try {
            if (stack) {
              stack.coord.requestStop();
              abandoned = await stack.coord.join({ stopGracePeriodSecs: this.#grace, ignoreLiveThreads: true });
            }
          } catch (error) {
            failed = true;
            joinError = error;
          } finally {
            // Errors of the raw close are suppressed (D4), thrown synchronously or not.
            try {
              await raw.close();
            } catch (error) {
              logger.warn('Closing the session failed; ignored.', error);
            }
          }
          if (failed) {
            // A lost session reported to the coordinator is swallowed by the recoverable layer (A7, G3).
            if (!singular && isRecoverable(joinError)) logger.warn(`Ignoring a preemption error at close: ${errorMessage(joinError)}`);
            else throw joinError;
          }
          if (abandoned.length > 0) logger.warn(`Producers abandoned after the ${this.#grace}s grace period: ${abandoned.join(', ')}`);
          return { abandoned };
        }),
      },
      guards: {
        mayRecover: ({ context, event }) => {
          const e = event as { type: string; error?: unknown; fresh?: boolean; source?: string };
          if (singular || e.error instanceof NotReadyYet) return false;
          const attemptNumber = attemptOf(context, e);
          if (attemptNumber > policy.maxRetries) return false;
          const info = Object.freeze({ error: e.error, attemptNumber, retriesLeft: policy.maxRetries - attemptNumber, source: sourceOf(e) });
          try {
            return Boolean(policy.retryOn(e.error, info));
          } catch (error) {
            logger.error('recovery.retryOn threw; not recovering.', error);
            return false;
          }
        },
        isNotReady: ({ event }) => (event as { error?: unknown }).error instanceof NotReadyYet,
      },
      actions: {
        activateSession: () => {
          const stack = this.#building?.stack;
          this.#stack = stack;
          this.#building = undefined;
          // A background task that lost the session (a producer's AbortedError, say) starts the
          // recovery at once: a run blocked on that task's input must not wait for shouldStop().
          if (stack !== undefined && !singular) {
            void stack.coord.waitForStop().then(() => {
              if (stack.coord.hasException && isRecoverable(stack.coord.exception) && this.#stack === stack && !this.#closed) {
                this.#sendRecover(stack.coord.exception, 'coordinator', stack);
              }
            });
          }
        },
        planRetry: assign(({ context, event }) => {
          const e = event as { type: string; error?: unknown; fresh?: boolean; source?: string };
          if (e.error instanceof NotReadyYet) return { retryInMs: e.error.retryInMs };
          const attemptNumber = attemptOf(context, e);
          const delayMs = backoffDelay(policy, attemptNumber);
          const source = sourceOf(e);
          const info = Object.freeze({ error: e.error, attemptNumber, retriesLeft: policy.maxRetries - attemptNumber, source, delayMs });
          try {
            policy.onRecovery?.(info);
          } catch (error) {
            logger.error('recovery.onRecovery threw; recovering anyway.', error);
          }
          const record = { error: errorName(e.error), message: errorMessage(e.error), source, attemptNumber, delayMs };
          return {
            attempt: attemptNumber,
            recoveries: context.recoveries + 1,
            retryInMs: delayMs,
            history: [...context.history, record].slice(-MAX_HISTORY),
          };
        }),
      },
    });
  }

}

/**
 * TensorFlow's `MonitoredSession`: creates (or restores) a session, runs hooks around every run,
 * and recovers from lost sessions by creating a new one and re-issuing the run.
 * @example
 * const sess = await MonitoredSession.create({ graph, hooks: [new StopAtStepHook({ lastStep: 1000 })] });
 * await withSession(sess, async (s) => { while (!s.shouldStop()) await s.run(train); });
 */
export class MonitoredSession extends BaseMonitoredSession {
  private constructor(options: MonitoredSessionOptions) {
    super(options, false);
  }

  /** Calls hooks' `begin`, then creates the first session (retrying lost sessions). */
  static async create(options: MonitoredSessionOptions = {}): Promise<MonitoredSession> {
    const session = new MonitoredSession(options);
    await session.start();
    return session;
  }
}

/** Options of {@link SingularMonitoredSession.create}. */
export interface SingularMonitoredSessionOptions {
  graph: Graph;
  hooks?: readonly Hook[];
  scaffold?: Scaffold;
  /** @default '' */
  master?: string;
  config?: SessionConfig;
  checkpointDir?: string;
  /** @default 120 */
  stopGracePeriodSecs?: number;
  checkpointFilenameWithPath?: string;
  clock?: Clock;
  inspect?: InspectObserver;
}

/**
 * TensorFlow's `SingularMonitoredSession`: like `MonitoredSession` with a chief session creator,
 * but without recovery (every error reaches the caller), and with access to the raw session.
 */
export class SingularMonitoredSession extends BaseMonitoredSession {
  private constructor(options: MonitoredSessionOptions) {
    super(options, true);
  }

  static async create(options: SingularMonitoredSessionOptions): Promise<SingularMonitoredSession> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`SingularMonitoredSession.create: expected an options object, got ${describeValue(options)}`);
    }
    const creator = new ChiefSessionCreator({
      graph: options.graph,
      scaffold: options.scaffold,
      master: options.master,
      config: options.config,
      checkpointDir: options.checkpointDir,
      checkpointFilenameWithPath: options.checkpointFilenameWithPath,
      clock: options.clock,
    });
    const session = new SingularMonitoredSession({
      sessionCreator: creator,
      graph: options.graph,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.stopGracePeriodSecs !== undefined ? { stopGracePeriodSecs: options.stopGracePeriodSecs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    await session.start();
    return session;
  }

  /** The raw session (runs bypass hooks); `undefined` after close. */
  rawSession(): Session | undefined {
    return this.currentRaw();
  }
}

/** Either kind of monitored session. */
export type AnyMonitoredSession = MonitoredSession | SingularMonitoredSession;

/**
 * Python's `with` block for a monitored session: runs `body(session)`, then closes. If `body`
 * throws exactly `OutOfRangeError` or `StopIteration` (the class itself, not a subclass), the
 * error is swallowed and hooks' `end` run; any other error skips `end`, closes, and is rethrown.
 * @example
 * await withSession(MonitoredSession.create({ graph }), async (s) => { while (!s.shouldStop()) await s.run(train); });
 */
export async function withSession<S extends AnyMonitoredSession, R>(session: S | Promise<S>, body: (session: S) => R | Promise<R>): Promise<R | undefined> {
  const s = await session;
  let result: R;
  try {
    result = await body(s);
  } catch (error) {
    const cls = (error as { constructor?: unknown } | null)?.constructor;
    if (cls === OutOfRangeError || cls === StopIteration) {
      await s[CLOSE_WITH]('clean', undefined, cls === OutOfRangeError ? 'endOfInput' : 'stopRequested');
      return undefined;
    }
    // A close error wins over the body's error (Python's semantics), which it keeps as its cause chain.
    await s[CLOSE_WITH]('error', error);
    throw error;
  }
  await s[CLOSE_WITH]('clean', undefined);
  return result;
}
