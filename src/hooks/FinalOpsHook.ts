import { OutOfRangeError, StopIteration } from '../errors.ts';
import type { FeedDict, Fetch } from '../graph/fetches.ts';
import type { Session } from '../graph/Session.ts';
import { anyOf, checkOptions, is, optional } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { SessionRunHook } from '../session/SessionRunHook.ts';
import { checkSession } from './hookArgs.ts';

/** Options of {@link FinalOpsHook}. */
export interface FinalOpsHookOptions {
  finalOps: Fetch;
  finalOpsFeedDict?: FeedDict;
}

const API = 'FinalOpsHook';
const feedRule = anyOf<FeedDict>('a Map or an object of feeds', is.object);

/** Runs ops at the end (clean close) and keeps their values in `finalOpsValues`. */
export class FinalOpsHook extends SessionRunHook {
  readonly #ops: Fetch;
  readonly #feeds: FeedDict | undefined;
  #values: unknown;

  constructor(options: FinalOpsHookOptions) {
    super();
    const opts = checkOptions(API, options, ['finalOps', 'finalOpsFeedDict'], { required: true });
    this.#ops = opts.finalOps as Fetch;
    this.#feeds = optional(API, 'finalOpsFeedDict', opts.finalOpsFeedDict, feedRule);
  }

  /** The values of the final ops; `undefined` until `end` ran. */
  get finalOpsValues(): unknown {
    return this.#values;
  }

  override async end(session: Session): Promise<void> {
    checkSession(`${API}.end`, session);
    if (this.#ops === undefined || this.#ops === null) return;
    try {
      this.#values = await session.run(this.#ops, this.#feeds ?? null);
    } catch (error) {
      if (error instanceof OutOfRangeError || error instanceof StopIteration) {
        logger.warn('An OutOfRangeError or StopIteration was raised by the final ops; the input may be exhausted.');
      }
      throw error;
    }
  }
}
