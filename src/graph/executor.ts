import {
  InvalidArgumentError,
  OpError,
  RuntimeError,
  StopIteration,
  UnknownError,
  UsageError,
  ValueError,
  attachOp,
  describeValue,
} from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import { CPU_DEVICE, type NodeExecStats } from './RunOptions.ts';
import type { ExecContext, Tensor } from './Tensor.ts';

/**
 * An execution plan for one (fetches, feeds) shape: the nodes to evaluate in dependency order,
 * each exactly once, with the value slots of their inputs. Plans are cached per shape, so a
 * steady training loop builds its plan once.
 * @internal
 */
export interface Plan {
  /** Nodes to evaluate, inputs before users. Fed nodes are not in it. */
  readonly nodes: readonly Tensor[];
  /** Slot of every input of every node (slots 0..feeds-1 hold the fed values). */
  readonly inputSlots: readonly (readonly number[])[];
  /** Slot of every fetched tensor, in flattened fetch order. */
  readonly fetchSlots: readonly number[];
  readonly slotCount: number;
  readonly feedCount: number;
  /** Per slot: the nodes that take it as an input (once per use), released when it is ready. */
  readonly users: readonly (readonly number[])[];
}

/** Builds the plan for `fetches` given the fed tensors (in feed order). */
export function buildPlan(fetches: readonly Tensor[], fed: readonly Tensor[]): Plan {
  const slotOf = new Map<Tensor, number>();
  fed.forEach((t, i) => slotOf.set(t, i));
  const nodes: Tensor[] = [];
  const inputSlots: number[][] = [];
  const visiting = new Set<Tensor>();
  // Iterative post-order DFS: deep graphs must not overflow the stack.
  for (const root of fetches) {
    if (slotOf.has(root)) continue;
    const stack: { node: Tensor; next: number }[] = [{ node: root, next: 0 }];
    visiting.add(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const input = frame.node.inputs[frame.next];
      if (input !== undefined) {
        frame.next++;
        if (!slotOf.has(input) && !visiting.has(input)) {
          visiting.add(input);
          stack.push({ node: input, next: 0 });
        }
        continue;
      }
      stack.pop();
      const node = frame.node;
      if (node.type === 'Placeholder') {
        throw new InvalidArgumentError(`You must feed a value for placeholder tensor '${node.name}'`, {
          op: node.name,
        });
      }
      slotOf.set(node, fed.length + nodes.length);
      nodes.push(node);
      inputSlots.push(node.inputs.map((i) => slotOf.get(i)!));
    }
  }
  const slotCount = fed.length + nodes.length;
  const users = Array.from({ length: slotCount }, (): number[] => []);
  inputSlots.forEach((slots, n) => {
    for (const slot of slots) users[slot]!.push(n);
  });
  return { nodes, inputSlots, fetchSlots: fetches.map((t) => slotOf.get(t)!), slotCount, feedCount: fed.length, users };
}

/**
 * Gives an error thrown by a node its identity, as TensorFlow does for a Python op: an `OpError`
 * keeps its class and gets the node's name as `op`; the package's typed errors (misuse, and the
 * Python-style `RuntimeError`/`ValueError`/`StopIteration`) keep their class and get `op` too;
 * anything else (a raw `TypeError`, a plain `Error`, a non-Error) becomes an `UnknownError` with
 * `op` set and the original as its `cause`.
 */
export function nodeError(node: Tensor, error: unknown): unknown {
  if (error instanceof OpError) return attachOp(error, node.name);
  if (isTyped(error)) return attachOpTo(error, node.name);
  const what =
    error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error value: ${describeValue(error)}`;
  const verb = error instanceof Error ? 'failed with' : 'threw';
  return new UnknownError(`Op '${node.name}' ${verb} ${what}`, { op: node.name, cause: error });
}

function isTyped(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof RuntimeError ||
    error instanceof ValueError ||
    error instanceof StopIteration
  );
}

function attachOpTo(error: Error, op: string): Error {
  if (!Object.prototype.hasOwnProperty.call(error, 'op') && Object.isExtensible(error)) {
    Object.defineProperty(error, 'op', { value: op, enumerable: false, configurable: true, writable: true });
  }
  return error;
}

/** Shared by every input-less node; computes never write to their argument array. */
const NO_ARGS: unknown[] = [];

/**
 * Evaluates a plan. Nodes whose inputs are all ready run synchronously in plan order; a node
 * returning a promise makes its slot pending, and its users wait for it while independent nodes
 * go on, so independent async branches overlap. Returns the slot values, or a promise of them
 * when anything was asynchronous.
 * @internal
 */
export function execute(
  plan: Plan,
  feedValues: readonly unknown[],
  ctx: ExecContext,
  trace: NodeExecStats[] | undefined,
): unknown[] | Promise<unknown[]> {
  const values = new Array<unknown>(plan.slotCount);
  for (let i = 0; i < plan.feedCount; i++) values[i] = feedValues[i];
  let run: AsyncRun | undefined;
  const { nodes, inputSlots } = plan;
  for (let n = 0; n < nodes.length; n++) {
    if (run !== undefined && run.waitFor(n)) continue;
    let result: unknown;
    try {
      result = compute(nodes[n]!, inputSlots[n]!, values, ctx, trace);
    } catch (error) {
      run?.abandon();
      throw nodeError(nodes[n]!, error);
    }
    if (isThenable(result)) (run ??= new AsyncRun(plan, values, ctx, trace)).await(n, result);
    else values[plan.feedCount + n] = result;
  }
  return run === undefined ? afterWork(ctx, values) : run.done;
}

/** Runs `node` on the current values of its input slots. */
function compute(
  node: Tensor,
  slots: readonly number[],
  values: readonly unknown[],
  ctx: ExecContext,
  trace: NodeExecStats[] | undefined,
): unknown {
  const args = slots.length === 0 ? NO_ARGS : new Array<unknown>(slots.length);
  for (let k = 0; k < slots.length; k++) args[k] = values[slots[k]!];
  const start = trace ? performance.now() : 0;
  const result = node.compute(args, ctx);
  return trace ? record(trace, node, start, result) : result;
}

/**
 * The asynchronous part of one run, TensorFlow's way: each waiting node counts its inputs not
 * ready yet and runs as soon as the last one settles, in that settlement's callback. One
 * callback per asynchronous result, no promise per waiting node.
 */
class AsyncRun {
  readonly #plan: Plan;
  readonly #values: unknown[];
  readonly #ctx: ExecContext;
  readonly #trace: NodeExecStats[] | undefined;
  /** 1 for a slot whose value is not there yet. */
  readonly #notReady: Uint8Array;
  /** Per node: how many of its inputs are not ready yet. */
  readonly #waiting: Int32Array;
  /** Nodes started or waiting that have not finished. */
  #outstanding = 0;
  #failed = false;
  #resolve!: (values: unknown[] | Promise<unknown[]>) => void;
  #reject!: (error: unknown) => void;
  /** The run's values, once every node finished. */
  readonly done = new Promise<unknown[]>((resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  });

  constructor(plan: Plan, values: unknown[], ctx: ExecContext, trace: NodeExecStats[] | undefined) {
    this.#plan = plan;
    this.#values = values;
    this.#ctx = ctx;
    this.#trace = trace;
    this.#notReady = new Uint8Array(plan.slotCount);
    this.#waiting = new Int32Array(plan.nodes.length);
  }

  /** First pass: true when node `n` must wait (it then runs once its inputs are ready). */
  waitFor(n: number): boolean {
    const slots = this.#plan.inputSlots[n]!;
    let count = 0;
    for (let k = 0; k < slots.length; k++) count += this.#notReady[slots[k]!]!;
    if (count === 0) return false;
    this.#waiting[n] = count;
    this.#notReady[this.#plan.feedCount + n] = 1;
    this.#outstanding++;
    return true;
  }

  /** Node `n` answered `result`, a promise: its users wait for it. */
  await(n: number, result: PromiseLike<unknown>): void {
    this.#notReady[this.#plan.feedCount + n] = 1;
    this.#outstanding++;
    this.#watch(n, result);
  }

  #watch(n: number, result: PromiseLike<unknown>): void {
    Promise.resolve(result).then(
      (value) => this.#settled(n, value),
      (error: unknown) => this.fail(this.#plan.nodes[n]!, error),
    );
  }

  /** Node `n` has its value: its users whose inputs are now all ready run (depth first, no recursion). */
  #settled(n: number, value: unknown): void {
    const { feedCount, nodes, inputSlots, users } = this.#plan;
    this.#finish(n, value);
    if (this.#failed) return;
    const ready = [n];
    while (ready.length > 0) {
      for (const u of users[feedCount + ready.pop()!]!) {
        if (--this.#waiting[u]! !== 0) continue;
        let result: unknown;
        try {
          result = compute(nodes[u]!, inputSlots[u]!, this.#values, this.#ctx, this.#trace);
        } catch (error) {
          this.fail(nodes[u]!, error);
          return;
        }
        if (isThenable(result)) this.#watch(u, result);
        else {
          this.#finish(u, result);
          ready.push(u);
        }
      }
    }
    if (this.#outstanding === 0) this.#complete();
  }

  /** Every node finished: the run resolves once the work left to finish is done (usually it is). */
  #complete(): void {
    try {
      const done = this.#ctx.scope.workDone();
      if (done === undefined) this.#resolve(this.#values);
      else done.then(() => this.#resolve(this.#values), this.#reject);
    } catch (error) {
      this.#reject(error);
    }
  }

  #finish(n: number, value: unknown): void {
    const slot = this.#plan.feedCount + n;
    this.#values[slot] = value;
    this.#notReady[slot] = 0;
    this.#outstanding--;
  }

  /** The run failed at `node`: it rejects with the first failure; nothing else starts. */
  fail(node: Tensor, error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#reject(nodeError(node, error));
  }

  /** The first pass threw (the caller reports it): nothing else starts, nothing rejects unobserved. */
  abandon(): void {
    this.#failed = true;
  }
}

/** The values once the work the run's ops left to finish (`RunScope.waitFor`) is done. */
function afterWork(ctx: ExecContext, values: unknown[]): unknown[] | Promise<unknown[]> {
  const done = ctx.scope.workDone();
  return done === undefined ? values : done.then(() => values);
}

function record(trace: NodeExecStats[], node: Tensor, start: number, result: unknown): unknown {
  const entry: NodeExecStats = {
    nodeName: node.name,
    opType: node.type,
    startMicros: Math.round((performance.timeOrigin + start) * 1000),
    durationMicros: 0,
    device: CPU_DEVICE,
  };
  trace.push(entry);
  if (!isThenable(result)) {
    entry.durationMicros = Math.round((performance.now() - start) * 1000);
    return result;
  }
  return Promise.resolve(result).finally(() => {
    entry.durationMicros = Math.round((performance.now() - start) * 1000);
  });
}
