import { OutOfRangeError, ValueError } from '../errors.ts';
import { FIFOQueue } from '../graph/FIFOQueue.ts';
import { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { arrayOf, checkOptions, expect, instanceOf, is, optional, rule } from '../internal/validate.ts';
import { MONITORED_SESSION, yieldToEventLoop } from '../internal/brand.ts';
import { logger } from '../logger.ts';
import { asThread, Coordinator, type CoordinatedThread } from './Coordinator.ts';

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

const errorClasses = rule<readonly (abstract new (...args: any[]) => unknown)[]>(
  'a non-empty array of error classes',
  'type',
  (v) => Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'function'),
);

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
    checkOptions('QueueRunner', options, ['queue', 'enqueueOps', 'closeOp', 'cancelOp', 'queueClosedExceptionTypes'], {
      required: true,
    });
    for (const op of ['closeOp', 'cancelOp'] as const) optional('QueueRunner', op, options[op], instanceOf(Tensor));
    if (options.queue === undefined || options.enqueueOps === undefined) {
      throw new ValueError('QueueRunner: Must provide queue and enqueue_ops.');
    }
    expect('QueueRunner', 'queue', options.queue, instanceOf(FIFOQueue));
    expect('QueueRunner', 'enqueueOps', options.enqueueOps, arrayOf(instanceOf(Tensor)));
    if (options.enqueueOps.length === 0) throw new ValueError('QueueRunner: Must provide queue and enqueue_ops.');
    const types = options.queueClosedExceptionTypes ?? [OutOfRangeError];
    expect('QueueRunner', 'queueClosedExceptionTypes', types, errorClasses);
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
    expect('QueueRunner.createThreads', 'session', session, instanceOf(Session));
    const opts = checkOptions('QueueRunner.createThreads', options, ['coord', 'onThreadEnd']);
    const coord = optional('QueueRunner.createThreads', 'coord', opts.coord, instanceOf(Coordinator));
    const onThreadEnd = optional('QueueRunner.createThreads', 'onThreadEnd', opts.onThreadEnd, is.function) as
      CreateThreadsOptions['onThreadEnd'] | undefined;
    const previous = this.#running.get(session);
    if (previous?.some((t) => t.alive)) return [];
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
  producerTasks(
    session: Session,
    coord?: Coordinator,
  ): { name: string; run: (signal?: AbortSignal) => Promise<void> }[] {
    expect('QueueRunner.producerTasks', 'session', session, instanceOf(Session));
    optional('QueueRunner.producerTasks', 'coord', coord, instanceOf(Coordinator));
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

  async #enqueueLoop(
    session: Session,
    op: Tensor,
    shared: { remaining: number },
    coord?: Coordinator,
    signal?: AbortSignal,
  ): Promise<void> {
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

/** True for a monitored session; false for a value that throws when inspected (a revoked proxy). */
function isMonitored(session: unknown): boolean {
  try {
    return typeof session === 'object' && session !== null && MONITORED_SESSION in session;
  } catch {
    return false;
  }
}

/** Adds a queue runner to the graph's `QUEUE_RUNNERS` collection. */
export function addQueueRunner(graph: Graph, queueRunner: QueueRunner): void {
  expect('addQueueRunner', 'graph', graph, instanceOf(Graph));
  expect('addQueueRunner', 'queueRunner', queueRunner, instanceOf(QueueRunner));
  graph.addToCollection(GraphKeys.QUEUE_RUNNERS, queueRunner);
}

/**
 * Starts every queue runner of the session's graph (`QUEUE_RUNNERS`), registered with `coord`.
 * A monitored session starts its own: passing one returns [] (TensorFlow's no-op).
 */
export function startQueueRunners(
  session: unknown,
  coord?: Coordinator,
  options: Omit<CreateThreadsOptions, 'coord'> = {},
): CoordinatedThread[] {
  if (isMonitored(session)) return [];
  const raw = expect('startQueueRunners', 'session', session, instanceOf(Session));
  if (coord !== null) optional('startQueueRunners', 'coord', coord, instanceOf(Coordinator));
  const opts = checkOptions('startQueueRunners', options, ['onThreadEnd']);
  optional('startQueueRunners', 'onThreadEnd', opts.onThreadEnd, is.function);
  const runners = raw.graph.getCollection<QueueRunner>(GraphKeys.QUEUE_RUNNERS);
  if (runners.length === 0) logger.warn('startQueueRunners: no queue runners in the graph; nothing started.');
  return runners.flatMap((qr) => qr.createThreads(raw, { ...(coord ? { coord } : {}), ...options }));
}
