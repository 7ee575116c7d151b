import type { FeedDict, Fetch } from '../graph/fetches.ts';
import type { Graph } from '../graph/Graph.ts';
import type { RunMetadata, RunOptions } from '../graph/RunOptions.ts';
import type { Session } from '../graph/Session.ts';
import type { Coordinator } from './Coordinator.ts';

/** Why a monitored session ended, as told to `end` (beyond TensorFlow). */
export type EndReason = 'finished' | 'stopRequested' | 'endOfInput';

/** What `end` is told besides the session (beyond TensorFlow's `end(session)`). */
export interface EndInfo {
  readonly reason: EndReason;
}

/**
 * What a hook adds to a run: fetches, feeds and options (TensorFlow's `SessionRunArgs`).
 * `F` is the shape of the fetches; `FetchResult<F>` is the shape of their values.
 */
export class SessionRunArgs<F extends Fetch = Fetch> {
  readonly fetches: F;
  readonly feedDict: FeedDict | undefined;
  readonly options: RunOptions | undefined;

  constructor(fetches?: F, feedDict?: FeedDict | null, options?: RunOptions | null) {
    this.fetches = fetches as F;
    this.feedDict = feedDict ?? undefined;
    this.options = options ?? undefined;
  }
}

/** The run in progress, as hooks see it (TensorFlow's `SessionRunContext`). */
export class SessionRunContext {
  /** The caller's fetches and feeds (options are not part of it, as in TensorFlow). */
  readonly originalArgs: SessionRunArgs;
  /** The raw session: running it directly does not call hooks. */
  readonly session: Session;
  #stopRequested = false;

  constructor(originalArgs: SessionRunArgs, session: Session) {
    this.originalArgs = originalArgs;
    this.session = session;
  }

  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** Asks the monitored session to stop after this run; the run itself completes. */
  requestStop(): void {
    this.#stopRequested = true;
  }
}

/** What a hook gets back after the run (TensorFlow's `SessionRunValues`). */
export class SessionRunValues<R = unknown> {
  /** This hook's fetches, in the shape it asked for; `undefined` when it asked for none. */
  readonly results: R;
  readonly options: RunOptions;
  readonly runMetadata: RunMetadata;

  constructor(results: R, options: RunOptions, runMetadata: RunMetadata) {
    this.results = results;
    this.options = options;
    this.runMetadata = runMetadata;
  }
}

type MaybePromise<T> = T | Promise<T>;

/**
 * The hook protocol. Every method is optional and may be sync or async; a plain object with
 * some of these methods is a hook too.
 * - `begin` once per monitored session, before any session is created (may add ops to the graph);
 * - `afterCreateSession` after each session creation, including every recovery;
 * - `beforeRun`/`afterRun` around each run, in hook order;
 * - `end` at a clean close only; `endOnError` (beyond TensorFlow) at a close caused by an error.
 */
export interface Hook<R = unknown> {
  /** `graph` is the monitored session's graph (TensorFlow's default graph), when it is known. */
  begin?(graph?: Graph): MaybePromise<void>;
  afterCreateSession?(session: Session, coord: Coordinator): MaybePromise<void>;
  beforeRun?(runContext: SessionRunContext): MaybePromise<SessionRunArgs | undefined | void>;
  /** `runValues.results` holds the values of what this hook's `beforeRun` fetched, typed `R`. */
  afterRun?(runContext: SessionRunContext, runValues: SessionRunValues<R>): MaybePromise<void>;
  end?(session: Session, info: EndInfo): MaybePromise<void>;
  /** Told of a close caused by an error, where `end` is skipped (beyond TensorFlow). */
  endOnError?(session: Session | undefined, error: unknown): MaybePromise<void>;
  /**
   * State to save with each checkpoint (beyond TensorFlow): counters, timers, anything that makes
   * the hook resume on its rhythm. A record of checkpointable values, taken between runs.
   */
  checkpointState?(): Readonly<Record<string, unknown>>;
  /** Puts back what `checkpointState` returned, when a session is restored from that checkpoint. */
  restoreCheckpointState?(state: Readonly<Record<string, unknown>>): void;
}

/**
 * Base class for hooks (TensorFlow's `SessionRunHook`): override what you need. Methods left
 * alone cost nothing per step: the runtime skips them. `R` types `afterRun`'s `runValues.results`
 * (the values of what `beforeRun` fetched: `FetchResult<typeof fetches>`); it defaults to `unknown`.
 * @example
 * class LossHook extends SessionRunHook<number> {
 *   override beforeRun() { return new SessionRunArgs(loss); }
 *   override afterRun(_ctx: SessionRunContext, values: SessionRunValues<number>) { log(values.results.toFixed(3)); }
 * }
 */
export abstract class SessionRunHook<R = unknown> implements Hook<R> {
  begin(_graph?: Graph): MaybePromise<void> {}
  afterCreateSession(_session: Session, _coord: Coordinator): MaybePromise<void> {}
  beforeRun(_runContext: SessionRunContext): MaybePromise<SessionRunArgs | undefined | void> {}
  afterRun(_runContext: SessionRunContext, _runValues: SessionRunValues<R>): MaybePromise<void> {}
  end(_session: Session, _info: EndInfo): MaybePromise<void> {}
}
