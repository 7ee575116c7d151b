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
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';

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
  /** True for `SingularMonitoredSession`: no recovery at all. */
  singular: boolean;
  /** Whether the creator exposes restore/initialize steps (so the chart shows them). */
  stepped: boolean;
  /** Whether the creator has something to restore from. */
  restores: boolean;
}

export interface LifecycleInput {
  singular?: boolean;
  stepped?: boolean;
  restores?: boolean;
}

export type LifecycleEvent =
  /** A run, step function or coordinator hit a recoverable error on session `generation`. */
  | { type: 'RECOVER'; error: unknown; source: string; generation: number; fresh?: boolean }
  /** Asks a session-less lifecycle to create one (the next run needs it). */
  | { type: 'CREATE' }
  /** Starts the close: `clean` runs the hooks' `end`; `error` skips it. */
  | { type: 'CLOSE'; kind: CloseKind };

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
    /** Hooks' `afterCreateSession`, in order. */
    afterCreateSession: fromPromise<void, { generation: number }>(notProvided('afterCreateSession')),
    /** Hooks' `end` at a clean close (`endOnError` at an error close). */
    endHooks: fromPromise<void, { kind: CloseKind }>(notProvided('endHooks')),
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
    /** The report is about a session that was already replaced. */
    isStale: ({ context, event }) => (event as { generation?: number }).generation !== context.generation,
  },
  delays: {
    /** Backoff before the next creation attempt (from the recovery policy). */
    backoff: ({ context }) => context.retryInMs,
    /** Wait between readiness checks of a worker. */
    chiefWait: ({ context }) => context.retryInMs,
  },
  actions: {
    /** Computes the next backoff delay (provided: it depends on the policy). */
    planRetry: assign(notProvided('planRetry') as never),
    /** Stops the producer actors of the closed session (abandoning any still running). */
    stopProducers: enqueueActions(({ context, enqueue }) => {
      for (const id of context.producers) enqueue.stopChild(id);
      enqueue.assign({ producers: [] });
    }),
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
    singular: input.singular ?? false,
    stepped: input.stepped ?? false,
    restores: input.restores ?? false,
  }),
  initial: 'beginning',
  states: {
    beginning: {
      invoke: {
        src: 'beginHooks',
        onDone: 'creating',
        onError: { target: 'failed', actions: assign({ lastError: ({ event }) => event.error }) },
      },
    },
    creating: {
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
      invoke: {
        src: 'restoreSession',
        onDone: { target: 'initializing', actions: assign({ restored: ({ event }) => event.output }) },
        onError: '#monitoredSession.creationFailed',
      },
    },
    initializing: {
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
      always: { guard: 'noDelay', target: 'creating' },
      after: { chiefWait: 'creating' },
      on: { CLOSE: { target: 'stopping', actions: assign({ closeKind: ({ event }) => event.kind, lastError: undefined }) } },
    },
    startingServices: {
      initial: 'startingCoordinator',
      states: {
        startingCoordinator: {
          invoke: {
            src: 'startCoordinator',
            input: ({ context }) => ({ generation: context.generation }),
            onDone: {
              target: 'notifyingHooks',
              actions: [
                assign({ producers: ({ event }) => event.output.map((p) => p.id) }),
                enqueueActions(({ enqueue, event }) => {
                  for (const spec of event.output) enqueue.spawnChild('producer', { id: spec.id, input: spec });
                }),
              ],
            },
            onError: '#monitoredSession.creationFailed',
          },
        },
        notifyingHooks: {
          invoke: {
            src: 'afterCreateSession',
            input: ({ context }) => ({ generation: context.generation }),
            onDone: {
              target: '#monitoredSession.running',
              actions: assign({ sessionsCreated: ({ context }) => context.sessionsCreated + 1, lastError: undefined }),
            },
            onError: '#monitoredSession.creationFailed',
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
      initial: 'closingSession',
      states: {
        closingSession: {
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
        endingHooks: {
          invoke: {
            src: 'endHooks',
            input: ({ context }) => ({ kind: context.closeKind ?? 'clean' }),
            onDone: 'closingSession',
            onError: { target: 'closingSession', actions: assign({ lastError: ({ event }) => event.error }) },
          },
        },
        closingSession: {
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
