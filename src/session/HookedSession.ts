import { RuntimeError, describeValue } from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import { resolveFeeds, type FeedDict, type Fetch } from '../graph/fetches.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
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
  #stopRequested = false;

  constructor(raw: Session, hooks: readonly Hook[]) {
    this.raw = raw;
    this.#hookCount = hooks.length;
    const plan = planFor(hooks);
    this.#before = plan.before;
    this.#after = plan.after;
  }

  /** True once a hook requested a stop (in `beforeRun` or `afterRun` of a completed run). */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  async run(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<unknown> {
    if (this.#stopRequested) throw new RuntimeError('Run called even after should_stop requested.');
    if (this.#before.length === 0 && this.#after.length === 0)
      return this.raw.run(fetches, feedDict, options, runMetadata);

    const context = new SessionRunContext(new SessionRunArgs(fetches, feedDict), this.raw);
    const runOptions: RunOptions = options ?? {};
    const metadata: RunMetadata = runMetadata ?? {};
    let hookFetches: Fetch[] | undefined;
    let hookFeeds: Map<Tensor, unknown> | undefined;

    for (const { hook, index } of this.#before) {
      let request;
      try {
        request = hook.beforeRun!(context);
        if (isThenable(request)) request = await request;
      } catch (error) {
        throw markHookError(error);
      }
      if (request === undefined || request === null) continue;
      if (!(request instanceof SessionRunArgs)) {
        throw new TypeError(
          `SessionRunHook.beforeRun: expected a SessionRunArgs or undefined, got ${describeValue(request)} from hook ${index}`,
        );
      }
      if (request.fetches !== undefined && request.fetches !== null) {
        (hookFetches ??= new Array<Fetch>(this.#hookCount + 1))[index] = request.fetches;
      }
      if (request.feedDict !== undefined) {
        const { tensors, values } = resolveFeeds(this.raw.graph, request.feedDict);
        if (tensors.length > 0) {
          hookFeeds ??= new Map();
          const conflicts = tensors.filter((t) => hookFeeds!.has(t));
          if (conflicts.length > 0)
            throw new RuntimeError(`Same tensor is fed by two hooks. Conflict(s): ${conflictNames(conflicts)}`);
          tensors.forEach((t, i) => hookFeeds!.set(t, values[i]));
        }
      }
      if (request.options !== undefined) mergeRunOptions(runOptions, request.options);
    }

    let feeds: FeedDict | null | undefined = feedDict;
    if (hookFeeds !== undefined) {
      const user = feedDict === undefined || feedDict === null ? undefined : resolveFeeds(this.raw.graph, feedDict);
      if (user === undefined || user.tensors.length === 0) {
        feeds = hookFeeds;
      } else {
        const conflicts = user.tensors.filter((t) => hookFeeds!.has(t));
        if (conflicts.length > 0) {
          throw new RuntimeError(
            `Same tensor is fed by a SessionRunHook and user. Conflict(s): ${conflictNames(conflicts)}`,
          );
        }
        const merged = new Map(hookFeeds);
        user.tensors.forEach((t, i) => merged.set(t, user.values[i]));
        feeds = merged;
      }
    }

    let callerResult: unknown;
    let hookResults: unknown[] | undefined;
    if (hookFetches === undefined) {
      callerResult = await this.raw.run(fetches, feeds, runOptions, metadata);
    } else {
      // Hooks' fetches come first, so a variable a hook reads (the global step, typically) is read
      // before the caller's ops change it: hooks see the value before this run, as in TensorFlow.
      hookFetches[this.#hookCount] = fetches;
      hookResults = (await this.raw.run(hookFetches, feeds, runOptions, metadata)) as unknown[];
      callerResult = hookResults[this.#hookCount];
    }

    for (const { hook, index } of this.#after) {
      try {
        const done = hook.afterRun!(context, new SessionRunValues(hookResults?.[index], runOptions, metadata));
        if (isThenable(done)) await done;
      } catch (error) {
        throw markHookError(error);
      }
    }
    if (context.stopRequested) this.#stopRequested = true;
    return callerResult;
  }
}
