/**
 * The monitored-session lifecycle as an xstate v5 statechart. Pure: it names its effects
 * (`invoke: { src: 'openSession' }`) and decisions (`guard: 'mayRecover'`); `src/` provides them
 * with `.provide()`. Every slot has a stub that throws "not provided", so a missing
 * implementation fails loudly.
 *
 * States: beginning → creating → (restoring) → (initializing) → startingServices → running;
 * running → recovering → creating on a recoverable error; running → stopping → closed at close.
 * `waitingForChief` is a worker waiting for the chief to make the model ready; `detached` has no
 * session (a creation or recovery failed); `failed` is a first creation that failed.
 */
import { assign, enqueueActions, fromCallback, fromPromise, sendTo, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';

/** Why the session is closing. */
export type CloseKind = 'clean' | 'error';

/** One recovery, as recorded in the snapshot's context. */
export interface RecoveryRecord {
  /** Name of the error class that caused it (e.g. `AbortedError`). */
  readonly error: string;
  readonly message: string;
  /** Where it happened: `creation`, `run`, `stepFn`, `coordinator`. */
  readonly source: string;
  /** 1 for the first attempt after a success. */
  readonly attemptNumber: number;
  readonly delayMs: number;
}

export interface LifecycleContext {
  /** Increments with every created session; run errors carry it to ignore stale reports. */
  generation: number;
  sessionsCreated: number;
  recoveries: number;
  /** Consecutive recovery attempts since the last successful creation. */
  attempt: number;
  /** Every recovery, oldest first (bounded). */
  history: RecoveryRecord[];
  /** The error that stopped progress (creation failure, refused recovery, close error). */
  lastError: unknown;
  /** Whether the current session was restored from a checkpoint. */
  restored: boolean;
  /** Delay before the next creation attempt. */
  retryInMs: number;
  /** Set while stopping: a clean close runs the hooks' `end`. */
  closeKind: CloseKind | undefined;
  /** Producers still running after their grace period at the last close, abandoned. */
  abandoned: string[];
  /** Ids of the producer (queue runner) actors of the current session. */
  producers: string[];
  /** Ids of the hook actors of the current session, in hook order. */
  hooks: string[];
  /** Number of hooks (one actor each per created session). */
  hookCount: number;
  /** Which hook is being called in the current phase. */
  hookCursor: number;
  /** The hook method the current phase calls. */
  hookMethod: HookMethod;
  /** How long the hooks' `end` phase may take before the hooks left are abandoned. */
  endGraceMs: number;
  /** Hooks abandoned because the `end` phase ran out of time. */
  abandonedHooks: string[];
  /** True for `SingularMonitoredSession`: no recovery at all. */
  singular: boolean;
  /** Whether the creator exposes restore/initialize steps (so the chart shows them). */
  stepped: boolean;
  /** Whether the creator has something to restore from. */
  restores: boolean;
}

export interface LifecycleInput {
  singular?: boolean;
  hookCount?: number;
  endGraceMs?: number;
  stepped?: boolean;
  restores?: boolean;
}

/**
 * State tags: `settling` — an effect is under way that close waits out (it starts from a settled
 * state); `sessionPending` — no session right now, but one is being made (shouldStop() is false).
 */
export type LifecycleTag = 'settling' | 'sessionPending';

export type LifecycleEvent =
  /** A run, step function or coordinator hit a recoverable error on session `generation`. */
  | { type: 'RECOVER'; error: unknown; source: string; generation: number; fresh?: boolean }
  /** Asks a session-less lifecycle to create one (the next run needs it). */
  | { type: 'CREATE' }
  /** Starts the close: `clean` runs the hooks' `end`; `error` skips it. */
  | { type: 'CLOSE'; kind: CloseKind }
  /** A hook actor finished the call it was asked to make. */
  | { type: 'HOOK.DONE'; index: number }
  /** A hook actor's call threw. */
  | { type: 'HOOK.FAILED'; index: number; error: unknown };

/** The lifecycle methods that hook actors call. */
export type HookMethod = 'afterCreateSession' | 'end' | 'endOnError';

/** What the chart sends a hook actor. */
export interface HookCall {
  type: 'CALL';
  method: HookMethod;
}

/** A hook actor's input. */
export interface HookActorInput {
  readonly index: number;
  readonly generation: number;
}

/** A producer to run as a child actor. */
export interface ProducerSpec {
  readonly id: string;
  readonly name: string;
  readonly generation: number;
  readonly index: number;
}

/** Output of `closeStack`: producers abandoned after the grace period. */
export interface CloseOutput {
  abandoned: string[];
}

/** How many recoveries the snapshot's history keeps. */
export const MAX_HISTORY = 100;

function notProvided(name: string): () => never {
  return () => {
    throw new Error(`lifecycle: the '${name}' implementation was not provided`);
  };
}

/** The class name of a thrown value, for records. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The message of a thrown value, for records. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const lifecycleMachine = setup({
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
    openSession: fromPromise<void, { generation: number }>(notProvided('openSession')),
    /** Restores the new session from a checkpoint; resolves whether it did. */
    restoreSession: fromPromise<boolean, void>(notProvided('restoreSession')),
    /** Runs init ops, local init and the ready check (a worker may be told to wait). */
    initializeSession: fromPromise<void, { restored: boolean }>(notProvided('initializeSession')),
    /** New coordinator; resolves the producers (queue runner tasks) to spawn. */
    startCoordinator: fromPromise<ProducerSpec[], { generation: number }>(notProvided('startCoordinator')),
    /** One background input producer (a queue runner task); resolves when it ends. */
    producer: fromPromise<void, ProducerSpec>(notProvided('producer')),
    /** One hook of the session: makes the lifecycle calls (`afterCreateSession`, `end`) it is sent. */
    hook: fromCallback<HookCall, HookActorInput>(notProvided('hook')),
    /** Stops the coordinator, joins producers (abandoning them after the grace period), closes the session. */
    closeStack: fromPromise<CloseOutput, { purpose: 'recovery' | 'close' }>(notProvided('closeStack')),
  },
  guards: {
    /** Whether the recovery policy allows recovering from the error of this event. */
    mayRecover: notProvided('mayRecover') as (args: { context: LifecycleContext; event: unknown }) => boolean,
    /** Whether the error means "not ready yet, wait for the chief". */
    isNotReady: notProvided('isNotReady') as (args: { context: LifecycleContext; event: unknown }) => boolean,
    /** The creator exposes its steps and has a checkpoint to restore from. */
    canRestore: ({ context }) => context.stepped && context.restores,
    /** The creator exposes its steps (restore, initialize). */
    isStepped: ({ context }) => context.stepped,
    /** No session was ever created: a failure now fails `create`. */
    neverCreated: ({ context }) => context.sessionsCreated === 0,
    /** The next attempt is due at once. */
    noDelay: ({ context }) => context.retryInMs <= 0,
    /** There is no hook to call. */
    noHooks: ({ context }) => context.hooks.length === 0,
    /** The hook that just answered was the last one. */
    lastHook: ({ context }) => context.hookCursor >= context.hooks.length - 1,
    /** The current phase is an error close, where hook failures are ignored. */
    errorClose: ({ context }) => context.hookMethod === 'endOnError',
    /** The report is about a session that was already replaced. */
    isStale: ({ context, event }) => (event as { generation?: number }).generation !== context.generation,
  },
  delays: {
    /** Backoff before the next creation attempt (from the recovery policy). */
    backoff: ({ context }) => context.retryInMs,
    /** Wait between readiness checks of a worker. */
    chiefWait: ({ context }) => context.retryInMs,
    /** Time limit of the hooks' `end` phase. */
    endGrace: ({ context }) => context.endGraceMs,
  },
  actions: {
    /** Computes the next backoff delay (provided: it depends on the policy). */
    planRetry: assign(notProvided('planRetry') as never),
    /** Stops the producer and hook actors of the closed session (abandoning any still running). */
    stopProducers: enqueueActions(({ context, enqueue }) => {
      for (const id of context.producers) enqueue.stopChild(id);
      for (const id of context.hooks) enqueue.stopChild(id);
      enqueue.assign({ producers: [], hooks: [] });
    }),
    /** Stops the hook actors (after their `end`, before producers and the session close). */
    stopHooks: enqueueActions(({ context, enqueue }) => {
      for (const id of context.hooks) enqueue.stopChild(id);
      enqueue.assign({ hooks: [] });
    }),
    /** Sends the current hook method to the hook at the cursor. */
    callHook: sendTo(({ context }) => context.hooks[context.hookCursor]!, ({ context }) => ({ type: 'CALL' as const, method: context.hookMethod })),
    /** Moves the cursor to the next hook. */
    nextHook: assign({ hookCursor: ({ context }) => context.hookCursor + 1 }),
    /** Counts the created session. */
    markCreated: assign({ sessionsCreated: ({ context }) => context.sessionsCreated + 1, lastError: undefined }),
    /** Makes the new session the one runs use (provided). */
    activateSession: notProvided('activateSession') as never,
  },
}).createMachine({
  id: 'monitoredSession',
  context: ({ input }) => ({
    generation: 0,
    sessionsCreated: 0,
    recoveries: 0,
    attempt: 0,
    history: [],
    lastError: undefined,
    restored: false,
    retryInMs: 0,
    closeKind: undefined,
    abandoned: [],
    producers: [],
    hooks: [],
    hookCount: input.hookCount ?? 0,
    hookCursor: 0,
    hookMethod: 'afterCreateSession' as HookMethod,
    endGraceMs: input.endGraceMs ?? 120_000,
    abandonedHooks: [],
    singular: input.singular ?? false,
    stepped: input.stepped ?? false,
    restores: input.restores ?? false,
  }),
  initial: 'beginning',
  states: {
    beginning: {
      tags: ['settling'],
      invoke: {
        src: 'beginHooks',
        onDone: 'creating',
        onError: { target: 'failed', actions: assign({ lastError: ({ event }) => event.error }) },
      },
    },
    creating: {
      tags: ['settling', 'sessionPending'],
      entry: assign({ generation: ({ context }) => context.generation + 1, restored: false }),
      invoke: {
        src: 'openSession',
        input: ({ context }) => ({ generation: context.generation }),
        onDone: [
          { guard: 'canRestore', target: 'restoring' },
          { guard: 'isStepped', target: 'initializing' },
          { target: 'startingServices' },
        ],
        onError: '#monitoredSession.creationFailed',
      },
    },
    restoring: {
      tags: ['settling', 'sessionPending'],
      invoke: {
        src: 'restoreSession',
        onDone: { target: 'initializing', actions: assign({ restored: ({ event }) => event.output }) },
        onError: '#monitoredSession.creationFailed',
      },
    },
    initializing: {
      tags: ['settling', 'sessionPending'],
      invoke: {
        src: 'initializeSession',
        input: ({ context }) => ({ restored: context.restored }),
        onDone: 'startingServices',
        onError: [
          { guard: 'isNotReady', target: 'waitingForChief', actions: 'planRetry' },
          { target: '#monitoredSession.creationFailed' },
        ],
      },
    },
    waitingForChief: {
      tags: ['sessionPending'],
      always: { guard: 'noDelay', target: 'creating' },
      after: { chiefWait: 'creating' },
      on: { CLOSE: { target: 'stopping', actions: assign({ closeKind: ({ event }) => event.kind, lastError: undefined }) } },
    },
    startingServices: {
      tags: ['settling', 'sessionPending'],
      initial: 'startingCoordinator',
      states: {
        startingCoordinator: {
          invoke: {
            src: 'startCoordinator',
            input: ({ context }) => ({ generation: context.generation }),
            onDone: {
              target: 'notifyingHooks',
              actions: [
                assign({
                  producers: ({ event }) => event.output.map((p) => p.id),
                  hooks: ({ context }) => Array.from({ length: context.hookCount }, (_, i) => `hook-${context.generation}-${i}`),
                }),
                enqueueActions(({ enqueue, event, context }) => {
                  for (const spec of event.output) enqueue.spawnChild('producer', { id: spec.id, input: spec });
                  for (let index = 0; index < context.hookCount; index++) {
                    enqueue.spawnChild('hook', { id: `hook-${context.generation}-${index}`, input: { index, generation: context.generation } });
                  }
                }),
              ],
            },
            onError: '#monitoredSession.creationFailed',
          },
        },
        /** Each hook actor in turn calls its hook's `afterCreateSession`. */
        notifyingHooks: {
          entry: [
            assign({ hookCursor: 0, hookMethod: 'afterCreateSession' as HookMethod }),
            enqueueActions(({ context, enqueue }) => {
              if (context.hooks.length > 0) enqueue('callHook');
            }),
          ],
          always: { guard: 'noHooks', target: '#monitoredSession.running', actions: ['markCreated', 'activateSession'] },
          on: {
            'HOOK.DONE': [
              { guard: 'lastHook', target: '#monitoredSession.running', actions: ['markCreated', 'activateSession'] },
              { actions: ['nextHook', 'callHook'] },
            ],
            'HOOK.FAILED': '#monitoredSession.creationFailed',
          },
        },
      },
    },
    /** Routes a failed creation: retry with backoff, or give up. */
    creationFailed: {
      always: [
        {
          guard: 'mayRecover',
          target: 'recovering',
          actions: ['planRetry', assign({ lastError: ({ event }) => (event as { error?: unknown }).error })],
        },
        {
          guard: 'neverCreated',
          target: 'failedClosing',
          actions: assign({ lastError: ({ event }) => (event as { error?: unknown }).error }),
        },
        { target: 'detaching', actions: assign({ lastError: ({ event }) => (event as { error?: unknown }).error }) },
      ],
    },
    running: {
      on: {
        RECOVER: [
          { guard: 'isStale' },
          { guard: 'mayRecover', target: 'recovering', actions: ['planRetry', assign({ lastError: ({ event }) => event.error })] },
          { target: 'detaching', actions: assign({ lastError: ({ event }) => event.error }) },
        ],
        CLOSE: { target: 'stopping', actions: assign({ closeKind: ({ event }) => event.kind, lastError: undefined }) },
      },
    },
    recovering: {
      tags: ['sessionPending'],
      initial: 'closingSession',
      states: {
        closingSession: {
          tags: ['settling'],
          invoke: {
            src: 'closeStack',
            input: { purpose: 'recovery' },
            onDone: { target: 'backingOff', actions: ['stopProducers', assign({ abandoned: ({ event }) => event.output.abandoned })] },
            // A non-recoverable error held by the old coordinator turns recovery into a failure (E11).
            onError: { target: '#monitoredSession.detached', actions: ['stopProducers', assign({ lastError: ({ event }) => event.error })] },
          },
        },
        backingOff: {
          always: { guard: 'noDelay', target: '#monitoredSession.creating' },
          after: { backoff: '#monitoredSession.creating' },
        },
      },
      on: { CLOSE: { target: 'stopping', actions: assign({ closeKind: ({ event }) => event.kind, lastError: undefined }) } },
    },
    /** Closing the current session without recreating it (recovery refused by the policy). */
    detaching: {
      tags: ['settling'],
      invoke: {
        src: 'closeStack',
        input: { purpose: 'recovery' },
        onDone: { target: 'detached', actions: ['stopProducers', assign({ abandoned: ({ event }) => event.output.abandoned })] },
        onError: { target: 'detached', actions: 'stopProducers' },
      },
    },
    /** No session: the next run asks for one. */
    detached: {
      on: {
        CREATE: { target: 'creating' },
        CLOSE: { target: 'stopping', actions: assign({ closeKind: ({ event }) => event.kind, lastError: undefined }) },
      },
    },
    stopping: {
      initial: 'endingHooks',
      states: {
        /**
         * Each hook actor in turn calls `end` (clean close) or `endOnError`; a failing `end` skips
         * the rest (TensorFlow's order). Hooks still busy after `endGraceMs` are abandoned.
         */
        endingHooks: {
          entry: [
            assign({ hookCursor: 0, hookMethod: ({ context }) => (context.closeKind === 'error' ? 'endOnError' : 'end') as HookMethod }),
            enqueueActions(({ context, enqueue }) => {
              if (context.hooks.length > 0) enqueue('callHook');
            }),
          ],
          always: { guard: 'noHooks', target: 'closingSession' },
          after: {
            endGrace: {
              target: 'closingSession',
              actions: assign({ abandonedHooks: ({ context }) => context.hooks.slice(context.hookCursor) }),
            },
          },
          on: {
            'HOOK.DONE': [{ guard: 'lastHook', target: 'closingSession' }, { actions: ['nextHook', 'callHook'] }],
            'HOOK.FAILED': [
              { guard: 'errorClose', actions: ['nextHook', 'callHook'] },
              { target: 'closingSession', actions: assign({ lastError: ({ event }) => event.error }) },
            ],
          },
        },
        closingSession: {
          // Hooks are done (or abandoned): their actors stop before the producers and the session.
          entry: 'stopHooks',
          invoke: {
            src: 'closeStack',
            input: { purpose: 'close' },
            onDone: { target: '#monitoredSession.closed', actions: ['stopProducers', assign({ abandoned: ({ event }) => event.output.abandoned })] },
            onError: { target: '#monitoredSession.closed', actions: ['stopProducers', assign({ lastError: ({ event }) => event.error })] },
          },
        },
      },
    },
    /** A first creation failed: release what it made, then stop for good. */
    failedClosing: {
      tags: ['settling'],
      invoke: {
        src: 'closeStack',
        input: { purpose: 'recovery' },
        onDone: { target: 'failed', actions: 'stopProducers' },
        onError: { target: 'failed', actions: 'stopProducers' },
      },
    },
    failed: { type: 'final' },
    closed: { type: 'final' },
  },
});

/** The running lifecycle actor. */
export type LifecycleActor = ActorRefFrom<typeof lifecycleMachine>;
export type LifecycleSnapshot = SnapshotFrom<typeof lifecycleMachine>;
