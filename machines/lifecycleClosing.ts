/**
 * The states that release a session: recovering (close, back off, create again), detaching
 * (close, keep none), stopping (hooks' `end`, then close) and failedClosing (a first creation
 * failed). Each close is the `closeStack` effect on the session in the context.
 */
import { lifecycleSetup } from './lifecycleSetup.ts';
import type { LifecycleContext } from './lifecycleTypes.ts';

const closeInput = ({ context }: { context: LifecycleContext }) => context.session;
const released = {
  type: 'releaseSession',
  params: ({ event }: { event: { output: { abandoned: string[] } } }) => event.output,
} as const;
const releasedOnError = { type: 'releaseSession', params: { abandoned: [] as string[] } } as const;
const closeError = {
  type: 'recordCloseError',
  params: ({ event }: { event: { error: unknown } }) => ({ error: event.error }),
} as const;

export const recovering = lifecycleSetup.createStateConfig({
  tags: ['sessionPending'],
  initial: 'closingSession',
  states: {
    closingSession: {
      tags: ['settling'],
      invoke: {
        id: 'closeLostSession',
        src: 'closeStack',
        input: ({ context }) => ({ ...context.session, recoveredFrom: context.failure?.error }),
        onDone: { target: 'backingOff', actions: ['stopSessionActors', released] },
        // A non-recoverable error held by the old coordinator turns recovery into a failure (E11).
        onError: { target: '#monitoredSession.detached', actions: ['stopSessionActors', releasedOnError, closeError] },
      },
    },
    backingOff: {
      always: { guard: 'noDelay', target: '#monitoredSession.creating' },
      after: { backoff: '#monitoredSession.creating' },
    },
  },
});

/** Closing the current session without recreating it (recovery refused by the policy). */
export const detaching = lifecycleSetup.createStateConfig({
  tags: ['settling'],
  invoke: {
    id: 'detachSession',
    src: 'closeStack',
    input: closeInput,
    onDone: { target: 'detached', actions: ['stopSessionActors', released] },
    onError: { target: 'detached', actions: ['stopSessionActors', releasedOnError] },
  },
});

const abandon = ['abandonHook', 'reportAbandonedHook'] as const;

export const stopping = lifecycleSetup.createStateConfig({
  initial: 'endingHooks',
  states: {
    /**
     * Each hook actor in turn calls `end` (clean close) or `endOnError`; a failing `end` skips the
     * rest (TensorFlow's order). Each hook has its own `endGraceMs`: one still busy is abandoned.
     */
    endingHooks: {
      entry: 'callHook',
      always: { guard: 'noHooks', target: 'closingSession' },
      after: {
        endGrace: [
          { guard: 'lastHook', target: 'closingSession', actions: [...abandon] },
          { target: 'endingHooks', reenter: true, actions: [...abandon, 'nextHook'] },
        ],
      },
      on: {
        'HOOK.DONE': [
          { guard: 'notCurrentHook' },
          { guard: 'lastHook', target: 'closingSession' },
          { target: 'endingHooks', reenter: true, actions: 'nextHook' },
        ],
        'HOOK.FAILED': [
          { guard: 'notCurrentHook' },
          { guard: 'errorClose', target: 'endingHooks', reenter: true, actions: 'nextHook' },
          { target: 'closingSession', actions: closeError },
        ],
      },
    },
    closingSession: {
      // Hooks are done (or abandoned): their actors stop before the producers and the session.
      entry: 'stopHooks',
      invoke: {
        id: 'closeSession',
        src: 'closeStack',
        input: closeInput,
        onDone: { target: '#monitoredSession.closed', actions: ['stopSessionActors', released] },
        onError: { target: '#monitoredSession.closed', actions: ['stopSessionActors', releasedOnError, closeError] },
      },
    },
  },
});

/** A first creation failed: release what it made, then stop for good. */
export const failedClosing = lifecycleSetup.createStateConfig({
  tags: ['settling'],
  invoke: {
    id: 'closeFailedSession',
    src: 'closeStack',
    input: closeInput,
    onDone: { target: 'failed', actions: ['stopSessionActors', releasedOnError] },
    onError: { target: 'failed', actions: ['stopSessionActors', releasedOnError] },
  },
});
