import { OutOfRangeError, ValueError, describeValue } from '../errors.ts';
import type { FIFOQueue } from '../graph/FIFOQueue.ts';
import type { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { checkOptions, instanceOf, optional } from '../internal/validate.ts';
import { MONITORED_SESSION, yieldToEventLoop } from '../internal/brand.ts';
import { logger } from '../logger.ts';
import { asThread, type CoordinatedThread, type Coordinator } from './Coordinator.ts';

/** Options of {@link QueueRunner}. */
export interface QueueRunnerOptions {
  queue: FIFOQueue<any>;
  /** One producer task per op; each runs its op in a loop. */
  enqueueOps: readonly Tensor[];
  /** Run by the last producer to reach end of input. @default queue.close() */
  closeOp?: Tensor;
  /** Run when the coordinator stops. @default queue.close({ cancelPendingEnqueues: true }) */
  cancelOp?: Tensor;
  /** Errors meaning "the queue was closed": a producer ends quietly on them. @default [OutOfRangeError] */
  queueClosedExceptionTypes?: readonly (abstract new (...args: any[]) => unknown)[];
}

/** Options of {@link QueueRunner.createThreads}. */
export interface CreateThreadsOptions {
  coord?: Coordinator;
  /** Called with each producer task's outcome when it ends (used by the lifecycle actors). */
  onThreadEnd?: (name: string, error: unknown) => void;
}

/**
 * Background input producers for a queue (TensorFlow's `QueueRunner`): one task per enqueue op
 * runs it until the coordinator stops; the last one to hit end of input closes the queue; other
 * errors are reported to the coordinator.
 */
export class QueueRunner {
  readonly queue: FIFOQueue<any>;
  readonly enqueueOps: readonly Tensor[];
  readonly closeOp: Tensor;
  readonly cancelOp: Tensor;
  readonly queueClosedExceptionTypes: readonly (abstract new (...args: any[]) => unknown)[];
  /** Errors raised by producers that had no coordinator to report to. */
  readonly exceptionsRaised: unknown[] = [];
  readonly #running = new Map<Session, CoordinatedThread[]>();

  constructor(options: QueueRunnerOptions) {
    checkOptions('QueueRunner', options, ['queue', 'enqueueOps', 'closeOp', 'cancelOp', 'queueClosedExceptionTypes'], { required: true });
    for (const op of ['closeOp', 'cancelOp'] as const) optional('QueueRunner', op, options[op], instanceOf(Tensor));
    if (options.queue === undefined || options.enqueueOps === undefined || options.enqueueOps.length === 0) {
      throw new ValueError('QueueRunner: Must provide queue and enqueue_ops.');
    }
    if (!options.enqueueOps.every((op) => op instanceof Tensor)) {
      throw new TypeError(`QueueRunner: expected \`enqueueOps\` to be an array of Tensors, got ${describeValue(options.enqueueOps)}`);
    }
    const types = options.queueClosedExceptionTypes ?? [OutOfRangeError];
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'function')) {
      throw new TypeError(`QueueRunner: expected \`queueClosedExceptionTypes\` to be a non-empty array of error classes, got ${describeValue(types)}`);
    }
    this.queue = options.queue;
    this.enqueueOps = [...options.enqueueOps];
    this.closeOp = options.closeOp ?? options.queue.close();
    this.cancelOp = options.cancelOp ?? options.queue.close({ cancelPendingEnqueues: true });
    this.queueClosedExceptionTypes = types;
  }

  get name(): string {
    return this.queue.name;
  }

  /**
   * Starts the producer tasks for `session` (and, with a coordinator, a task that cancels the
   * queue when it stops), registered with the coordinator. Returns [] while earlier tasks for
   * the same session still run.
   */
  createThreads(session: Session, options: CreateThreadsOptions = {}): CoordinatedThread[] {
    const previous = this.#running.get(session);
    if (previous?.some((t) => t.alive)) return [];
    const { coord, onThreadEnd } = options;
    const threads = this.producerTasks(session, coord).map((task) => {
      const done = task.run().then(
        () => onThreadEnd?.(task.name, undefined),
        (error: unknown) => onThreadEnd?.(task.name, error),
      );
      return coord ? coord.registerThread(done, task.name) : asThread(done, task.name);
    });
    this.#running.set(session, threads);
    return threads;
  }

  /**
   * The producer tasks for `session`, not started: one enqueue loop per op, plus (with a
   * coordinator) the task that cancels the queue when the coordinator stops. A monitored session
   * runs each as a child actor; `createThreads` runs them as plain tasks.
   */
  producerTasks(session: Session, coord?: Coordinator): { name: string; run: (signal?: AbortSignal) => Promise<void> }[] {
    const shared = { remaining: this.enqueueOps.length };
    const tasks = this.enqueueOps.map((op, i) => ({
      name: `QueueRunner(${this.name})/enqueue_${i}`,
      run: (signal?: AbortSignal) => this.#enqueueLoop(session, op, shared, coord, signal),
    }));
    if (coord) {
      tasks.push({
        name: `QueueRunner(${this.name})/close_on_stop`,
        run: async () => {
          await coord.waitForStop();
          await session.run(this.cancelOp).catch(() => {});
        },
      });
    }
    return tasks;
  }

  async #enqueueLoop(session: Session, op: Tensor, shared: { remaining: number }, coord?: Coordinator, signal?: AbortSignal): Promise<void> {
    try {
      for (let n = 1; !coord?.shouldStop() && !signal?.aborted; n++) {
        await session.run(op);
        // Enqueues that never block would otherwise starve timers and I/O.
        if (n % 64 === 0) await yieldToEventLoop();
      }
    } catch (error) {
      if (this.queueClosedExceptionTypes.some((t) => error instanceof t)) {
        shared.remaining--;
        if (shared.remaining === 0) await session.run(this.closeOp).catch(() => {});
        return;
      }
      if (coord) {
        coord.requestStop(error);
        return;
      }
      this.exceptionsRaised.push(error);
      logger.error(`QueueRunner(${this.name}): producer failed`, error);
      throw error;
    }
  }
}

/** Adds a queue runner to the graph's `QUEUE_RUNNERS` collection. */
export function addQueueRunner(graph: Graph, queueRunner: QueueRunner): void {
  if (!(queueRunner instanceof QueueRunner)) {
    throw new TypeError(`addQueueRunner: expected a QueueRunner, got ${describeValue(queueRunner)}`);
  }
  graph.addToCollection(GraphKeys.QUEUE_RUNNERS, queueRunner);
}

/**
 * Starts every queue runner of the session's graph (`QUEUE_RUNNERS`), registered with `coord`.
 * A monitored session starts its own: passing one returns [] (TensorFlow's no-op).
 */
export function startQueueRunners(session: unknown, coord?: Coordinator, options: Omit<CreateThreadsOptions, 'coord'> = {}): CoordinatedThread[] {
  if (typeof session === 'object' && session !== null && MONITORED_SESSION in session) return [];
  if (!(session instanceof Session)) {
    throw new TypeError(`startQueueRunners: expected a Session, got ${describeValue(session)}`);
  }
  const runners = session.graph.getCollection<QueueRunner>(GraphKeys.QUEUE_RUNNERS);
  if (runners.length === 0) logger.warn('startQueueRunners: no queue runners in the graph; nothing started.');
  return runners.flatMap((qr) => qr.createThreads(session, { ...(coord ? { coord } : {}), ...options }));
}
