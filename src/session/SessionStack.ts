/**
 * The layers under the recoverable one, built for each created session: the raw session, its
 * coordinator and producer tasks, and the hooked session (TensorFlow's `_CoordinatedSession` over
 * `_HookedSession`). It also counts the attempts (runs, step functions) in flight on it, so a
 * recovery never closes the raw session under a hook's `afterRun` still using it.
 */
import type { Clock } from '../clock.ts';
import { waitAtMost } from '../internal/waitAtMost.ts';
import { isRecoverable } from '../errors.ts';
import type { FeedDict, Fetch } from '../graph/fetches.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import type { Hook } from '../hooks/SessionRunHook.ts';
import type { Coordinator } from './Coordinator.ts';
import { HookedSession } from './HookedSession.ts';
import type { QueueRunner } from './QueueRunner.ts';

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
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #abandoned = false;

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

  /** Counts an attempt (a run or a step function) as using this stack until `leave`. */
  enter(): void {
    this.#inFlight++;
  }

  leave(): void {
    if (--this.#inFlight === 0) this.#idle?.();
  }

  /** The close already waited for the attempts in flight and gave them up: `drained` no longer waits. */
  abandonInFlight(): void {
    this.#abandoned = true;
  }

  /** Waits until no attempt uses this stack, at most `ms`; resolves how many still do. */
  async drained(clock: Clock, ms: number): Promise<number> {
    if (this.#inFlight === 0 || this.#abandoned) return this.#inFlight;
    await waitAtMost(clock, ms, new Promise<void>((resolve) => (this.#idle = resolve)));
    this.#idle = undefined;
    return this.#inFlight;
  }
}
