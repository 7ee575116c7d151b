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
  return {
    nodes,
    inputSlots,
    fetchSlots: fetches.map((t) => slotOf.get(t)!),
    slotCount: fed.length + nodes.length,
    feedCount: fed.length,
  };
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

const noop = (): void => {};
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
  let pending: Promise<unknown>[] | undefined;
  let asyncSlots: Uint8Array | undefined;
  const { nodes, inputSlots } = plan;
  const base = plan.feedCount;
  try {
    for (let n = 0; n < nodes.length; n++) {
      const node = nodes[n]!;
      const slots = inputSlots[n]!;
      const args = slots.length === 0 ? NO_ARGS : new Array<unknown>(slots.length);
      let waitOn: Promise<unknown>[] | undefined;
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[k]!;
        args[k] = values[slot];
        if (asyncSlots !== undefined && asyncSlots[slot] === 1) (waitOn ??= []).push(values[slot] as Promise<unknown>);
      }
      let result: unknown;
      if (waitOn === undefined) {
        const start = trace ? performance.now() : 0;
        try {
          result = node.compute(args, ctx);
        } catch (error) {
          throw nodeError(node, error);
        }
        if (trace) result = record(trace, node, start, result);
      } else {
        // Inputs still pending: run once they settle (their slots hold values by then).
        result = Promise.all(waitOn).then(() => {
          for (let k = 0; k < slots.length; k++) args[k] = values[slots[k]!];
          const start = trace ? performance.now() : 0;
          const r = node.compute(args, ctx);
          return trace ? record(trace, node, start, r) : r;
        });
      }
      if (isThenable(result)) {
        const slot = base + n;
        const flags = (asyncSlots ??= new Uint8Array(plan.slotCount));
        const settled = Promise.resolve(result).then(
          (value) => {
            values[slot] = value;
            flags[slot] = 0;
            return value;
          },
          (error: unknown) => {
            throw nodeError(node, error);
          },
        );
        values[slot] = settled;
        flags[slot] = 1;
        (pending ??= []).push(settled);
      } else {
        values[base + n] = result;
      }
    }
  } catch (error) {
    // Nothing in flight may reject unobserved once this run has failed.
    if (pending) for (const p of pending) p.then(noop, noop);
    throw error;
  }
  if (pending === undefined) return afterWork(ctx, values);
  return Promise.all(pending).then(() => afterWork(ctx, values));
}

/** The values once the work the run's ops left to finish (`RunScope.waitFor`) is done. */
function afterWork(ctx: ExecContext, values: unknown[]): unknown[] | Promise<unknown[]> {
  const work = ctx.scope.takeWork();
  if (work === undefined) return values;
  return Promise.all(work).then(() => afterWork(ctx, values));
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
