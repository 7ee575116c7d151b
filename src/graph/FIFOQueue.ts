import { checkOptions, expect, is, misuse, optional, rule } from '../internal/validate.ts';
import { capacityRule, checkName, graphLike, inspectable } from './checks.ts';
import type { Graph } from './Graph.ts';
import type { QueueResource } from './ResourceStore.ts';
import { Tensor, type ExecContext, type TensorLike } from './Tensor.ts';

const execContext = rule<ExecContext>(
  'an execution context (called by a running session)',
  'type',
  (v) => typeof (v as Partial<ExecContext> | undefined)?.store?.queue === 'function',
);

/** Options of {@link Graph.fifoQueue}. */
export interface FIFOQueueOptions {
  /** Most elements held at once; a full queue makes enqueues wait. `Infinity` for unbounded. */
  capacity: number;
  /** Queue name; made unique. @default 'fifo_queue' */
  name?: string;
}

/** Options of {@link FIFOQueue.close}. */
export interface QueueCloseOptions {
  /** Also cancel enqueues that are waiting for room (`CancelledError`). @default false */
  cancelPendingEnqueues?: boolean;
  /** Node name. */
  name?: string;
}

/**
 * A first-in first-out queue. Its state lives in the session (or the shared server); each
 * method returns a graph node that performs the operation when run.
 * - `dequeue` on an empty, open queue waits; on a closed, empty queue it fails with `OutOfRangeError`.
 * - `enqueue` on a full queue waits; on a closed queue it fails with `CancelledError`.
 */
export class FIFOQueue<T> {
  readonly graph: Graph;
  readonly name: string;
  readonly capacity: number;

  /** @internal Use `graph.fifoQueue(...)`. */
  constructor(graph: Graph, name: string, capacity: number) {
    this.graph = expect('FIFOQueue', 'graph', graph, graphLike) as Graph;
    this.name = checkName('FIFOQueue', name);
    this.capacity = expect('FIFOQueue', 'capacity', capacity, capacityRule);
  }

  /** @internal The queue's state in the running session's store. */
  resource(ctx: ExecContext): QueueResource<T> {
    expect(`FIFOQueue('${this.name}').resource`, 'ctx', ctx, execContext);
    return ctx.store.queue<T>(this.name, this.capacity);
  }

  enqueue(value: TensorLike<T>, name = `${this.name}_enqueue`): Tensor<undefined> {
    return this.#node(name, 'QueueEnqueueV2', value, (q, v, ctx) => q.enqueue(v, ctx.scope));
  }

  /** Enqueues each element of an array, in order. */
  enqueueMany(values: TensorLike<readonly T[]>, name = `${this.name}_enqueue_many`): Tensor<undefined> {
    return this.#node(name, 'QueueEnqueueManyV2', values, (q, v, ctx) => {
      if (!Array.isArray(v)) misuse(`FIFOQueue('${this.name}').enqueueMany`, 'values', 'an array of elements', v);
      return q.enqueueMany(v as readonly T[], ctx.scope);
    });
  }

  dequeue(name = `${this.name}_dequeue`): Tensor<T> {
    return this.graph.addNode(
      name,
      'QueueDequeueV2',
      [],
      (_args, ctx) => this.resource(ctx).dequeue(ctx.scope),
      'FIFOQueue.dequeue',
    );
  }

  /** Dequeues exactly `n` elements as an array (waits until there are that many). */
  dequeueMany(n: TensorLike<number>, name = `${this.name}_dequeue_many`): Tensor<T[]> {
    if (!(inspectable('FIFOQueue.dequeueMany', 'n', n) instanceof Tensor)) checkCount(this.name, n);
    return this.#node(name, 'QueueDequeueManyV2', n, (q, count, ctx) =>
      q.dequeueMany(checkCount(this.name, count), ctx.scope),
    );
  }

  size(name = `${this.name}_Size`): Tensor<number> {
    return this.graph.addNode(name, 'QueueSizeV2', [], (_args, ctx) => this.resource(ctx).size(), 'FIFOQueue.size');
  }

  close(options: QueueCloseOptions = {}): Tensor<undefined> {
    const opts = checkOptions('FIFOQueue.close', options, ['cancelPendingEnqueues', 'name']);
    const cancel =
      optional('FIFOQueue.close', 'cancelPendingEnqueues', opts.cancelPendingEnqueues, is.boolean) ?? false;
    const name = (opts.name as string | undefined) ?? `${this.name}_${cancel ? 'Close_1' : 'Close'}`;
    return this.graph.addNode(
      name,
      'QueueCloseV2',
      [],
      (_args, ctx) => this.resource(ctx).close(cancel),
      'FIFOQueue.close',
    );
  }

  #node<V, R>(
    name: string,
    type: string,
    input: TensorLike<V>,
    run: (q: QueueResource<T>, value: V, ctx: ExecContext) => R,
  ): Tensor<any> {
    inspectable(api(type), 'value', input);
    if (input instanceof Tensor) {
      return this.graph.addNode(
        name,
        type,
        [input],
        (args, ctx) => run(this.resource(ctx), args[0] as V, ctx),
        api(type),
      );
    }
    return this.graph.addNode(name, type, [], (_args, ctx) => run(this.resource(ctx), input, ctx), api(type));
  }
}

function checkCount(queue: string, n: unknown): number {
  return expect(`FIFOQueue('${queue}').dequeueMany`, 'n', n, is.nonNegativeInteger);
}

/** The public method behind a node type, for messages: `QueueEnqueueManyV2` → `FIFOQueue.enqueueMany`. */
function api(type: string): string {
  const method = type.replace(/^Queue/, '').replace(/V2$/, '');
  return `FIFOQueue.${method.charAt(0).toLowerCase()}${method.slice(1)}`;
}
