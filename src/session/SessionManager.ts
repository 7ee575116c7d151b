import path from 'node:path';
import { sleep, systemClock, type Clock } from '../clock.ts';
import { checkpointExists } from '../checkpoint/Saver.ts';
import { checkpointWritesSettled } from '../checkpoint/pendingWrites.ts';
import { getCheckpointState } from '../checkpoint/state.ts';
import {
  DataLossError,
  DeadlineExceededError,
  NotFoundError,
  RuntimeError,
  UnavailableError,
  ValueError,
} from '../errors.ts';
import type { FeedDict } from '../graph/fetches.ts';
import { Graph } from '../graph/Graph.ts';
import type { RunOptions } from '../graph/RunOptions.ts';
import { Session, type SessionConfig } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { checkOptions, expect, instanceOf, is, optional, rule } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { checkManagerOptions, checkSession, neverReady } from './managerChecks.ts';
import { nameOf, ready, type Readiness } from './readiness.ts';
import type { PrepareSessionOptions, RestoreOptions, SessionManagerOptions } from './SessionManagerOptions.ts';

export type { PrepareSessionOptions, RestoreOptions, SessionManagerOptions } from './SessionManagerOptions.ts';
import { clockRule } from './rules.ts';

/** A wait between checks must be a real timer: `Infinity` would poll every millisecond. */
const finiteSecs = rule<number>(
  'a non-negative finite number',
  'value',
  (v) => Number.isFinite(v) && (v as number) >= 0,
);

/**
 * Creates sessions that are initialized, restored from a checkpoint, or waited on until another
 * process (the chief) made them ready (TensorFlow's `SessionManager`).
 */
export class SessionManager {
  readonly graph: Graph;
  readonly localInitOp: Tensor | undefined;
  readonly readyOp: Tensor | undefined;
  readonly readyForLocalInitOp: Tensor | undefined;
  readonly recoveryWaitSecs: number;
  readonly #localInitFeedDict: FeedDict | undefined;
  readonly #localInitRunOptions: RunOptions | undefined;
  readonly #clock: Clock;

  constructor(options: SessionManagerOptions) {
    const keys = [
      'graph',
      'localInitOp',
      'localInitFeedDict',
      'localInitRunOptions',
      'readyOp',
      'readyForLocalInitOp',
      'recoveryWaitSecs',
      'clock',
    ] as const;
    checkOptions('SessionManager', options, keys, { required: true });
    expect('SessionManager', 'graph', options.graph, instanceOf(Graph));
    for (const op of ['localInitOp', 'readyOp', 'readyForLocalInitOp'] as const)
      optional('SessionManager', op, options[op], instanceOf(Tensor));
    optional('SessionManager', 'clock', options.clock, clockRule);
    if (options.readyForLocalInitOp !== undefined && options.localInitOp === undefined) {
      throw new ValueError(
        'SessionManager: If you pass a ready_for_local_init_op you must also pass a local_init_op , ready_for_local_init_op [' +
          options.readyForLocalInitOp.name +
          ']',
      );
    }
    const wait = optional('SessionManager', 'recoveryWaitSecs', options.recoveryWaitSecs, finiteSecs) ?? 30;
    this.graph = options.graph;
    this.localInitOp = options.localInitOp;
    this.readyOp = options.readyOp;
    this.readyForLocalInitOp = options.readyForLocalInitOp;
    this.recoveryWaitSecs = wait;
    this.#localInitFeedDict = options.localInitFeedDict;
    this.#localInitRunOptions = options.localInitRunOptions;
    this.#clock = options.clock ?? systemClock;
  }

  /** A new session on `master` for this graph. */
  openSession(master = '', config?: SessionConfig): Session {
    return new Session(this.graph, { target: master, ...(config ? { config } : {}) });
  }

  /**
   * Restores `session` from the checkpoint that `options` name, if any. A missing checkpoint is
   * not an error (the answer is false); a failing restore is.
   */
  async restore(session: Session, options: RestoreOptions): Promise<boolean> {
    checkSession('restore', session);
    const checked = checkManagerOptions('restore', options, { restore: true });
    const { saver, checkpointDir, checkpointFilenameWithPath } = checked;
    if (checkpointDir && checkpointFilenameWithPath) {
      throw new ValueError('Can not provide both checkpoint_dir and checkpoint_filename_with_path.');
    }
    if (!saver || !(checkpointDir || checkpointFilenameWithPath)) return false;
    // This process's checkpoint writes still in flight (asynchronous checkpointing) land first.
    await checkpointWritesSettled(checkpointDir || path.dirname(checkpointFilenameWithPath!));
    if (checkpointFilenameWithPath) {
      await saver.restore(session, checkpointFilenameWithPath);
      return true;
    }
    const maxWait = options.maxWaitSecs ?? 7200;
    let waited = 0;
    let state = await getCheckpointState(checkpointDir!);
    while (state === undefined) {
      if (!options.waitForCheckpoint || waited >= maxWait) return false;
      logger.info(`Waiting for checkpoint to be available in ${checkpointDir}.`);
      await sleep(this.#clock, this.recoveryWaitSecs * 1000);
      waited += this.recoveryWaitSecs;
      state = await getCheckpointState(checkpointDir!);
    }
    // Newest first; a corrupt or torn checkpoint falls back to the previous listed one, never
    // silently to re-initialization.
    const candidates = [...new Set([state.modelCheckpointPath, ...[...state.allModelCheckpointPaths].reverse()])];
    let firstError: unknown;
    for (const prefix of candidates) {
      try {
        await saver.restore(session, prefix);
        saver.recoverLastCheckpoints?.(
          state.allModelCheckpointPaths.slice(0, state.allModelCheckpointPaths.indexOf(prefix) + 1),
        );
        if (firstError !== undefined)
          logger.warn(`Restored the older checkpoint ${prefix} because a newer one could not be loaded.`);
        return true;
      } catch (error) {
        const unusable =
          error instanceof DataLossError || (error instanceof NotFoundError && !(await checkpointExists(prefix)));
        if (!unusable) throw error;
        firstError ??= error;
        logger.warn(`Cannot restore checkpoint ${prefix}: ${(error as Error).message}. Trying the previous one.`);
      }
    }
    throw firstError;
  }

  /**
   * Makes a session ready after restore: init op and init fn when nothing was restored, then the
   * local init op, then the ready check; throws TensorFlow's "not ready" errors.
   */
  async initialize(
    session: Session,
    restored: boolean,
    init: {
      initOp?: Tensor | undefined;
      initFeedDict?: FeedDict | undefined;
      initFn?: ((session: Session) => unknown) | undefined;
    },
  ): Promise<void> {
    checkSession('initialize', session);
    expect('SessionManager.initialize', 'restored', restored, is.boolean);
    const { initOp, initFeedDict, initFn } = checkManagerOptions('initialize', init, { init: true });
    if (!restored) {
      if (initOp === undefined && initFn === undefined && this.localInitOp === undefined) {
        throw new RuntimeError('Model is not initialized and no init_op or init_fn or local_init_op was given');
      }
      if (initOp !== undefined) await session.run(initOp, initFeedDict ?? null);
      if (initFn !== undefined) await initFn(session);
    }
    const local = await this.tryRunLocalInitOp(session);
    if (!local.ready) {
      throw new RuntimeError(
        `Init operations did not make model ready for local_init.  Init op: ${nameOf(initOp)}, init fn: ${initFn ? 'given' : 'None'}, error: ${local.message}`,
      );
    }
    const ready = await this.modelReady(session);
    if (!ready.ready) {
      throw new RuntimeError(
        `Init operations did not make model ready.  Init op: ${nameOf(initOp)}, init fn: ${initFn ? 'given' : 'None'}, local_init_op: ${nameOf(this.localInitOp)}, error: ${ready.message}`,
      );
    }
  }

  /** Creates a session and restores, or initializes it; TensorFlow's `prepare_session`. */
  async prepareSession(options: PrepareSessionOptions = {}): Promise<Session> {
    const checked = checkManagerOptions('prepareSession', options, { restore: true, session: true, init: true });
    const { master, config, initOp, initFeedDict, initFn, ...restore } = checked;
    const session = this.openSession(master, config);
    try {
      const restored = await this.restore(session, restore);
      await this.initialize(session, restored, { initOp, initFeedDict, initFn });
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /**
   * Creates a session and restores it if it can; runs the local init op. Returns the session and
   * whether it is ready; never throws for "not ready".
   */
  async recoverSession(
    options: RestoreOptions & { master?: string; config?: SessionConfig } = {},
  ): Promise<[Session, boolean]> {
    const checked = checkManagerOptions('recoverSession', options, { restore: true, session: true });
    const { master, config, ...restore } = checked;
    const session = this.openSession(master, config);
    const restored = await this.restore(session, restore);
    if (!restored) return [session, false];
    const local = await this.tryRunLocalInitOp(session);
    if (!local.ready) return [session, false];
    return [session, (await this.modelReady(session)).ready];
  }

  /** One readiness attempt for a worker: local init, then the ready check. */
  async tryReady(session: Session): Promise<Readiness> {
    checkSession('tryReady', session);
    const local = await this.tryRunLocalInitOp(session);
    if (!local.ready) return local;
    return this.modelReady(session);
  }

  /**
   * Creates sessions until one is ready (another process initialized the shared state),
   * checking every `recoveryWaitSecs`; `DeadlineExceededError` after `maxWaitSecs`.
   */
  async waitForSession(
    options: { master?: string; config?: SessionConfig; maxWaitSecs?: number } = {},
  ): Promise<Session> {
    const opts = checkManagerOptions('waitForSession', options, { session: true, maxWait: true });
    const maxWait = opts.maxWaitSecs ?? Infinity;
    const start = this.#clock.now();
    for (;;) {
      let readiness: Readiness;
      let session: Session | undefined;
      try {
        session = this.openSession(opts.master, opts.config);
        readiness = await this.tryReady(session);
      } catch (error) {
        // The shared target may not be up yet: keep waiting, as for "not ready".
        if (!(error instanceof UnavailableError)) throw error;
        readiness = { ready: false, message: error.message };
      }
      if (readiness.ready && session) return session;
      if ((opts.master ?? '') === '') {
        await session?.close();
        throw neverReady('SessionManager.waitForSession', readiness.ready ? 'ready' : readiness.message);
      }
      // A store that signals readiness (redis://) ends the wait as soon as the chief is ready.
      const store = session?.store;
      let waited = false;
      try {
        if (store?.waitForReady !== undefined) {
          await store.waitForReady(this.recoveryWaitSecs * 1000);
          waited = true;
        }
      } finally {
        await session?.close();
      }
      const elapsed = (this.#clock.now() - start) / 1000;
      if (maxWait - elapsed - this.recoveryWaitSecs < 0) {
        throw new DeadlineExceededError(`Session was not ready after waiting ${Math.floor(elapsed)} secs.`);
      }
      logger.info(
        `Waiting for model to be ready. Ready_for_local_init_op: ${nameOf(this.readyForLocalInitOp)}, ready: ${readiness.ready ? '' : readiness.message}`,
      );
      if (!waited) await sleep(this.#clock, this.recoveryWaitSecs * 1000);
    }
  }

  /** Runs the local init op if the model is ready for it. */
  async tryRunLocalInitOp(session: Session): Promise<Readiness> {
    checkSession('tryRunLocalInitOp', session);
    if (this.localInitOp === undefined) return { ready: true };
    const readyForLocal = await ready(this.readyForLocalInitOp, session, 'Model not ready for local init');
    if (!readyForLocal.ready) return readyForLocal;
    logger.info('Running local_init_op.');
    await session.run(this.localInitOp, this.#localInitFeedDict ?? null, this.#localInitRunOptions ?? null);
    return { ready: true };
  }

  /** Runs the ready op. */
  modelReady(session: Session): Promise<Readiness> {
    checkSession('modelReady', session);
    return ready(this.readyOp, session, 'Model not ready');
  }
}
