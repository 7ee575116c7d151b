import { RuntimeError, describeValue } from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import { resolveFeeds, type FeedDict, type Fetch } from '../graph/fetches.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import { RUN_NOW, Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import { SessionRunArgs, SessionRunContext, SessionRunValues, SessionRunHook, type Hook } from './SessionRunHook.ts';

const hookErrors = new WeakSet<object>();

/** True for an error a hook's `beforeRun` or `afterRun` threw (the recovery policy sees source `hook`). */
export function isHookError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && hookErrors.has(error);
}

function markHookError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) hookErrors.add(error);
  return error;
}

/** True when `hook` really implements `method` (not the base class's no-op). */
export function implementsMethod(hook: Hook, method: keyof Hook): boolean {
  const fn = (hook as Record<string, unknown>)[method];
  if (typeof fn !== 'function') return false;
  return (
    !(hook instanceof SessionRunHook) || fn !== (SessionRunHook.prototype as unknown as Record<string, unknown>)[method]
  );
}

/**
 * Merges hook options into `target` in place (TensorFlow's `_merge_run_options`): maxima for
 * trace level, timeout and thread pool; OR for flags; debug watches appended.
 */
export function mergeRunOptions(target: RunOptions, extra: RunOptions): void {
  if (extra.traceLevel !== undefined)
    target.traceLevel = Math.max(target.traceLevel ?? 0, extra.traceLevel) as RunOptions['traceLevel'] & number;
  if (extra.timeoutInMs !== undefined) target.timeoutInMs = Math.max(target.timeoutInMs ?? 0, extra.timeoutInMs);
  if (extra.interOpThreadPool !== undefined)
    target.interOpThreadPool = Math.max(target.interOpThreadPool ?? 0, extra.interOpThreadPool);
  if (extra.outputPartitionGraphs !== undefined)
    target.outputPartitionGraphs = Boolean(target.outputPartitionGraphs) || extra.outputPartitionGraphs;
  if (extra.reportTensorAllocationsUponOom !== undefined) {
    target.reportTensorAllocationsUponOom =
      Boolean(target.reportTensorAllocationsUponOom) || extra.reportTensorAllocationsUponOom;
  }
  if (extra.debugTensorWatchOpts !== undefined && extra.debugTensorWatchOpts.length > 0) {
    target.debugTensorWatchOpts = [...(target.debugTensorWatchOpts ?? []), ...extra.debugTensorWatchOpts];
  }
  if (extra.debugOptions?.resetDiskByteUsage !== undefined) {
    target.debugOptions = {
      ...target.debugOptions,
      resetDiskByteUsage: Boolean(target.debugOptions?.resetDiskByteUsage) || extra.debugOptions.resetDiskByteUsage,
    };
  }
}

type HookPlan = {
  readonly before: readonly { hook: Hook; index: number }[];
  readonly after: readonly { hook: Hook; index: number }[];
};
const plans = new WeakMap<readonly Hook[], HookPlan>();

/** Which hooks take part in runs; computed once per hook list, not once per created session. */
function planFor(hooks: readonly Hook[]): HookPlan {
  let plan = plans.get(hooks);
  if (plan === undefined) {
    plan = {
      before: hooks.flatMap((hook, index) => (implementsMethod(hook, 'beforeRun') ? [{ hook, index }] : [])),
      after: hooks.flatMap((hook, index) => (implementsMethod(hook, 'afterRun') ? [{ hook, index }] : [])),
    };
    plans.set(hooks, plan);
  }
  return plan;
}

/** One hooked run's state between its steps (`beforeRun`s, the raw run, `afterRun`s). */
interface HookedRun {
  readonly context: SessionRunContext;
  readonly fetches: Fetch;
  readonly feedDict: FeedDict | null | undefined;
  readonly options: RunOptions;
  readonly metadata: RunMetadata;
  hookFetches: Fetch[] | undefined;
  hookFeeds: Map<Tensor, unknown> | undefined;
}

function conflictNames(keys: Iterable<Tensor>): string {
  return `[${[...keys].map((t) => `'${t.name}'`).join(', ')}]`;
}

/**
 * The hooked layer (TensorFlow's `_HookedSession`): one run = every hook's `beforeRun`, one raw
 * run with the caller's and the hooks' fetches, feeds and options merged, every hook's
 * `afterRun`. Hooks that do not implement `beforeRun`/`afterRun` cost nothing.
 */
export class HookedSession {
  readonly raw: Session;
  readonly #before: readonly { hook: Hook; index: number }[];
  readonly #after: readonly { hook: Hook; index: number }[];
  readonly #hookCount: number;
  /** `raw` is a plain `Session` (not a wrapper such as the fault kit's), so its synchronous run can be used. */
  readonly #direct: boolean;
  #stopRequested = false;

  constructor(raw: Session, hooks: readonly Hook[]) {
    this.raw = raw;
    this.#direct = raw.run === Session.prototype.run;
    this.#hookCount = hooks.length;
    const plan = planFor(hooks);
    this.#before = plan.before;
    this.#after = plan.after;
  }

  /** True once a hook requested a stop (in `beforeRun` or `afterRun` of a completed run). */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** {@link runNow} as a promise. */
  async run(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<unknown> {
    return this.runNow(fetches, feedDict, options, runMetadata);
  }

  /**
   * One run, synchronously for as long as every hook and op answers synchronously (a training
   * step on the in-memory store, with the standard hooks, makes no promise here): the caller's
   * result, or a promise of it from the first asynchronous answer on. An error before that is
   * thrown, one after it rejects the promise.
   */
  runNow(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): unknown {
    if (this.#stopRequested) throw new RuntimeError('Run called even after should_stop requested.');
    if (this.#before.length === 0 && this.#after.length === 0)
      return this.#rawRun(fetches, feedDict, options, runMetadata);
    const run: HookedRun = {
      context: new SessionRunContext(new SessionRunArgs(fetches, feedDict), this.raw),
      fetches,
      feedDict,
      options: options ?? {},
      metadata: runMetadata ?? {},
      hookFetches: undefined,
      hookFeeds: undefined,
    };
    const asked = this.#beforeFrom(run, 0);
    return asked === undefined ? this.#execute(run) : asked.then(() => this.#execute(run));
  }

  /** The raw session's run; without a promise when the session is a plain `Session` and the run synchronous. */
  #rawRun(
    fetches: Fetch,
    feeds: FeedDict | null | undefined,
    options: RunOptions | null | undefined,
    metadata: RunMetadata | null | undefined,
  ): unknown {
    return this.#direct
      ? this.raw[RUN_NOW](fetches, feeds, options, metadata)
      : this.raw.run(fetches, feeds, options, metadata);
  }

  /** Every hook's `beforeRun` from the `k`-th on; a promise once one of them answers with one. */
  #beforeFrom(run: HookedRun, k: number): Promise<void> | undefined {
    for (; k < this.#before.length; k++) {
      const { hook, index } = this.#before[k]!;
      let request;
      try {
        request = hook.beforeRun!(run.context);
      } catch (error) {
        throw markHookError(error);
      }
      if (isThenable(request)) {
        const next = k + 1;
        return Promise.resolve(request).then(
          (answer) => {
            this.#take(run, index, answer);
            return this.#beforeFrom(run, next);
          },
          (error: unknown) => {
            throw markHookError(error);
          },
        );
      }
      this.#take(run, index, request);
    }
    return undefined;
  }

  /** Adds what hook `index` asked for (its `SessionRunArgs`) to the run. */
  #take(run: HookedRun, index: number, request: unknown): void {
    if (request === undefined || request === null) return;
    if (!(request instanceof SessionRunArgs)) {
      throw new TypeError(
        `SessionRunHook.beforeRun: expected a SessionRunArgs or undefined, got ${describeValue(request)} from hook ${index}`,
      );
    }
    if (request.fetches !== undefined && request.fetches !== null) {
      (run.hookFetches ??= new Array<Fetch>(this.#hookCount + 1))[index] = request.fetches;
    }
    if (request.feedDict !== undefined) {
      const { tensors, values } = resolveFeeds(this.raw.graph, request.feedDict);
      if (tensors.length > 0) {
        const hookFeeds = (run.hookFeeds ??= new Map());
        const conflicts = tensors.filter((t) => hookFeeds.has(t));
        if (conflicts.length > 0)
          throw new RuntimeError(`Same tensor is fed by two hooks. Conflict(s): ${conflictNames(conflicts)}`);
        tensors.forEach((t, i) => hookFeeds.set(t, values[i]));
      }
    }
    if (request.options !== undefined) mergeRunOptions(run.options, request.options);
  }

  /** The caller's feeds with the hooks' feeds merged in (a tensor fed by both is an error). */
  #feeds(run: HookedRun): FeedDict | null | undefined {
    const { feedDict, hookFeeds } = run;
    if (hookFeeds === undefined) return feedDict;
    const user = feedDict === undefined || feedDict === null ? undefined : resolveFeeds(this.raw.graph, feedDict);
    if (user === undefined || user.tensors.length === 0) return hookFeeds;
    const conflicts = user.tensors.filter((t) => hookFeeds.has(t));
    if (conflicts.length > 0) {
      throw new RuntimeError(
        `Same tensor is fed by a SessionRunHook and user. Conflict(s): ${conflictNames(conflicts)}`,
      );
    }
    const merged = new Map(hookFeeds);
    user.tensors.forEach((t, i) => merged.set(t, user.values[i]));
    return merged;
  }

  /** The raw run with the hooks' fetches and feeds, then the `afterRun`s. */
  #execute(run: HookedRun): unknown {
    const feeds = this.#feeds(run);
    // Hooks' fetches come first, so a variable a hook reads (the global step, typically) is read
    // before the caller's ops change it: hooks see the value before this run, as in TensorFlow.
    if (run.hookFetches !== undefined) run.hookFetches[this.#hookCount] = run.fetches;
    const fetched = this.#rawRun(run.hookFetches ?? run.fetches, feeds, run.options, run.metadata);
    if (isThenable(fetched)) return Promise.resolve(fetched).then((values) => this.#afterFrom(run, values, 0));
    return this.#afterFrom(run, fetched, 0);
  }

  /** Every hook's `afterRun` from the `k`-th on, then the caller's result; a promise once a hook answers with one. */
  #afterFrom(run: HookedRun, fetched: unknown, k: number): unknown {
    const hookResults = run.hookFetches === undefined ? undefined : (fetched as unknown[]);
    for (; k < this.#after.length; k++) {
      const { hook, index } = this.#after[k]!;
      let done;
      try {
        done = hook.afterRun!(run.context, new SessionRunValues(hookResults?.[index], run.options, run.metadata));
      } catch (error) {
        throw markHookError(error);
      }
      if (isThenable(done)) {
        const next = k + 1;
        return Promise.resolve(done).then(
          () => this.#afterFrom(run, fetched, next),
          (error: unknown) => {
            throw markHookError(error);
          },
        );
      }
    }
    if (run.context.stopRequested) this.#stopRequested = true;
    return hookResults === undefined ? fetched : hookResults[this.#hookCount];
  }
}
