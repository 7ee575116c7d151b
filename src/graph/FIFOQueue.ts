import { ValueError, describeValue } from '../errors.ts';
import type { Graph } from './Graph.ts';
import type { QueueResource } from './ResourceStore.ts';
import { Tensor, type ExecContext, type TensorLike } from './Tensor.ts';

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
    this.graph = graph;
    this.name = name;
    this.capacity = capacity;
  }

  /** @internal The queue's state in the running session's store. */
  resource(ctx: ExecContext): QueueResource<T> {
    return ctx.store.queue<T>(this.name, this.capacity);
  }

  enqueue(value: TensorLike<T>, name = `${this.name}_enqueue`): Tensor<undefined> {
    return this.#node(name, 'QueueEnqueueV2', value, (q, v, ctx) => q.enqueue(v, ctx.scope));
  }

  /** Enqueues each element of an array, in order. */
  enqueueMany(values: TensorLike<readonly T[]>, name = `${this.name}_enqueue_many`): Tensor<undefined> {
    return this.#node(name, 'QueueEnqueueManyV2', values, (q, v, ctx) => {
      if (!Array.isArray(v)) {
        throw new ValueError(`FIFOQueue('${this.name}').enqueueMany: expected an array of elements, got ${describeValue(v)}`);
      }
      return q.enqueueMany(v as readonly T[], ctx.scope);
    });
  }

  dequeue(name = `${this.name}_dequeue`): Tensor<T> {
    return this.graph.addNode(name, 'QueueDequeueV2', [], (_args, ctx) => this.resource(ctx).dequeue(ctx.scope), 'fifoQueue.dequeue');
  }

  /** Dequeues exactly `n` elements as an array (waits until there are that many). */
  dequeueMany(n: TensorLike<number>, name = `${this.name}_dequeue_many`): Tensor<T[]> {
    if (!(n instanceof Tensor)) checkCount(this.name, n);
    return this.#node(name, 'QueueDequeueManyV2', n, (q, count, ctx) => q.dequeueMany(checkCount(this.name, count), ctx.scope));
  }

  size(name = `${this.name}_Size`): Tensor<number> {
    return this.graph.addNode(name, 'QueueSizeV2', [], (_args, ctx) => this.resource(ctx).size(), 'fifoQueue.size');
  }

  close(options: QueueCloseOptions = {}): Tensor<undefined> {
    const cancel = options.cancelPendingEnqueues ?? false;
    const name = options.name ?? `${this.name}_${cancel ? 'Close_1' : 'Close'}`;
    return this.graph.addNode(name, 'QueueCloseV2', [], (_args, ctx) => this.resource(ctx).close(cancel), 'fifoQueue.close');
  }

  #node<V, R>(name: string, type: string, input: TensorLike<V>, run: (q: QueueResource<T>, value: V, ctx: ExecContext) => R): Tensor<any> {
    if (input instanceof Tensor) {
      return this.graph.addNode(name, type, [input], (args, ctx) => run(this.resource(ctx), args[0] as V, ctx), type);
    }
    return this.graph.addNode(name, type, [], (_args, ctx) => run(this.resource(ctx), input, ctx), type);
  }
}

function checkCount(queue: string, n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 0) {
    throw new ValueError(`FIFOQueue('${queue}').dequeueMany: expected \`n\` to be a non-negative integer, got ${describeValue(n)}`);
  }
  return n as number;
}
