/**
 * The monitored-session lifecycle as an xstate v5 statechart. Pure: it names its effects
 * (`invoke: { src: 'openSession' }`) and decisions (`guard: 'decidedToRecover'`); `src/` provides
 * them with `.provide()` (the slots are in `lifecycleSetup.ts`, the states in
 * `lifecycleCreation.ts` and `lifecycleClosing.ts`).
 *
 * States: beginning → creating → (restoring) → (initializing) → startingServices → running.
 * A failure is recorded in the context and decided once (`decideRecovery`): the chart recovers
 * (recovering → creating), detaches, or keeps running. `CLOSE`, in any state, goes to stopping →
 * closed. `waitingForChief` is a worker waiting for the chief to make the model ready;
 * `detached` has no session (a recovery was refused); `failed` is a first creation that failed.
 */
import { raise, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { detaching, failedClosing, recovering, stopping } from './lifecycleClosing.ts';
import { creating, initializing, restoring, startingServices, waitingForChief } from './lifecycleCreation.ts';
import { NO_ACTORS, NO_SESSION, lifecycleSetup } from './lifecycleSetup.ts';
import type { HookMethod } from './lifecycleTypes.ts';

export * from './lifecycleTypes.ts';

const recordClose = {
  type: 'recordClose',
  params: ({ event }: { event: { kind: 'clean' | 'error'; reason?: string; cause?: unknown } }) => ({
    kind: event.kind,
    reason: event.reason ?? 'finished',
    cause: event.cause,
  }),
} as const;

export const lifecycleMachine = lifecycleSetup.createMachine({
  id: 'monitoredSession',
  context: ({ input }) => ({
    generation: 0,
    sessionsCreated: 0,
    recoveries: 0,
    attempt: 0,
    history: [],
    lastError: undefined,
    failure: undefined,
    decision: undefined,
    restored: false,
    retryInMs: 0,
    closing: undefined,
    abandoned: [],
    abandonedHooks: [],
    actors: NO_ACTORS,
    hookPhase: { method: 'afterCreateSession' as HookMethod, cursor: 0 },
    active: false,
    session: NO_SESSION,
    config: {
      hookNames: input.hookNames ?? [],
      endGraceMs: input.endGraceMs ?? 120_000,
      stepped: input.stepped ?? false,
      restores: input.restores ?? false,
    },
  }),
  initial: 'beginning',
  // The one CLOSE transition, from any state: hooks are told `end` only if the session is active.
  on: {
    CLOSE: [
      { guard: 'sessionActive', target: '.stopping.endingHooks', actions: recordClose },
      { target: '.stopping.closingSession', actions: recordClose },
    ],
  },
  states: {
    beginning: {
      tags: ['settling'],
      invoke: {
        id: 'beginHooks',
        src: 'beginHooks',
        onDone: 'creating',
        onError: {
          target: 'failed',
          actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error, source: 'hook' as const }) },
        },
      },
    },
    creating,
    restoring,
    initializing,
    waitingForChief,
    startingServices,
    /** Routes a failed creation by its recorded decision: retry with backoff, or give up. */
    deciding: {
      entry: 'decideRecovery',
      always: [
        { guard: 'decidedToRecover', target: 'recovering', actions: 'notifyRecovery' },
        { guard: 'neverCreated', target: 'failedClosing' },
        { target: 'detaching' },
      ],
    },
    running: {
      entry: ['markCreated', 'activateSession'],
      exit: ['deactivateSession', 'markInactive'],
      invoke: {
        id: 'watchCoordinator',
        src: 'watchCoordinator',
        input: ({ context }) => ({ stack: context.session.stack, generation: context.generation }),
      },
      on: {
        RECOVER: [
          { guard: 'isStale' },
          {
            actions: [
              {
                type: 'recordFailure',
                params: ({ event }) => ({
                  error: event.error,
                  source: event.source,
                  id: event.failure,
                  fresh: event.fresh,
                }),
              },
              'decideRecovery',
              raise({ type: 'DECIDED' }),
            ],
          },
        ],
        // A failure the policy hands back (`rethrow`) leaves the session running.
        DECIDED: [
          { guard: 'decidedToRecover', target: 'recovering', actions: ['retireSession', 'notifyRecovery'] },
          { guard: 'decidedToDetach', target: 'detaching' },
        ],
      },
    },
    recovering,
    detaching,
    /** No session: the next run asks for one. */
    detached: { on: { CREATE: 'creating' } },
    stopping,
    failedClosing,
    failed: { type: 'final' },
    closed: { type: 'final' },
  },
});

/** The running lifecycle actor. */
export type LifecycleActor = ActorRefFrom<typeof lifecycleMachine>;
export type LifecycleSnapshot = SnapshotFrom<typeof lifecycleMachine>;
