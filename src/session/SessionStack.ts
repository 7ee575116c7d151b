/**
 * The layers under the recoverable one, built for each created session: the raw session, its
 * coordinator and producer tasks, and the hooked session (TensorFlow's `_CoordinatedSession` over
 * `_HookedSession`). It also counts the attempts (runs, step functions) in flight on it, so a
 * recovery never closes the raw session under a hook's `afterRun` still using it.
 */
import type { Clock } from '../clock.ts';
import { isRecoverable } from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import type { FeedDict, Fetch } from '../graph/fetches.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import type { Hook } from './SessionRunHook.ts';
import type { Coordinator } from './Coordinator.ts';
import { HookedSession } from './HookedSession.ts';
import { InFlight } from './InFlight.ts';
import type { QueueRunner } from './QueueRunner.ts';
import { logger } from '../logger.ts';
import { errorMessage } from '../../machines/lifecycle.ts';

/** One background producer (a queue runner task). */
export interface ProducerTask {
  readonly name: string;
  run(signal?: AbortSignal): Promise<void>;
}

export class SessionStack {
  readonly raw: Session;
  readonly coord: Coordinator;
  readonly hooked: HookedSession;
  readonly generation: number;
  readonly tasks: readonly ProducerTask[];
  /** Set when a recovery replaced this stack: a run that fails on it is re-issued on the new one. */
  retired = false;
  /** Attempts (runs, step functions) using this stack: its close waits for them. */
  readonly inFlight = new InFlight();

  constructor(raw: Session, coord: Coordinator, hooks: readonly Hook[], generation: number) {
    this.raw = raw;
    this.coord = coord;
    this.hooked = new HookedSession(raw, hooks);
    this.generation = generation;
    const runners = raw.graph.getCollection<QueueRunner>(GraphKeys.QUEUE_RUNNERS);
    this.tasks = runners.flatMap((qr) => qr.producerTasks(raw, coord));
  }

  /** The coordinated layer's run: a preemption error held by the coordinator replaces others (D1). */
  async run(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<unknown> {
    return this.runNow(fetches, feedDict, options, runMetadata);
  }

  /** {@link run} without a promise when the hooked run answers synchronously (`HookedSession.runNow`); errors are thrown. */
  runNow(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): unknown {
    let result: unknown;
    try {
      result = this.hooked.runNow(fetches, feedDict, options, runMetadata);
    } catch (error) {
      throw this.#preempted(error);
    }
    if (!isThenable(result)) return result;
    return Promise.resolve(result).then(undefined, (error: unknown) => {
      throw this.#preempted(error);
    });
  }

  /** The error a failed run reports: the coordinator's preemption error in place of one that is not (D1). */
  #preempted(error: unknown): unknown {
    return !isRecoverable(error) && this.coord.hasException && isRecoverable(this.coord.exception)
      ? this.coord.exception
      : error;
  }
}

/** Closes a session, logging (not throwing) its errors (D4). */
export async function closeQuietly(raw: Session): Promise<void> {
  try {
    await raw.close();
  } catch (error) {
    logger.warn('Closing the session failed; ignored.', error);
  }
}

/** Closes each raw session once: a close interrupting a recovery's close waits for the same one. */
export const closings = new WeakMap<Session, Promise<string[]>>();

/** Stops the coordinator, joins producers, waits for the runs still on the stack, closes the session. */
export async function closeSessionStack(
  host: { readonly clock: Clock; readonly graceSecs: number; readonly recovers: boolean },
  raw: Session,
  stack: SessionStack | undefined,
  recoveredFrom: unknown,
): Promise<string[]> {
  let abandoned: string[] = [];
  let failed = false;
  let joinError: unknown;
  try {
    if (stack !== undefined) {
      stack.coord.requestStop();
      abandoned = await stack.coord.join({ stopGracePeriodSecs: host.graceSecs, ignoreLiveThreads: true });
    }
  } catch (error) {
    failed = true;
    joinError = error;
  } finally {
    // Producers stopped (a run blocked on their queue is released): the runs still using this
    // session (a hook's afterRun, say) finish before it closes, within the grace period.
    await stack?.inFlight.drain(
      host.clock,
      host.graceSecs * 1000,
      (left) => `Closing a session that ${left} run(s) still use after the ${host.graceSecs}s grace period.`,
    );
    await closeQuietly(raw);
  }
  if (failed) {
    // A lost session reported to the coordinator is swallowed by the recoverable layer (A7, G3), as
    // is the error this recovery was decided for; any other error it holds fails the recovery (E11).
    if (host.recovers && (isRecoverable(joinError) || (recoveredFrom !== undefined && joinError === recoveredFrom)))
      logger.warn(`Ignoring a preemption error at close: ${errorMessage(joinError)}`);
    else throw joinError;
  }
  if (abandoned.length > 0)
    logger.warn(`Producers abandoned after the ${host.graceSecs}s grace period: ${abandoned.join(', ')}`);
  return abandoned;
}

/** A run as an attempt that a monitored session makes (again, after a failure) on whichever stack is current. */
export function runAttempt<R>(
  fetches: Fetch,
  feedDict: FeedDict | null | undefined,
  options: RunOptions | null | undefined,
  runMetadata: RunMetadata | null | undefined,
): (stack: SessionStack) => R | Promise<R> {
  return (stack) => stack.runNow(fetches, feedDict, options, runMetadata) as R | Promise<R>;
}
