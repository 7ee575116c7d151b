/**
 * The creation states of the lifecycle chart: a session is opened, restored, initialized, its
 * services started and its hooks told `afterCreateSession`; a worker may wait for the chief.
 * Every failure goes to `deciding` with the error recorded in the context.
 */
import type { HookMethod, RawSessionRef } from './lifecycleTypes.ts';
import { lifecycleSetup } from './lifecycleSetup.ts';

/** A creation step failed: the error is recorded and decided in `deciding`. */
const creationFailed = {
  target: '#monitoredSession.deciding',
  actions: {
    type: 'recordFailure',
    params: ({ event }: { event: { error: unknown } }) => ({ error: event.error, source: 'creation' as const }),
  },
} as const;

/** The wait a worker was told (`NotReadyYet.retryInMs`). */
function retryDelayOf(error: unknown): number {
  return typeof error === 'object' && error !== null && 'retryInMs' in error && typeof error.retryInMs === 'number'
    ? error.retryInMs
    : 0;
}

const keepRaw = {
  type: 'keepRaw',
  params: ({ event }: { event: { output: RawSessionRef } }) => ({ raw: event.output }),
} as const;

export const creating = lifecycleSetup.createStateConfig({
  tags: ['settling', 'sessionPending'],
  entry: 'nextGeneration',
  invoke: {
    id: 'createSession',
    src: 'openSession',
    input: ({ context }) => ({ generation: context.generation }),
    onDone: [
      { guard: 'canRestore', target: 'restoring', actions: keepRaw },
      { guard: 'isStepped', target: 'initializing', actions: keepRaw },
      { target: 'startingServices', actions: keepRaw },
    ],
    onError: creationFailed,
  },
});

export const restoring = lifecycleSetup.createStateConfig({
  tags: ['settling', 'sessionPending'],
  invoke: {
    id: 'restoreSession',
    src: 'restoreSession',
    input: ({ context }) => ({ raw: context.session.raw }),
    onDone: {
      target: 'initializing',
      actions: { type: 'recordRestored', params: ({ event }) => ({ restored: event.output }) },
    },
    onError: creationFailed,
  },
});

export const initializing = lifecycleSetup.createStateConfig({
  tags: ['settling', 'sessionPending'],
  invoke: {
    id: 'initializeSession',
    src: 'initializeSession',
    input: ({ context }) => ({ raw: context.session.raw, restored: context.restored }),
    onDone: 'startingServices',
    onError: [
      {
        guard: { type: 'isNotReady', params: ({ event }) => ({ error: event.error }) },
        target: 'waitingForChief',
        // The worker's creator closed the session it could not use.
        actions: [
          { type: 'keepRaw', params: { raw: undefined } },
          {
            type: 'planChiefWait',
            params: ({ event }) => ({ retryInMs: retryDelayOf(event.error) }),
          },
        ],
      },
      creationFailed,
    ],
  },
});

export const waitingForChief = lifecycleSetup.createStateConfig({
  tags: ['sessionPending'],
  always: { guard: 'noDelay', target: 'creating' },
  after: { chiefWait: 'creating' },
});

export const startingServices = lifecycleSetup.createStateConfig({
  tags: ['settling', 'sessionPending'],
  initial: 'startingCoordinator',
  states: {
    startingCoordinator: {
      invoke: {
        id: 'startCoordinator',
        src: 'startCoordinator',
        input: ({ context }) => ({ raw: context.session.raw, generation: context.generation }),
        onDone: {
          target: 'notifyingHooks',
          actions: [{ type: 'keepServices', params: ({ event }) => event.output }, 'spawnServices'],
        },
        onError: creationFailed,
      },
    },
    /** Each hook actor in turn calls its hook's `afterCreateSession`. */
    notifyingHooks: {
      entry: [{ type: 'startHookPhase', params: { method: 'afterCreateSession' as HookMethod } }, 'callHook'],
      always: { guard: 'noHooks', target: '#monitoredSession.running' },
      on: {
        'HOOK.DONE': [
          { guard: 'notCurrentHook' },
          { guard: 'lastHook', target: '#monitoredSession.running' },
          { actions: ['nextHook', 'callHook'] },
        ],
        'HOOK.FAILED': {
          target: '#monitoredSession.deciding',
          actions: { type: 'recordFailure', params: ({ event }) => ({ error: event.error, source: 'hook' as const }) },
        },
      },
    },
  },
});
