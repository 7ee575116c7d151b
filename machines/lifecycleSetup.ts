/**
 * The lifecycle chart's named effects and decisions (xstate `setup`). Effects that do I/O or call
 * user code are typed stubs that throw "not provided": `src/session/lifecycleEffects.ts` provides
 * them. The rest (bookkeeping of the context) is pure and lives here.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import type {
  CloseOutput,
  FailureSource,
  HookActorInput,
  HookCall,
  HookMethod,
  LifecycleContext,
  LifecycleEvent,
  LifecycleInput,
  LifecycleTag,
  RawSessionRef,
  ServicesOutput,
  SessionActors,
  SessionRefs,
  SessionStackRef,
} from './lifecycleTypes.ts';
import { hookActorId } from './lifecycleTypes.ts';

/** No session (before the first, and once one is released). */
export const NO_SESSION: SessionRefs = Object.freeze({ raw: undefined, stack: undefined });
/** No spawned actors. */
export const NO_ACTORS: SessionActors = Object.freeze({ producers: [], hooks: [] });

/** The longest delay a timer holds (2^31 - 1 ms, about 24.8 days). */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * A delay a timer can hold: `Infinity` (or anything longer) becomes the longest one, about 24.8
 * days, instead of the 1 ms Node would clamp it to.
 */
export function timerMs(ms: number): number {
  return ms > MAX_DELAY_MS ? MAX_DELAY_MS : ms;
}

function notProvided(name: string): () => never {
  return () => {
    throw new Error(`lifecycle: the '${name}' implementation was not provided`);
  };
}

/** `closeStack`'s input: the session to release; for a recovery, the error recovered from (the old coordinator may hold it). */
export interface CloseInput {
  readonly raw: RawSessionRef | undefined;
  readonly stack: SessionStackRef | undefined;
  readonly recoveredFrom?: unknown;
}

/** A producer actor's input: which task of which session stack it runs. */
export interface ProducerInput {
  readonly index: number;
  readonly generation: number;
  readonly stack: SessionStackRef;
}

/** Params of `recordFailure`: the failing error and where it came from. */
export interface FailureParams {
  readonly error: unknown;
  readonly source: FailureSource;
  readonly id?: number | undefined;
  readonly fresh?: boolean | undefined;
}

const base = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent,
    input: {} as LifecycleInput,
    tags: {} as LifecycleTag,
  },
  actors: {
    /** Calls every hook's `begin`, in order. */
    beginHooks: fromPromise<void, void>(notProvided('beginHooks')),
    /** Creates the raw session (or the whole session, for a creator without steps). */
    openSession: fromPromise<RawSessionRef, { generation: number }>(notProvided('openSession')),
    /** Restores the new session from a checkpoint; resolves whether it did. */
    restoreSession: fromPromise<boolean, { raw: RawSessionRef | undefined }>(notProvided('restoreSession')),
    /** Runs init ops, local init and the ready check (a worker may be told to wait). */
    initializeSession: fromPromise<void, { raw: RawSessionRef | undefined; restored: boolean }>(
      notProvided('initializeSession'),
    ),
    /** New coordinator and session stack; resolves them with the producers (queue runner tasks) to spawn. */
    startCoordinator: fromPromise<ServicesOutput, { raw: RawSessionRef | undefined; generation: number }>(
      notProvided('startCoordinator'),
    ),
    /** One background input producer (a queue runner task); resolves when it ends. */
    producer: fromPromise<void, ProducerInput>(notProvided('producer')),
    /** One hook of the session: makes the lifecycle calls (`afterCreateSession`, `end`) it is sent. */
    hook: fromCallback<HookCall, HookActorInput>(notProvided('hook')),
    /** Watches the running session's coordinator: reports an error it stops with as `RECOVER`. */
    watchCoordinator: fromCallback<{ type: 'NONE' }, { stack: SessionStackRef | undefined; generation: number }>(
      notProvided('watchCoordinator'),
    ),
    /** Stops the coordinator, joins producers (abandoning them after the grace period), waits for runs, closes the session. */
    closeStack: fromPromise<CloseOutput, CloseInput>(notProvided('closeStack')),
  },
  guards: {
    /** Whether the error means "not ready yet, wait for the chief". */
    isNotReady: notProvided('isNotReady') as (args: unknown, params: { error: unknown }) => boolean,
    /** The recorded decision is to recover. */
    decidedToRecover: ({ context }) => context.decision?.action === 'recover',
    /** The recorded decision is to give the session up. */
    decidedToDetach: ({ context }) => context.decision?.action === 'detach',
    /** The creator exposes its steps and has a checkpoint to restore from. */
    canRestore: ({ context }) => context.config.stepped && context.config.restores,
    /** The creator exposes its steps (restore, initialize). */
    isStepped: ({ context }) => context.config.stepped,
    /** No session was ever created: a failure now fails `create`. */
    neverCreated: ({ context }) => context.sessionsCreated === 0,
    /** The session reached `running` and is still current: its hooks are told `end`. */
    sessionActive: ({ context }) => context.active,
    /** The next attempt is due at once. */
    noDelay: ({ context }) => context.retryInMs <= 0,
    /** There is no hook (left) to call. */
    noHooks: ({ context }) => context.hookPhase.cursor >= context.actors.hooks.length,
    /** The hook at the cursor is the last one. */
    lastHook: ({ context }) => context.hookPhase.cursor >= context.actors.hooks.length - 1,
    /** The answer is from a hook that is no longer the one called (abandoned, or of an old session). */
    notCurrentHook: ({ context, event }) =>
      (event.type === 'HOOK.DONE' || event.type === 'HOOK.FAILED') && event.index !== context.hookPhase.cursor,
    /** The current phase is an error close, where hook failures are ignored. */
    errorClose: ({ context }) => context.hookPhase.method === 'endOnError',
    /** The report is about a session that was already replaced. */
    isStale: ({ context, event }) => event.type === 'RECOVER' && event.generation !== context.generation,
  },
  delays: {
    /** Backoff before the next creation attempt (from the recovery decision). */
    backoff: ({ context }) => timerMs(context.retryInMs),
    /** Wait between readiness checks of a worker. */
    chiefWait: ({ context }) => timerMs(context.retryInMs),
    /** Time budget of each hook's `end`. */
    endGrace: ({ context }) => timerMs(context.config.endGraceMs),
  },
  actions: {
    /** Puts the failing error in the context, to be decided. */
    recordFailure: assign((_, params: FailureParams) => ({
      failure: { id: params.id ?? 0, error: params.error, source: params.source, fresh: params.fresh ?? false },
      lastError: params.error,
    })),
    /** Decides the failure in the context and records the decision (provided: the policy, user code, runs in an action; only its answer is assigned). */
    decideRecovery: assign(notProvided('decideRecovery') as () => Partial<LifecycleContext>),
    /** Tells the policy's `onRecovery` of the recovery just decided (provided: user code). */
    notifyRecovery: notProvided('notifyRecovery') as () => void,
    /** Records the wait a worker was told (`NotReadyYet`). */
    planChiefWait: assign((_, params: { retryInMs: number }) => ({ retryInMs: params.retryInMs })),
    /** A new session is about to be created. */
    nextGeneration: assign({ generation: ({ context }) => context.generation + 1, restored: false }),
    /** Records whether the new session was restored. */
    recordRestored: assign((_, params: { restored: boolean }) => ({ restored: params.restored })),
    /** Keeps the session stack the services started with, and names its producer and hook actors. */
    keepServices: assign(({ context }, params: ServicesOutput) => ({
      session: { raw: context.session.raw, stack: params.stack },
      actors: {
        producers: params.producers.map((p) => p.id),
        hooks: context.config.hookNames.map((name, index) => hookActorId(name, index)),
      },
    })),
    /** Records the error that fails the close. */
    recordCloseError: assign((_, params: { error: unknown }) => ({ lastError: params.error })),
    /** Keeps the raw session an effect made (`undefined`: forgets it). */
    keepRaw: assign(({ context }, params: { raw: RawSessionRef | undefined }) => ({
      session: { raw: params.raw, stack: context.session.stack },
    })),
    /** The session's resources are released: the context forgets them. */
    releaseSession: assign((_, params: { abandoned: string[] }) => ({
      session: NO_SESSION,
      abandoned: params.abandoned,
    })),
    /** Starts a hook phase at the first hook. */
    startHookPhase: assign((_, params: { method: HookMethod }) => ({
      hookPhase: { method: params.method, cursor: 0 },
    })),
    /** Moves the cursor to the next hook. */
    nextHook: assign({
      hookPhase: ({ context }) => ({ method: context.hookPhase.method, cursor: context.hookPhase.cursor + 1 }),
    }),
    /** The hook at the cursor ran out of its `end` budget: it is abandoned. */
    abandonHook: assign({
      abandonedHooks: ({ context }) => [
        ...context.abandonedHooks,
        context.actors.hooks[context.hookPhase.cursor] ?? '?',
      ],
    }),
    /** Says which hook was abandoned (provided: logging is I/O). */
    reportAbandonedHook: notProvided('reportAbandonedHook') as (args: { context: LifecycleContext }) => void,
    /** Starts the close. */
    recordClose: assign((_, params: { kind: 'clean' | 'error'; reason: string; cause: unknown }) => ({
      closing: { kind: params.kind, reason: params.reason, cause: params.cause },
      lastError: undefined,
      hookPhase: { method: (params.kind === 'error' ? 'endOnError' : 'end') as HookMethod, cursor: 0 },
    })),
    /** Counts the created session; it becomes the active one. */
    markCreated: assign({
      sessionsCreated: ({ context }) => context.sessionsCreated + 1,
      lastError: undefined,
      active: true,
    }),
    /** The session stops being the active one. */
    markInactive: assign({ active: false }),
    /** Makes the new session the one runs use (provided: the facade's per-step path reads it). */
    activateSession: notProvided('activateSession') as (args: { context: LifecycleContext }) => void,
    /** Runs stop using the session (provided). */
    deactivateSession: notProvided('deactivateSession') as (args: { context: LifecycleContext }) => void,
    /** Marks the session as replaced by a recovery: runs it fails under are re-issued (provided). */
    retireSession: notProvided('retireSession') as (args: { context: LifecycleContext }) => void,
  },
});

/** The setup the chart is written against: `base` plus the actions that enqueue others. */
export const lifecycleSetup = base.extend({
  actions: {
    /** Spawns the producer and hook actors of the session stack just kept. */
    spawnServices: base.enqueueActions(({ context, enqueue }) => {
      const stack = context.session.stack;
      if (stack === undefined) return;
      context.actors.producers.forEach((id, index) => {
        enqueue.spawnChild('producer', { id, input: { index, generation: context.generation, stack } });
      });
      context.actors.hooks.forEach((id, index) => {
        enqueue.spawnChild('hook', { id, input: { index, generation: context.generation, stack } });
      });
    }),

    /** Stops the producer and hook actors of the released session (abandoning any still running). */
    stopSessionActors: base.enqueueActions(({ context, enqueue }) => {
      for (const id of context.actors.producers) enqueue.stopChild(id);
      for (const id of context.actors.hooks) enqueue.stopChild(id);
      enqueue.assign({ actors: NO_ACTORS });
    }),

    /** Stops the hook actors (after their `end`, before producers and the session close). */
    stopHooks: base.enqueueActions(({ context, enqueue }) => {
      for (const id of context.actors.hooks) enqueue.stopChild(id);
      enqueue.assign({ actors: { producers: context.actors.producers, hooks: [] } });
    }),

    /** Sends the current hook method to the hook at the cursor (if any is left). */
    callHook: base.enqueueActions(({ context, enqueue }) => {
      const { method, cursor } = context.hookPhase;
      const id = context.actors.hooks[cursor];
      if (id !== undefined) enqueue.sendTo(id, { type: 'CALL', method, closing: context.closing } satisfies HookCall);
    }),
  },
});
