import { Pending, type Listener } from '../internal/pending.ts';
import { isThenable } from '../internal/promise.ts';
import { nodeError } from './nodeError.ts';
import type { Plan } from './executor.ts';
import { CPU_DEVICE, type NodeExecStats } from './RunOptions.ts';
import type { ExecContext, Tensor } from './Tensor.ts';

/**
 * What an asynchronous run's promise settles with, made from its values or its error in the
 * run's own callback (`Session.run` shapes its result there: no promise reaction after the run).
 * @internal
 */
export interface Finish {
  /** The run's result from its values; may throw (the run then rejects with that error). */
  done(values: unknown[]): unknown;
  /** The error the run rejects with, for the first failure of a node (already given its identity). */
  failed(error: unknown): unknown;
}

/** Shared by every input-less node; computes never write to their argument array. */
const NO_ARGS: unknown[] = [];

/** Runs `node` on the current values of its input slots. @internal */
export function compute(
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
 * callback per asynchronous result, no promise per waiting node; a store's {@link Pending}
 * result calls the run back directly (the run listens with the node's index as key).
 * @internal
 */
export class AsyncRun implements Listener<number> {
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
  readonly #end: Finish | undefined;
  #resolve!: (result: unknown) => void;
  #reject!: (error: unknown) => void;
  /** The run's values (or what `finish` makes of them), once every node finished. */
  readonly done = new Promise<unknown>((resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  });

  constructor(
    plan: Plan,
    values: unknown[],
    ctx: ExecContext,
    trace: NodeExecStats[] | undefined,
    finish: Finish | undefined,
  ) {
    this.#plan = plan;
    this.#values = values;
    this.#ctx = ctx;
    this.#trace = trace;
    this.#end = finish;
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
    if (result instanceof Pending) {
      result.listen(this, n);
      return;
    }
    Promise.resolve(result).then(
      (value) => this.settled(n, value),
      (error: unknown) => this.failed(n, error),
    );
  }

  /** Node `n` failed with `error`. */
  failed(n: number, error: unknown): void {
    this.fail(this.#plan.nodes[n]!, error);
  }

  /** Node `n` has its value: its users whose inputs are now all ready run (depth first, no recursion). */
  settled(n: number, value: unknown): void {
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
      if (done === undefined) this.#succeed();
      else
        done.then(
          () => this.#succeed(),
          (error: unknown) => this.#rejectWith(error),
        );
    } catch (error) {
      this.#rejectWith(error);
    }
  }

  #succeed(): void {
    if (this.#end === undefined) return this.#resolve(this.#values);
    let result: unknown;
    try {
      result = this.#end.done(this.#values);
    } catch (error) {
      return this.#reject(error);
    }
    this.#resolve(result);
  }

  #rejectWith(error: unknown): void {
    this.#reject(this.#end === undefined ? error : this.#end.failed(error));
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
    this.#rejectWith(nodeError(node, error));
  }

  /** The first pass threw (the caller reports it): nothing else starts, nothing rejects unobserved. */
  abandon(): void {
    this.#failed = true;
  }
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
