import { expect, is, optional } from '../internal/validate.ts';
import { Tensor, type Compute } from './Tensor.ts';
import type { Graph } from './Graph.ts';

/** Options of {@link Graph.variable}. */
export interface VariableOptions {
  /** Node name; made unique. @default 'Variable' */
  name?: string;
  /** Added to `TRAINABLE_VARIABLES`. @default true (false for local variables) */
  trainable?: boolean;
  /** A local variable (`LOCAL_VARIABLES`): per-worker state, not saved, initialized by the local init op. @default false */
  local?: boolean;
  /** Collections to add the variable to, instead of the default ones. */
  collections?: readonly string[];
}

/**
 * A variable: state that lives in the session (or in the server it is attached to), read by
 * running it and changed by `assign`/`assignAdd`. Reading it before its initializer ran fails
 * with `FailedPreconditionError`.
 */
export class Variable<T = unknown> extends Tensor<T> {
  /** The node that sets the variable to its initial value. */
  readonly initializer: Tensor<T>;
  readonly trainable: boolean;
  readonly local: boolean;
  readonly #initial: T | (() => T);

  /** @internal Use `graph.variable(...)`. */
  constructor(
    graph: Graph,
    id: number,
    name: string,
    initial: T | (() => T),
    options: { trainable: boolean; local: boolean },
    makeInitializer: (variable: Variable<T>) => Tensor<T>,
  ) {
    const read: Compute = (_args, ctx) => ctx.store.readVariable(name);
    super(graph, id, name, 'VariableV2', [], read);
    this.#initial = initial;
    const opts = expect('Variable', 'options', options, is.object);
    this.trainable = optional('Variable', 'trainable', opts.trainable, is.boolean) ?? true;
    this.local = optional('Variable', 'local', opts.local, is.boolean) ?? false;
    this.initializer = (expect('Variable', 'makeInitializer', makeInitializer, is.function) as typeof makeInitializer)(
      this,
    );
  }

  /** A fresh initial value: the initializer function's result, or a copy of the initial value. */
  initialValue(): T {
    const initial = this.#initial;
    if (typeof initial === 'function') return (initial as () => T)();
    return copyValue(initial);
  }
}

/** Copies mutable values (typed arrays, arrays, plain objects) so state never aliases the initial value. */
function copyValue<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return (value as unknown as { slice(): T }).slice();
  return structuredClone(value);
}
