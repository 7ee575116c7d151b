import type { FeedDict } from '../graph/fetches.ts';
import { checkOptions, expect, is } from '../internal/validate.ts';
import { SessionRunArgs, SessionRunHook } from '../session/SessionRunHook.ts';

/** Options of {@link FeedFnHook}. */
export interface FeedFnHookOptions {
  /** Called before every run; its result is fed. */
  feedFn: () => FeedDict;
}

const API = 'FeedFnHook';

/** Feeds `feedFn()` into every run. */
export class FeedFnHook extends SessionRunHook {
  readonly #feedFn: () => FeedDict;

  constructor(options: FeedFnHookOptions) {
    super();
    const opts = checkOptions(API, options, ['feedFn'], { required: true });
    this.#feedFn = expect(API, 'feedFn', opts.feedFn, is.function) as () => FeedDict;
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(undefined, this.#feedFn());
  }
}
