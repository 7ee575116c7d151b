/**
 * The effects of the lifecycle chart, provided once for every monitored session (the chart is
 * not rebuilt per session). Each effect finds what it works on in one of two places: the session
 * objects travel through the actors' inputs and outputs (a raw `Session`, a {@link SessionStack}),
 * and the parts of the monitored session that do not change (hooks, creator, policy, clock) are
 * its {@link LifecycleHost}, registered for the actor's system by {@link startLifecycle}.
 */
import {
  createActor,
  enqueueActions,
  fromCallback,
  fromPromise,
  type ActorSystem,
  type InspectionEvent,
  type Observer,
} from 'xstate';
import {
  lifecycleMachine,
  MAX_HISTORY,
  errorMessage,
  errorName,
  type HookActorInput,
  type HookCall,
  type LifecycleEvent,
  type ProducerSpec,
} from '../../machines/lifecycle.ts';
import type { ProducerInput } from '../../machines/lifecycleSetup.ts';
import type { Clock } from '../clock.ts';
import { RuntimeError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { EndReason, Hook } from './SessionRunHook.ts';
import { logger } from '../logger.ts';
import { Coordinator } from './Coordinator.ts';
import { NotReadyYet, isSteppedCreator, type SessionCreator } from './creators.ts';
import { implementsMethod } from './HookedSession.ts';
import { decideRecovery, failureInfo, nextAttempt, notifyRecovery, type ResolvedRecoveryPolicy } from './recovery.ts';
import { SessionStack, closeQuietly, closeSessionStack, closings } from './SessionStack.ts';

declare module '../../machines/lifecycleTypes.ts' {
  interface LifecycleRegister {
    raw: Session;
    stack: SessionStack;
  }
}

/** What the effects need of one monitored session. */
export interface LifecycleHost {
  readonly hooks: readonly Hook[];
  readonly creator: SessionCreator;
  readonly policy: ResolvedRecoveryPolicy;
  readonly clock: Clock;
  readonly graceSecs: number;
  /** False for `SingularMonitoredSession`: no failure is ever recovered from. */
  readonly recovers: boolean;
  readonly graph: Graph | undefined;
  /** Sets the stack the facade's per-step path uses (`undefined`: none). */
  activate(stack: SessionStack | undefined): void;
  /** A `RECOVER` event for `error` on `stack` (numbered, and telling whether a run succeeded since). */
  failureEvent(error: unknown, source: 'coordinator', stack: SessionStack): LifecycleEvent;
  /** Told when a recovery is decided: the next failure counts as a further attempt. */
  recovering(): void;
}

const hosts = new WeakMap<ActorSystem<any>, LifecycleHost>();

function hostOf(system: ActorSystem<any>): LifecycleHost {
  const host = hosts.get(system);
  if (host === undefined) throw new RuntimeError('lifecycle: no monitored session is registered for this actor system');
  return host;
}

/** One lifecycle call of a hook, made by its actor: after creation, or at close. */
async function callHook(hook: Hook, call: HookCall, stack: SessionStack): Promise<void> {
  if (call.method === 'afterCreateSession') {
    await hook.afterCreateSession?.(stack.raw, stack.coord);
  } else if (call.method === 'end') {
    await hook.end?.(stack.raw, { reason: (call.closing?.reason ?? 'finished') as EndReason });
  } else if (implementsMethod(hook, 'endOnError')) {
    await hook.endOnError?.(stack.raw, call.closing?.cause);
  }
}

/** The lifecycle chart with every effect provided. Built once, at module load. */
export const providedLifecycle = lifecycleMachine.provide({
  actors: {
    beginHooks: fromPromise(async ({ system }) => {
      const host = hostOf(system);
      for (const hook of host.hooks) await hook.begin?.(host.graph);
    }),
    openSession: fromPromise(async ({ system, signal }) => {
      const { creator } = hostOf(system);
      const raw = isSteppedCreator(creator) ? await creator.openSession() : await creator.createSession();
      if (signal.aborted) {
        // The chart was closed while this session was being made: nobody else will close it.
        await closeQuietly(raw);
        throw new RuntimeError('Session creation abandoned: the monitored session was closed.');
      }
      return raw;
    }),
    restoreSession: fromPromise(async ({ input, system }) => {
      const { creator } = hostOf(system);
      return input.raw !== undefined && isSteppedCreator(creator) ? creator.restoreSession(input.raw) : false;
    }),
    initializeSession: fromPromise(async ({ input, system }) => {
      const { creator } = hostOf(system);
      if (input.raw !== undefined && isSteppedCreator(creator))
        await creator.initializeSession(input.raw, input.restored);
    }),
    startCoordinator: fromPromise(async ({ input, system }) => {
      const host = hostOf(system);
      if (input.raw === undefined) throw new RuntimeError('lifecycle: no session to start services on');
      // No error counts as a clean stop in a monitored session, not even OutOfRangeError (B2).
      const coord = new Coordinator({ cleanStopExceptionTypes: [], clock: host.clock });
      const stack = new SessionStack(input.raw, coord, host.hooks, input.generation);
      const producers = stack.tasks.map((task, index): ProducerSpec => ({
        id: `producer:${task.name}#${index}`,
        name: task.name,
        generation: input.generation,
        index,
      }));
      return { stack, producers };
    }),
    producer: fromPromise(async ({ input, signal }: { input: ProducerInput; signal: AbortSignal }) => {
      const task = input.stack.tasks[input.index];
      if (task === undefined) return;
      const done = task.run(signal);
      input.stack.coord.registerThread(done, task.name);
      await done.catch((error: unknown) => logger.error(`${task.name} failed`, error));
    }),
    hook: fromCallback<HookCall, HookActorInput>(({ input, receive, sendBack, system }) => {
      const hook = hostOf(system).hooks[input.index];
      receive((call) => {
        if (hook === undefined) return;
        callHook(hook, call, input.stack).then(
          () => sendBack({ type: 'HOOK.DONE', index: input.index }),
          (error: unknown) => {
            // At an error close the chart goes on with the next hook; say what was skipped.
            if (call.method === 'endOnError') logger.error('A hook failed in endOnError; the close goes on.', error);
            sendBack({ type: 'HOOK.FAILED', index: input.index, error });
          },
        );
      });
    }),
    watchCoordinator: fromCallback(({ input, sendBack, system }) => {
      const host = hostOf(system);
      const stack = input.stack;
      if (!host.recovers || stack === undefined) return undefined;
      // A background task that stops the coordinator with an error (a producer's AbortedError,
      // say) is reported at once: a run blocked on that task's input must not wait for shouldStop().
      const report = (): void => {
        if (stack.coord.hasException) sendBack(host.failureEvent(stack.coord.exception, 'coordinator', stack));
      };
      const dispose = stack.coord.onStop(report);
      report();
      return dispose;
    }),
    closeStack: fromPromise(async ({ input, system }) => {
      const { raw, stack, recoveredFrom } = input;
      if (raw === undefined) return { abandoned: [] };
      let closing = closings.get(raw);
      if (closing === undefined) {
        closing = closeSessionStack(hostOf(system), raw, stack, recoveredFrom);
        closings.set(raw, closing);
      }
      return { abandoned: await closing };
    }),
  },
  guards: {
    isNotReady: (_, params) => params.error instanceof NotReadyYet,
  },
  actions: {
    // The policy (user code: `retryOn`) runs in this action; only its answer is assigned.
    decideRecovery: enqueueActions(({ context, system, enqueue }) => {
      const { policy, recovers } = hostOf(system);
      const failure = context.failure;
      if (failure === undefined) return;
      const attemptNumber = nextAttempt(context.attempt, failure.fresh);
      const info = failureInfo(policy, failure.error, failure.source, attemptNumber);
      const decision = recovers
        ? decideRecovery(policy, info)
        : {
            action: 'detach' as const,
            attemptNumber,
            delayMs: 0 as const,
            why: 'SingularMonitoredSession does not recover',
          };
      const recorded = { failure: failure.id, ...decision };
      if (decision.action !== 'recover') {
        enqueue.assign({ decision: recorded });
        return;
      }
      const record = {
        error: errorName(failure.error),
        message: errorMessage(failure.error),
        source: failure.source,
        attemptNumber,
        delayMs: decision.delayMs,
      };
      enqueue.assign({
        decision: recorded,
        attempt: attemptNumber,
        recoveries: context.recoveries + 1,
        retryInMs: decision.delayMs,
        history: [...context.history, record].slice(-MAX_HISTORY),
      });
    }),
    notifyRecovery: ({ context, system }) => {
      const host = hostOf(system);
      const { failure, decision } = context;
      if (failure === undefined || decision === undefined) return;
      host.recovering();
      logger.warn(
        'An error was raised. This may be due to a preemption in a connected worker or parameter server. The current session will be ' +
          `closed and a new session will be created. Error: ${errorMessage(failure.error)}`,
      );
      notifyRecovery(
        host.policy,
        failureInfo(host.policy, failure.error, failure.source, decision.attemptNumber),
        decision.delayMs,
      );
    },
    activateSession: ({ context, system }) => hostOf(system).activate(context.session.stack),
    deactivateSession: ({ system }) => hostOf(system).activate(undefined),
    retireSession: ({ context }) => {
      if (context.session.stack !== undefined) context.session.stack.retired = true;
    },
    reportAbandonedHook: ({ context, system }) => {
      const id = context.abandonedHooks.at(-1);
      logger.warn(
        `Hook ${id} did not finish its ${context.hookPhase.method} within the ${hostOf(system).graceSecs}s grace period; it is abandoned.`,
      );
    },
  },
});

/** An xstate inspection observer, given every actor of the session. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** A hook's readable name for its actor id: its class, or `hook` for a plain object. */
function hookName(hook: object): string {
  const name = (hook.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'hook';
}

/** Creates the lifecycle actor of one monitored session, with `host` registered for its effects. Not started. */
export function startLifecycle(host: LifecycleHost & { readonly inspect: InspectObserver | undefined }) {
  const { creator, inspect } = host;
  const actor = createActor(providedLifecycle, {
    input: {
      stepped: isSteppedCreator(creator),
      restores: isSteppedCreator(creator) && creator.restores,
      hookNames: host.hooks.map(hookName),
      endGraceMs: host.graceSecs * 1000,
    },
    clock: host.clock,
    ...(inspect !== undefined ? { inspect } : {}),
  });
  hosts.set(actor.system, host);
  return actor;
}
