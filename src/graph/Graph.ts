import { RuntimeError, UsageValueError, describeValue } from '../errors.ts';
import { andThen, isThenable } from '../internal/promise.ts';
import { checkOptions, expect, is, misuse, optional } from '../internal/validate.ts';
import { capacityRule, checkName, inspectable, isCloneable, stringArray } from './checks.ts';
import { checkInputs, checkVariable, variableArray } from './inputChecks.ts';
import { FIFOQueue, type FIFOQueueOptions } from './FIFOQueue.ts';
import { GraphKeys } from './GraphKeys.ts';
import type { ResourceStore } from './ResourceStore.ts';
import { Tensor, type Compute, type TensorLike, type ValuesOf } from './Tensor.ts';
import { Variable, type VariableOptions } from './Variable.ts';

let nextNodeId = 1;

const FINALIZED_MESSAGE = 'Graph is finalized and cannot be modified.';

/** Writes `value` to the variable `name` and answers it (the store's own `assignVariable` if it has one). */
function assignVariable<T>(store: ResourceStore, name: string, value: T): T | Promise<T> {
  if (store.assignVariable !== undefined) return store.assignVariable(name, value);
  return andThen(store.writeVariable(name, value), () => value);
}

/**
 * A dataflow graph: placeholders, constants, variables, ops over plain (sync or async)
 * functions, queues and collections. Build it once, then run parts of it with a `Session`.
 * @example
 * const g = new Graph();
 * const x = g.placeholder<number>('x');
 * const w = g.variable(0, { name: 'w' });
 * const loss = g.op('loss', [w, x], (w, x) => (w * x - 3) ** 2);
 */
export class Graph {
  readonly #nodes = new Map<string, Tensor>();
  readonly #namesInUse = new Set<string>();
  readonly #collections = new Map<string, unknown[]>();
  #finalized = false;

  /** True after {@link finalize}: no node or collection item can be added. */
  get finalized(): boolean {
    return this.#finalized;
  }

  /** Forbids further changes; `MonitoredSession` finalizes the graph when it creates a session. */
  finalize(): void {
    this.#finalized = true;
  }

  /** Allows changes again (TensorFlow's `_unsafe_unfinalize`); used when a session closes. */
  unsafeUnfinalize(): void {
    this.#finalized = false;
  }

  /** A value fed at run time (`feedDict`); running it unfed fails with `InvalidArgumentError`. */
  placeholder<T>(name = 'Placeholder'): Tensor<T> {
    const unique = this.#reserve(name, 'placeholder');
    return this.#add(unique, 'Placeholder', [], () => {
      // The session rejects unfed placeholders before running anything; this is a safety net.
      throw new RuntimeError(`Placeholder '${unique}' was evaluated without a feed.`);
    });
  }

  /** A fixed value. */
  constant<T>(value: T, name = 'Const'): Tensor<T> {
    return this.#add(this.#reserve(name, 'constant'), 'Const', [], () => value);
  }

  /**
   * A variable with an initial value, or an initializer function called at each initialization.
   * Global and trainable unless the options say otherwise.
   */
  variable<T>(initial: T | (() => T), options: VariableOptions = {}): Variable<T> {
    const opts = checkOptions('Graph.variable', options, ['name', 'trainable', 'local', 'collections']);
    const local = optional('Graph.variable', 'local', opts.local, is.boolean) ?? false;
    const trainable = optional('Graph.variable', 'trainable', opts.trainable, is.boolean) ?? !local;
    const listed = optional('Graph.variable', 'collections', opts.collections, stringArray);
    if (!isCloneable(initial))
      misuse('Graph.variable', 'initial', 'a cloneable value or an initializer function', initial);
    const name = this.#reserve((opts.name as string | undefined) ?? 'Variable', 'variable');
    const variable = new Variable<T>(this, nextNodeId++, name, initial, { trainable, local }, (v) =>
      this.#add(this.#reserve(`${name}/Assign`, 'variable'), 'Assign', [], (_args, ctx) => {
        return assignVariable(ctx.store, name, v.initialValue());
      }),
    );
    this.#nodes.set(name, variable);
    const collections = listed ?? [
      local ? GraphKeys.LOCAL_VARIABLES : GraphKeys.GLOBAL_VARIABLES,
      ...(trainable ? [GraphKeys.TRAINABLE_VARIABLES] : []),
    ];
    for (const key of collections) this.addToCollection(key, variable);
    return variable;
  }

  /**
   * An op computing `fn(...inputValues)`; `fn` may be async. Independent async ops of one run
   * execute concurrently.
   */
  op<const I extends readonly Tensor<any>[], R>(
    name: string,
    inputs: I,
    fn: (...args: ValuesOf<I>) => R,
  ): Tensor<Awaited<R>> {
    expect('Graph.op', 'fn', fn, is.function);
    checkInputs(this, 'op', inputs);
    const call = fn as (...args: unknown[]) => unknown;
    return this.#add(this.#reserve(name, 'op'), 'PyFunc', inputs, (args) => call(...args)) as Tensor<Awaited<R>>;
  }

  /** Sets `variable` to `value` (a tensor or a plain value); its value is the new value. */
  assign<T>(variable: Variable<T>, value: TensorLike<T>, name = 'Assign'): Tensor<T> {
    checkVariable(this, 'assign', variable);
    inspectable('Graph.assign', 'value', value);
    const unique = this.#reserve(name, 'assign');
    if (value instanceof Tensor) {
      checkInputs(this, 'assign', [value]);
      return this.#add(unique, 'Assign', [value], (args, ctx) =>
        assignVariable(ctx.store, variable.name, args[0] as T),
      );
    }
    return this.#add(unique, 'Assign', [], (_args, ctx) => assignVariable(ctx.store, variable.name, value));
  }

  /** Adds `delta` to a numeric (number or bigint) variable, atomically (also across processes on a shared store). */
  assignAdd<T extends number | bigint>(variable: Variable<T>, delta: TensorLike<T>, name = 'AssignAdd'): Tensor<T> {
    checkVariable(this, 'assignAdd', variable);
    inspectable('Graph.assignAdd', 'delta', delta);
    const inputs = delta instanceof Tensor ? [delta] : [];
    checkInputs(this, 'assignAdd', inputs);
    if (!(delta instanceof Tensor) && typeof delta !== 'number' && typeof delta !== 'bigint') {
      misuse('Graph.assignAdd', 'delta', 'a Tensor, a number or a bigint', delta, 'type');
    }
    const fixed = delta instanceof Tensor ? undefined : delta;
    return this.#add(this.#reserve(name, 'assignAdd'), 'AssignAdd', inputs, (args, ctx) => {
      const d = (inputs.length > 0 ? args[0] : fixed) as T;
      // A store with an atomic add (every built-in one) makes concurrent increments exact.
      if (ctx.store.assignAdd !== undefined) return ctx.store.assignAdd(variable.name, d);
      return andThen(ctx.store.readVariable(variable.name), (current) => {
        const next = ((current as number) + (d as number)) as T;
        return andThen(ctx.store.writeVariable(variable.name, next), () => next);
      });
    });
  }

  /** An op that runs all of `tensors` and has no value (`undefined`). */
  group(tensors: readonly Tensor[], name = 'group_deps'): Tensor<undefined> {
    checkInputs(this, 'group', tensors);
    return this.#add(this.#reserve(name, 'group'), 'NoOp', [...tensors], () => undefined);
  }

  /** An op that does nothing. */
  noOp(name = 'NoOp'): Tensor<undefined> {
    return this.#add(this.#reserve(name, 'noOp'), 'NoOp', [], () => undefined);
  }

  /** A first-in first-out queue with a capacity; its operations are graph nodes. */
  fifoQueue<T>(options: FIFOQueueOptions): FIFOQueue<T> {
    const opts = checkOptions('Graph.fifoQueue', options, ['capacity', 'name'], { required: true });
    const capacity = expect('Graph.fifoQueue', 'capacity', opts.capacity, capacityRule);
    const name = this.#reserve((opts.name as string | undefined) ?? 'fifo_queue', 'fifoQueue');
    const queue = new FIFOQueue<T>(this, name, capacity);
    this.#add(name, 'FIFOQueueV2', [], () => name);
    return queue;
  }

  /** Adds `item` to the collection `key` (a `GraphKeys` value or any string). */
  addToCollection(key: string, item: unknown): void {
    this.#checkNotFinalized();
    expect('Graph.addToCollection', 'key', key, is.string);
    let items = this.#collections.get(key);
    if (items === undefined) this.#collections.set(key, (items = []));
    items.push(item);
  }

  /** A copy of the collection `key` (empty when there is none). */
  getCollection<T = unknown>(key: string): T[] {
    expect('Graph.getCollection', 'key', key, is.string);
    return [...((this.#collections.get(key) ?? []) as T[])];
  }

  /** Removes every item of the collection `key`. */
  clearCollection(key: string): void {
    this.#checkNotFinalized();
    expect('Graph.clearCollection', 'key', key, is.string);
    this.#collections.delete(key);
  }

  /** Names of the non-empty collections. */
  getAllCollectionKeys(): string[] {
    return [...this.#collections.keys()].filter((k) => (this.#collections.get(k)?.length ?? 0) > 0);
  }

  globalVariables(): Variable[] {
    return this.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES);
  }

  localVariables(): Variable[] {
    return this.getCollection<Variable>(GraphKeys.LOCAL_VARIABLES);
  }

  trainableVariables(): Variable[] {
    return this.getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES);
  }

  /** An op running the initializers of `variables` (a no-op when there are none). */
  variablesInitializer(variables: readonly Variable[], name = 'init'): Tensor<undefined> {
    expect('Graph.variablesInitializer', 'variables', variables, variableArray);
    for (const v of variables) checkVariable(this, 'variablesInitializer', v);
    return this.group(
      variables.map((v) => v.initializer),
      name,
    );
  }

  globalVariablesInitializer(): Tensor<undefined> {
    return this.variablesInitializer(this.globalVariables(), 'init');
  }

  localVariablesInitializer(): Tensor<undefined> {
    return this.variablesInitializer(this.localVariables(), 'init');
  }

  /**
   * A tensor whose value is the names of the uninitialized variables among `variables`
   * (by default every global and local variable at the time of the call).
   */
  reportUninitializedVariables(
    variables?: readonly Variable[],
    name = 'report_uninitialized_variables',
  ): Tensor<string[]> {
    optional('Graph.reportUninitializedVariables', 'variables', variables, variableArray);
    const vars = variables ?? [...this.globalVariables(), ...this.localVariables()];
    for (const v of vars) checkVariable(this, 'reportUninitializedVariables', v);
    return this.#add(this.#reserve(name, 'reportUninitializedVariables'), 'ReportUninitialized', [], (_args, ctx) => {
      const states = vars.map((v) => ctx.store.isInitialized(v.name));
      const names = (flags: readonly boolean[]): string[] => vars.filter((_, i) => !flags[i]).map((v) => v.name);
      return states.some(isThenable)
        ? Promise.all(states.map((s) => Promise.resolve(s))).then(names)
        : names(states as boolean[]);
    });
  }

  /** The node named `name` (`'x'` or `'x:0'`); throws `ValueError` when there is none. */
  getTensorByName<T = unknown>(name: string): Tensor<T> {
    expect('Graph.getTensorByName', 'name', name, is.string);
    const node = this.tryGetTensorByName<T>(name);
    if (node === undefined) {
      const message = `Graph.getTensorByName: the name ${describeValue(name)} refers to a tensor which does not exist`;
      throw new UsageValueError(message, { api: 'Graph.getTensorByName', option: 'name', received: name });
    }
    return node;
  }

  /** The node named `name` (`'x'` or `'x:0'`), or `undefined`. */
  tryGetTensorByName<T = unknown>(name: string): Tensor<T> | undefined {
    if (typeof name !== 'string') return undefined;
    const bare = name.endsWith(':0') ? name.slice(0, -2) : name;
    return this.#nodes.get(bare) as Tensor<T> | undefined;
  }

  /** Every node, in creation order. */
  nodes(): Tensor[] {
    return [...this.#nodes.values()];
  }

  /** A name not yet used in this graph: `name`, else `name_1`, `name_2`, ... (TensorFlow's rule). */
  uniqueName(name: string): string {
    expect('Graph.uniqueName', 'name', name, is.string);
    if (!this.#namesInUse.has(name)) return name;
    for (let i = 1; ; i++) {
      const candidate = `${name}_${i}`;
      if (!this.#namesInUse.has(candidate)) return candidate;
    }
  }

  /** @internal Adds a node built elsewhere (queues, summaries); `name` is made unique. */
  addNode<T>(name: string, type: string, inputs: readonly Tensor[], compute: Compute, api = 'addNode'): Tensor<T> {
    checkInputs(this, api, inputs);
    return this.#add(this.#reserve(name, api), type, inputs, compute);
  }

  #reserve(name: string, api: string): string {
    this.#checkNotFinalized();
    checkName(api.includes('.') ? api : `Graph.${api}`, name);
    const unique = this.uniqueName(name);
    this.#namesInUse.add(unique);
    return unique;
  }

  #add<T>(name: string, type: string, inputs: readonly Tensor[], compute: Compute): Tensor<T> {
    const node = new Tensor<T>(this, nextNodeId++, name, type, inputs, compute);
    this.#nodes.set(name, node);
    return node;
  }

  #checkNotFinalized(): void {
    if (this.#finalized) throw new RuntimeError(FINALIZED_MESSAGE);
  }
}
