import { InvalidArgumentError } from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import { AsyncRun, compute, type Finish } from './asyncRun.ts';
import { nodeError } from './nodeError.ts';
import type { NodeExecStats } from './RunOptions.ts';
import type { ExecContext, Tensor } from './Tensor.ts';

export type { Finish } from './asyncRun.ts';

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
 * Evaluates a plan. Nodes whose inputs are all ready run synchronously in plan order; a node
 * returning a promise makes its slot pending, and its users wait for it while independent nodes
 * go on, so independent async branches overlap. Returns the slot values, or a promise of them
 * when anything was asynchronous (of what `finish` makes of them, when given).
 * @internal
 */
export function execute(
  plan: Plan,
  feedValues: readonly unknown[],
  ctx: ExecContext,
  trace: NodeExecStats[] | undefined,
  finish?: Finish,
): unknown[] | Promise<unknown> {
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
    if (isThenable(result)) (run ??= new AsyncRun(plan, values, ctx, trace, finish)).await(n, result);
    else values[plan.feedCount + n] = result;
  }
  return run === undefined ? afterWork(ctx, values, finish) : run.done;
}

/** The values once the work the run's ops left to finish (`RunScope.waitFor`) is done (`finish`ed if given). */
function afterWork(ctx: ExecContext, values: unknown[], finish: Finish | undefined): unknown[] | Promise<unknown> {
  const done = ctx.scope.workDone();
  if (done === undefined) return values;
  if (finish === undefined) return done.then(() => values);
  return done.then(
    () => finish.done(values),
    (error: unknown) => {
      throw finish.failed(error);
    },
  );
}
