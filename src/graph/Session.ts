import { checkClock, systemClock, type Clock } from '../clock.ts';
import { CancelledError, DeadlineExceededError, OpError, RuntimeError, UnavailableError } from '../errors.ts';
import { checkOptions, expect, instanceOf, is, isForever, optional } from '../internal/validate.ts';
import { execute, type Finish, type Plan } from './executor.ts';
import { PlanCache } from './PlanCache.ts';
import {
  FetchShape,
  buildResult,
  collectFetches,
  inputError,
  readingInput,
  resolveFeeds,
  type FeedDict,
  type Fetch,
  type FetchResult,
} from './fetches.ts';
import { Graph } from './Graph.ts';
import type { ResourceStore } from './ResourceStore.ts';
import {
  CPU_DEVICE,
  checkRunMetadata,
  checkRunOptions,
  type NodeExecStats,
  type RunMetadata,
  type RunOptions,
} from './RunOptions.ts';
import { RunScope } from './RunScope.ts';
import { resolveTarget } from './Server.ts';
import type { Tensor } from './Tensor.ts';

/** Session configuration (the parts of TensorFlow's `ConfigProto` that apply here). */
export interface SessionConfig {
  /** Default `timeoutInMs` of every run. 0, unset, `Infinity` or 2^31 ms and above: no limit. */
  operationTimeoutInMs?: number;
  /** Clock for run timeouts. @default systemClock */
  clock?: Clock;
}

/** Options of the {@link Session} constructor. */
export interface SessionOptions {
  /** A server's target (`Server.createLocalServer().target`) to share state with; unset: private state. */
  target?: string;
  config?: SessionConfig;
}

/**
 * The key of {@link Session}'s run that answers synchronously when no op is asynchronous (the
 * hooked layer's per-step path): the result itself, or a promise of it; errors are thrown. Not
 * exported from the package.
 * @internal
 */
export const RUN_NOW: unique symbol = Symbol('Session.runNow');

/**
 * Runs parts of a {@link Graph}, holding variable values and queue contents (or sharing them
 * through a server's `target`).
 * @example
 * const sess = new Session(g);
 * await sess.run(g.globalVariablesInitializer());
 * const [loss, _] = await sess.run([lossTensor, train], { x: 2 });
 */
export class Session {
  readonly graph: Graph;
  /** The target this session is attached to (`''` for private state). */
  readonly target: string;
  readonly #store: ResourceStore;
  readonly #clock: Clock;
  readonly #defaultTimeout: number;
  readonly #plans = new PlanCache();
  readonly #active = new Set<RunScope>();
  #closed = false;

  constructor(graph: Graph, options: SessionOptions = {}) {
    this.graph = expect('Session', 'graph', graph, graphRule);
    const opts = checkOptions('Session', options, ['target', 'config']);
    this.target = optional('Session', 'target', opts.target, is.string) ?? '';
    const config = checkOptions('Session', opts.config, ['operationTimeoutInMs', 'clock'], { name: 'config' });
    this.#defaultTimeout =
      optional('Session', 'config.operationTimeoutInMs', config.operationTimeoutInMs, is.duration) ?? 0;
    this.#clock = checkClock('Session', 'config.clock', config.clock) ?? systemClock;
    this.#store = resolveTarget(this.target);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal The state this session reads and writes. */
  get store(): ResourceStore {
    return this.#store;
  }

  /**
   * Evaluates `fetches` (each needed node once), with `feedDict` overriding any tensors' values.
   * The result has the shape of `fetches`. `runMetadata` is filled in place when `options` ask
   * for tracing (`traceLevel`) or partition graphs.
   */
  run<const F extends Fetch>(
    fetches: F,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<FetchResult<F>> {
    // Not an async function: an asynchronous run continues in one reaction on the executor's
    // promise (no await, no async frame), and a synchronous one settles at once. Any error,
    // thrown here or by the run, is the returned promise's rejection.
    try {
      const done = this.#run(fetches, feedDict, options, runMetadata);
      return done instanceof Promise ? done : Promise.resolve(done);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @internal {@link run} without the promise when every op answered synchronously: the result,
   * or a promise of it; an error of a synchronous run is thrown. For the hooked layer, which adds
   * its own promise only when something is asynchronous.
   */
  [RUN_NOW]<const F extends Fetch>(
    fetches: F,
    feedDict: FeedDict | null | undefined,
    options: RunOptions | null | undefined,
    runMetadata: RunMetadata | null | undefined,
  ): FetchResult<F> | Promise<FetchResult<F>> {
    return this.#run(fetches, feedDict, options, runMetadata);
  }

  #run<const F extends Fetch>(
    fetches: F,
    feedDict: FeedDict | null | undefined,
    options: RunOptions | null | undefined,
    runMetadata: RunMetadata | null | undefined,
  ): FetchResult<F> | Promise<FetchResult<F>> {
    if (this.#closed) throw new RuntimeError('Attempted to use a closed Session.');
    const closedWith = this.#store.closedWith;
    if (closedWith)
      throw closedWith instanceof OpError
        ? closedWith
        : new UnavailableError(closedWith.message, { cause: closedWith });

    checkRunOptions('Session.run', options);
    checkRunMetadata('Session.run', runMetadata);
    const flat: Tensor[] = [];
    let shape: FetchShape;
    try {
      shape = collectFetches(this.graph, fetches, flat);
    } catch (error) {
      throw inputError('fetches', fetches, error);
    }
    let fed: readonly Tensor[] = NO_TENSORS;
    let feedValues: readonly unknown[] = NO_TENSORS;
    if (feedDict !== undefined && feedDict !== null) {
      ({ tensors: fed, values: feedValues } = resolveFeeds(this.graph, feedDict));
    }
    const plan = this.#plans.get(flat, fed);

    const timeoutInMs = options?.timeoutInMs ?? this.#defaultTimeout;
    const tracing = (options?.traceLevel ?? 0) > 0;
    const trace: NodeExecStats[] | undefined = tracing ? [] : undefined;
    const scope = new RunScope();
    const timed = timeoutInMs > 0 && !isForever(timeoutInMs);
    // No timeout (the common case): the run's own promise settles with the result (no reaction after it).
    const end = timed ? undefined : new RunEnd(this.#active, scope, plan, shape, fetches, options, runMetadata, trace);
    const values = execute(plan, feedValues, { store: this.#store, scope }, trace, end);
    if (!(values instanceof Promise)) return result<F>(values, plan, shape, fetches, options, runMetadata, trace);
    if (end === undefined) {
      return this.#settleWithin(values as Promise<unknown[]>, scope, timeoutInMs).then((settled) =>
        result<F>(settled, plan, shape, fetches, options, runMetadata, trace),
      );
    }
    this.#active.add(scope);
    return values as Promise<FetchResult<F>>;
  }

  /**
   * Closes the session: later runs fail, and this session's pending queue operations are
   * cancelled with `CancelledError`. Closing twice is a no-op.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#active.size > 0) {
      const error = new CancelledError('Session was closed while the operation was pending.');
      for (const scope of this.#active) scope.cancel(error);
      this.#active.clear();
    }
    this.#plans.clear();
    this.#store.release?.();
  }

  async #settleWithin(values: Promise<unknown[]>, scope: RunScope, timeoutInMs: number): Promise<unknown[]> {
    this.#active.add(scope);
    let timer: unknown;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimeout(() => {
          const error = new DeadlineExceededError(
            `Session.run: the run did not finish within timeoutInMs=${timeoutInMs}`,
          );
          scope.cancel(error);
          reject(error);
        }, timeoutInMs);
      });
      return await Promise.race([values, timeout]);
    } catch (error) {
      values.catch(() => {});
      throw failedRun(scope, error);
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      this.#active.delete(scope);
    }
  }
}

const NO_TENSORS: readonly never[] = Object.freeze([]);

/** Cancels what is left of a failed run (blocked queue operations) so it cannot take elements later. */
function failedRun(scope: RunScope, error: unknown): unknown {
  scope.cancel(
    new CancelledError('Run was cancelled because another operation of the same run failed.', { cause: error }),
  );
  return error;
}

/** How an asynchronous run without a timeout ends: its result made in the run's own callback. */
class RunEnd implements Finish {
  constructor(
    readonly active: Set<RunScope>,
    readonly scope: RunScope,
    readonly plan: Plan,
    readonly shape: FetchShape,
    readonly fetches: Fetch,
    readonly options: RunOptions | null | undefined,
    readonly runMetadata: RunMetadata | null | undefined,
    readonly trace: NodeExecStats[] | undefined,
  ) {}

  done(values: unknown[]): unknown {
    this.active.delete(this.scope);
    return result(values, this.plan, this.shape, this.fetches, this.options, this.runMetadata, this.trace);
  }

  failed(error: unknown): unknown {
    this.active.delete(this.scope);
    return failedRun(this.scope, error);
  }
}

/** A run's result in the shape of its fetches, and its metadata filled in. */
function result<const F extends Fetch>(
  values: readonly unknown[],
  plan: Plan,
  shape: FetchShape,
  fetches: F,
  options: RunOptions | null | undefined,
  runMetadata: RunMetadata | null | undefined,
  trace: NodeExecStats[] | undefined,
): FetchResult<F> {
  if (runMetadata) {
    if (trace) runMetadata.stepStats = trace;
    if (options?.outputPartitionGraphs)
      runMetadata.partitionGraphs = [{ device: CPU_DEVICE, nodes: plan.nodes.map((n) => n.name) }];
  }
  const slots = plan.fetchSlots;
  if (shape === FetchShape.SINGLE) return values[slots[0]!] as FetchResult<F>;
  const fetched = new Array<unknown>(slots.length);
  for (let i = 0; i < slots.length; i++) fetched[i] = values[slots[i]!];
  // A flat array of tensors (the common case) is already its own result.
  if (shape === FetchShape.FLAT_ARRAY) return fetched as FetchResult<F>;
  return readingInput('fetches', fetches, () => buildResult(fetches, fetched, { i: 0 })) as FetchResult<F>;
}

const graphRule = instanceOf(Graph);
