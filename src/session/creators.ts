import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { DeadlineExceededError, UnavailableError, ValueError, describeValue } from '../errors.ts';
import { Graph } from '../graph/Graph.ts';
import { Session, type SessionConfig } from '../graph/Session.ts';
import { checkOptions, expect, instanceOf, is, optional } from '../internal/validate.ts';
import { clockRule } from './rules.ts';
import { Scaffold } from './Scaffold.ts';
import { neverReady } from './managerChecks.ts';
import { SessionManager } from './SessionManager.ts';

/** Creates a ready-to-use session: initialized, restored, or made ready by someone else. */
export interface SessionCreator {
  createSession(): Promise<Session>;
}

/**
 * A creator that exposes its steps, so the lifecycle statechart can show them as states
 * (`creating` → `restoring` → `initializing`). `createSession` is the steps in a row.
 */
export interface SteppedSessionCreator extends SessionCreator {
  openSession(): Promise<Session>;
  /** False when there is nothing to restore from (so the chart skips `restoring`). */
  readonly restores: boolean;
  restoreSession(session: Session): Promise<boolean>;
  /** Throws {@link NotReadyYet} when the session must be re-created after a wait. */
  initializeSession(session: Session, restored: boolean): Promise<void>;
}

/** True for creators that expose their steps. */
export function isSteppedCreator(creator: SessionCreator): creator is SteppedSessionCreator {
  const c = creator as Partial<SteppedSessionCreator>;
  return (
    typeof c.openSession === 'function' &&
    typeof c.restoreSession === 'function' &&
    typeof c.initializeSession === 'function'
  );
}

/** Thrown by a worker's `initializeSession` when the chief has not made the model ready yet. */
export class NotReadyYet extends Error {
  /** How long to wait before the next attempt. */
  readonly retryInMs: number;
  constructor(message: string, retryInMs: number) {
    super(expect('NotReadyYet', 'message', message, is.string));
    this.name = 'NotReadyYet';
    this.retryInMs = expect('NotReadyYet', 'retryInMs', retryInMs, is.nonNegativeNumber);
  }
}

/** Options of {@link ChiefSessionCreator}. */
export interface ChiefSessionCreatorOptions {
  graph: Graph;
  scaffold?: Scaffold | undefined;
  /** Target to create sessions on. @default '' (private state) */
  master?: string | undefined;
  config?: SessionConfig | undefined;
  checkpointDir?: string | undefined;
  checkpointFilenameWithPath?: string | undefined;
  clock?: Clock | undefined;
}

function checkGraph(api: string, graph: unknown): Graph {
  return expect(api, 'graph', graph, instanceOf(Graph));
}

function checkScaffold(api: string, scaffold: unknown): Scaffold {
  if (scaffold === undefined) return new Scaffold();
  return expect(api, 'scaffold', scaffold, instanceOf(Scaffold));
}

/** Refuses unknown options and checks the ones every creator shares; `paths` are extra string options. */
function checkCreatorOptions(api: string, options: unknown, extra: readonly string[]): void {
  const o = checkOptions(api, options, ['graph', 'scaffold', 'master', 'config', 'clock', ...extra], {
    required: true,
  });
  optional(api, 'master', o.master, is.string);
  optional(api, 'config', o.config, is.object);
  optional(api, 'clock', o.clock, clockRule);
  for (const key of extra) {
    const value = (o as Record<string, unknown>)[key];
    optional<unknown>(api, key, value, key.endsWith('Secs') ? is.duration : is.string);
  }
}

/** The SessionManager a creator uses, built once from its finalized scaffold. */
function managerFor(
  graph: Graph,
  scaffold: Scaffold,
  clock: Clock | undefined,
  recoveryWaitSecs?: number,
): SessionManager {
  return new SessionManager({
    ...(recoveryWaitSecs === undefined ? {} : { recoveryWaitSecs }),
    graph,
    localInitOp: scaffold.localInitOp,
    localInitFeedDict: scaffold.localInitFeedDict,
    readyOp: scaffold.readyOp,
    readyForLocalInitOp: scaffold.readyForLocalInitOp,
    clock,
  });
}

/**
 * Creates sessions for the chief: restores the latest checkpoint of `checkpointDir` (or
 * `checkpointFilenameWithPath`) when there is one, otherwise runs the init op and init fn.
 */
export class ChiefSessionCreator implements SteppedSessionCreator {
  readonly graph: Graph;
  readonly scaffold: Scaffold;
  readonly master: string;
  readonly #options: ChiefSessionCreatorOptions;
  #manager: SessionManager | undefined;

  constructor(options: ChiefSessionCreatorOptions) {
    checkCreatorOptions('ChiefSessionCreator', options, ['checkpointDir', 'checkpointFilenameWithPath']);
    this.graph = checkGraph('ChiefSessionCreator', options?.graph);
    this.scaffold = checkScaffold('ChiefSessionCreator', options.scaffold);
    this.master = options.master ?? '';
    if (options.checkpointDir && options.checkpointFilenameWithPath) {
      throw new ValueError(
        'ChiefSessionCreator: Can not provide both checkpoint_dir and checkpoint_filename_with_path.',
      );
    }
    this.#options = options;
  }

  get restores(): boolean {
    return Boolean(this.#options.checkpointDir || this.#options.checkpointFilenameWithPath);
  }

  #managerFor(): SessionManager {
    this.scaffold.finalize(this.graph);
    return (this.#manager ??= managerFor(this.graph, this.scaffold, this.#options.clock));
  }

  async openSession(): Promise<Session> {
    const session = this.#managerFor().openSession(this.master, this.#options.config);
    // A shared store (redis://) starts a new run generation before restore or init: sessions
    // still on the old one (workers, a previous chief) then fail with AbortedError.
    if (session.store.startEpoch !== undefined) {
      try {
        await session.store.startEpoch();
      } catch (error) {
        await session.close();
        throw error;
      }
    }
    return session;
  }

  async restoreSession(session: Session): Promise<boolean> {
    expect('ChiefSessionCreator.restoreSession', 'session', session, instanceOf(Session));
    return this.#managerFor().restore(session, {
      saver: this.scaffold.saver,
      checkpointDir: this.#options.checkpointDir,
      checkpointFilenameWithPath: this.#options.checkpointFilenameWithPath,
      waitForCheckpoint: false,
    });
  }

  async initializeSession(session: Session, restored: boolean): Promise<void> {
    expect('ChiefSessionCreator.initializeSession', 'session', session, instanceOf(Session));
    expect('ChiefSessionCreator.initializeSession', 'restored', restored, is.boolean);
    await this.#managerFor().initialize(session, restored, {
      initOp: this.scaffold.initOp,
      initFeedDict: this.scaffold.initFeedDict,
      initFn: this.scaffold.initFn,
    });
    // The chief marks the job ready: workers waiting on the shared store go ahead.
    await session.store.markReady?.();
  }

  async createSession(): Promise<Session> {
    const session = await this.openSession();
    try {
      await this.initializeSession(session, await this.restoreSession(session));
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }
}

/** Options of {@link WorkerSessionCreator}. */
export interface WorkerSessionCreatorOptions {
  graph: Graph;
  scaffold?: Scaffold | undefined;
  master?: string | undefined;
  config?: SessionConfig | undefined;
  /** How long to wait for the chief to make the model ready. @default 1800 */
  maxWaitSecs?: number | undefined;
  /**
   * Longest wait between readiness checks. A store that can signal readiness (`redis://`) ends
   * the wait as soon as the chief is ready. @default 30
   */
  recoveryWaitSecs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * Creates sessions for a worker: never initializes or restores; waits until the chief made the
 * shared state ready (checking every `recoveryWaitSecs`), up to `maxWaitSecs`.
 */
export class WorkerSessionCreator implements SteppedSessionCreator {
  readonly graph: Graph;
  readonly scaffold: Scaffold;
  readonly master: string;
  readonly maxWaitSecs: number;
  readonly restores = false;
  readonly #options: WorkerSessionCreatorOptions;
  readonly #clock: Clock;
  #manager: SessionManager | undefined;
  #waitingSince: number | undefined;

  constructor(options: WorkerSessionCreatorOptions) {
    checkCreatorOptions('WorkerSessionCreator', options, ['maxWaitSecs', 'recoveryWaitSecs']);
    this.graph = checkGraph('WorkerSessionCreator', options?.graph);
    this.scaffold = checkScaffold('WorkerSessionCreator', options.scaffold);
    this.master = options.master ?? '';
    const maxWait = options.maxWaitSecs ?? 1800;
    if (typeof maxWait !== 'number' || !(maxWait >= 0)) {
      throw new ValueError(
        `WorkerSessionCreator: expected \`maxWaitSecs\` to be a non-negative number, got ${describeValue(maxWait)}`,
      );
    }
    this.maxWaitSecs = maxWait;
    const recoveryWait = options.recoveryWaitSecs;
    if (recoveryWait !== undefined && (typeof recoveryWait !== 'number' || !(recoveryWait >= 0))) {
      throw new ValueError(
        `WorkerSessionCreator: expected \`recoveryWaitSecs\` to be a non-negative number, got ${describeValue(recoveryWait)}`,
      );
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  #managerFor(): SessionManager {
    this.scaffold.finalize(this.graph);
    return (this.#manager ??= managerFor(this.graph, this.scaffold, this.#clock, this.#options.recoveryWaitSecs));
  }

  async openSession(): Promise<Session> {
    const manager = this.#managerFor();
    this.#waitingSince ??= this.#clock.now();
    try {
      return manager.openSession(this.master, this.#options.config);
    } catch (error) {
      if (error instanceof UnavailableError) this.#notReady(error.message);
      throw error;
    }
  }

  async restoreSession(): Promise<boolean> {
    return false;
  }

  async initializeSession(session: Session): Promise<void> {
    expect('WorkerSessionCreator.initializeSession', 'session', session, instanceOf(Session));
    const readiness = await this.#managerFor().tryReady(session);
    if (readiness.ready) {
      this.#waitingSince = undefined;
      return;
    }
    if (this.master === '') {
      await session.close();
      throw neverReady('WorkerSessionCreator', readiness.message);
    }
    // A store that signals readiness is waited on here, so the retry can follow at once.
    const store = session.store;
    const prompt = store.waitForReady !== undefined;
    try {
      if (prompt) await store.waitForReady!(this.#manager!.recoveryWaitSecs * 1000);
    } finally {
      await session.close();
    }
    this.#notReady(readiness.message, prompt);
  }

  /** Throws `NotReadyYet` to wait and retry, or `DeadlineExceededError` once the wait is over. */
  #notReady(message: string, waited = false): never {
    const elapsed = (this.#clock.now() - (this.#waitingSince ?? this.#clock.now())) / 1000;
    const wait = waited ? 0 : this.#manager!.recoveryWaitSecs;
    if (this.maxWaitSecs - elapsed - wait < 0) {
      this.#waitingSince = undefined;
      throw new DeadlineExceededError(`Session was not ready after waiting ${Math.floor(elapsed)} secs.`);
    }
    throw new NotReadyYet(`Waiting for the chief to make the model ready: ${message}`, wait * 1000);
  }

  async createSession(): Promise<Session> {
    return this.#managerFor().waitForSession({
      master: this.master,
      maxWaitSecs: this.maxWaitSecs,
      ...(this.#options.config ? { config: this.#options.config } : {}),
    });
  }
}
