import { arrayOf, expect, instanceOf, is } from '../internal/validate.ts';
import { graphLike } from './checks.ts';
import type { Graph } from './Graph.ts';
import type { ResourceStore } from './ResourceStore.ts';
import type { RunScope } from './RunScope.ts';

/** What a node's computation can reach while a session runs it. @internal */
export interface ExecContext {
  readonly store: ResourceStore;
  readonly scope: RunScope;
}

/** A node's computation: input values in, value (or a promise of it) out. @internal */
export type Compute = (args: unknown[], ctx: ExecContext) => unknown;

/**
 * A node of a {@link Graph} and the value it produces when a session runs it. (TensorFlow has
 * operations with outputs; here every node has exactly one output, so a node is its tensor,
 * and `name` and `name:0` both refer to it.)
 */
export class Tensor<T = unknown> {
  /** Phantom field carrying the value type for `Session.run`'s result types. */
  declare readonly __value?: T;
  /** Unique within the process; used as the key of execution plans. */
  readonly id: number;
  /** Unique within the graph (`x`, `x_1`, ...). */
  readonly name: string;
  /** The operation type, e.g. `Placeholder`, `Assign`, `QueueDequeueV2`. */
  readonly type: string;
  readonly graph: Graph;
  /** Nodes whose values this node needs (data and control dependencies). */
  readonly inputs: readonly Tensor[];
  /** @internal */
  readonly compute: Compute;

  /** @internal Use the `Graph` methods to create nodes. */
  constructor(graph: Graph, id: number, name: string, type: string, inputs: readonly Tensor[], compute: Compute) {
    this.graph = expect('Tensor', 'graph', graph, graphLike) as Graph;
    this.id = expect('Tensor', 'id', id, is.integer);
    this.name = expect('Tensor', 'name', name, is.nonEmptyString);
    this.type = expect('Tensor', 'type', type, is.nonEmptyString);
    this.inputs = expect('Tensor', 'inputs', inputs, arrayOf(instanceOf(Tensor)));
    this.compute = expect('Tensor', 'compute', compute, is.function) as Compute;
  }

  toString(): string {
    return `Tensor("${this.name}:0", type=${this.type})`;
  }
}

/** The value type of a tensor. */
export type ValueOf<X> = X extends Tensor<infer T> ? T : never;

/** The value types of a tuple of tensors. */
export type ValuesOf<I extends readonly Tensor<unknown>[]> = { -readonly [K in keyof I]: ValueOf<I[K]> };

/** A tensor, or a plain value that is turned into a constant. */
export type TensorLike<T> = Tensor<T> | T;
