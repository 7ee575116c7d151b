import { OutOfRangeError } from '../errors.ts';
import type { FIFOQueue } from '../graph/FIFOQueue.ts';
import { Graph } from '../graph/Graph.ts';
import { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import { andThen } from '../internal/promise.ts';
import { checkOptions, expect, instanceOf, is, optional, withMethods } from '../internal/validate.ts';
import type { Coordinator } from './Coordinator.ts';
import { QueueRunner, addQueueRunner } from './QueueRunner.ts';
import { resumeState } from '../resume/ResumeState.ts';
import type { SeekableSource, SourceElement } from '../resume/SeekableSource.ts';
import { readOr, resumeKey } from '../resume/storeKeys.ts';

/** What travels through the queue: the element and the position after it. */
type Carried<T, P> = Pick<SourceElement<T, P>, 'value' | 'position'>;

/**
 * A queue runner whose producer reads a {@link SeekableSource}. Each element carries its position
 * through the queue; the trainer-side `dequeue` records the position of what it consumed, and
 * checkpoints save that (not what the producer made). A session restored from a checkpoint seeks
 * the source there, so elements that were still queued at a crash are produced again, never
 * skipped and never twice.
 */
export class SourceQueueRunner<T, P> extends QueueRunner {
  readonly source: SeekableSource<T, P>;
  readonly #key: string;

  /** @internal Use {@link sourceQueueRunner}. */
  constructor(queue: FIFOQueue<Carried<T, P>>, enqueueOp: Tensor, source: SeekableSource<T, P>, key: string) {
    super({ queue, enqueueOps: [enqueueOp] });
    this.source = expect('SourceQueueRunner', 'source', source, sourceRule) as SeekableSource<T, P>;
    this.#key = expect('SourceQueueRunner', 'key', key, is.nonEmptyString);
  }

  /** The position after the last element `session`'s trainer consumed (`source.start` if none). */
  consumedPosition(session: Session): P | Promise<P> {
    expect('SourceQueueRunner.consumedPosition', 'session', session, instanceOf(Session));
    return readOr(session.store, this.#key, this.source.start);
  }

  /** The producer first seeks the source to the consumed position of `session`, then enqueues. */
  override producerTasks(
    session: Session,
    coord?: Coordinator,
  ): { name: string; run: (signal?: AbortSignal) => Promise<void> }[] {
    // super validates session and coord
    const [producer, ...rest] = super.producerTasks(session, coord);
    const run = async (signal?: AbortSignal): Promise<void> => {
      try {
        await this.source.seek(await this.consumedPosition(session));
      } catch (error) {
        if (!coord) throw error;
        coord.requestStop(error);
        return;
      }
      await producer!.run(signal);
    };
    return [{ name: producer!.name, run }, ...rest];
  }
}

/** Options of {@link sourceQueueRunner}. */
export interface SourceQueueRunnerOptions<T, P> {
  source: SeekableSource<T, P>;
  /** Elements produced ahead of the trainer. @default 8 */
  capacity?: number;
  /** The queue's name (also the name its position is saved under: `input/<name>`). @default 'source_queue' */
  name?: string;
}

/** What {@link sourceQueueRunner} built. */
export interface SourceInput<T, P> {
  /** Dequeues the next element and records its position as consumed: train on this. */
  dequeue: Tensor<T>;
  runner: SourceQueueRunner<T, P>;
  queue: FIFOQueue<Carried<T, P>>;
}

const API = 'sourceQueueRunner';
const sourceRule = withMethods<SeekableSource<unknown, unknown>>(
  'a SeekableSource (with seek and next)',
  'seek',
  'next',
);

/**
 * An input pipeline that resumes exactly: a queue fed from `source` by a {@link SourceQueueRunner}
 * (added to `QUEUE_RUNNERS`), and the trainer's `dequeue`. The consumed position is saved with
 * every checkpoint (saveable `input/<name>`) and restored with it.
 * @example
 * const { dequeue } = sourceQueueRunner(graph, { source: arraySource(rows, { repeat: true }) });
 * const train = graph.op('train', [dequeue], (row) => step(row));
 */
export function sourceQueueRunner<T, P>(graph: Graph, options: SourceQueueRunnerOptions<T, P>): SourceInput<T, P> {
  expect(API, 'graph', graph, instanceOf(Graph));
  const opts = checkOptions(API, options, ['source', 'capacity', 'name'], { required: true });
  const source = expect(API, 'source', opts.source, sourceRule) as SeekableSource<T, P>;
  const capacity = optional(API, 'capacity', opts.capacity, is.positiveInteger) ?? 8;
  const queue = graph.fifoQueue<Carried<T, P>>({
    capacity,
    name: optional(API, 'name', opts.name, is.nonEmptyString) ?? 'source_queue',
  });
  const key = resumeKey('input', queue.name);
  const next = graph.addNode<Carried<T, P>>(`${queue.name}/source_next`, 'SourceNext', [], () =>
    andThen(source.next(), (item) => {
      if (item.done) throw new OutOfRangeError(`${API}: source of '${queue.name}' is exhausted`);
      return { value: item.value, position: item.position };
    }),
  );
  const runner = new SourceQueueRunner<T, P>(queue, queue.enqueue(next), source, key);
  const dequeue = graph.addNode<T>(`${queue.name}/consume`, 'SourceConsume', [queue.dequeue()], (args, ctx) => {
    const carried = args[0] as Carried<T, P>;
    return andThen(ctx.store.writeVariable(key, carried.position), () => carried.value);
  });
  const state = resumeState(graph);
  state.seekable.add(runner);
  addQueueRunner(graph, runner);
  graph.addToCollection('saveable_objects', {
    name: `input/${queue.name}`,
    saveable: {
      saveState: ({ session }: { session: Session }) =>
        andThen(runner.consumedPosition(session), (position) => ({ position })),
      restoreState: async (saved: Readonly<Record<string, unknown>>, { session }: { session: Session }) => {
        await session.store.writeVariable(key, saved['position']);
      },
      restoreAbsent: ({ session }: { session: Session }) =>
        state.absent(
          session,
          `the checkpoint holds no position for input '${queue.name}': it starts over from the beginning`,
        ),
    },
  });
  return { dequeue, runner, queue };
}
