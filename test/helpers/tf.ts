/**
 * The helpers of TensorFlow's monitored_session_test.py, rebuilt: FakeHook, RaiseOnceAtCountN,
 * CountingSessionCreator, StopCoordinatorWithException, AbortAtNSession, and the gstep graph.
 */
import { waitFor } from 'xstate';
import {
  AbortedError,
  Coordinator,
  Graph,
  Session,
  SessionRunArgs,
  SessionRunHook,
  getOrCreateGlobalStep,
  type AnyMonitoredSession,
  type EndInfo,
  type FeedDict,
  type Fetch,
  type RunMetadata,
  type RunOptions,
  type SessionCreator,
  type SessionRunContext,
  type SessionRunValues,
  type Variable,
  type Tensor,
} from '../../src/index.ts';

/** A graph with a global step and `doStep` (increment it and return the new value). */
export function gstepGraph(): { graph: Graph; gstep: Variable<number>; doStep: Tensor<number> } {
  const graph = new Graph();
  const gstep = getOrCreateGlobalStep(graph);
  const doStep = graph.assignAdd(gstep, 1, 'do_step');
  return { graph, gstep, doStep };
}

export interface CallCounter {
  begin: number;
  afterCreateSession: number;
  beforeRun: number;
  afterRun: number;
  end: number;
}

/** Counts calls; remembers the last context and values; can request fetches or a stop. */
export class FakeHook extends SessionRunHook {
  shouldStop = false;
  request: SessionRunArgs | undefined;
  readonly callCounter: CallCounter = { begin: 0, afterCreateSession: 0, beforeRun: 0, afterRun: 0, end: 0 };
  lastRunContext: SessionRunContext | undefined;
  lastRunValues: SessionRunValues | undefined;
  lastEndInfo: EndInfo | undefined;
  readonly log: string[] | undefined;
  readonly name: string;

  constructor(name = 'hook', log?: string[]) {
    super();
    this.name = name;
    this.log = log;
  }
  override begin(): void {
    this.callCounter.begin++;
    this.log?.push(`${this.name}.begin`);
  }
  override afterCreateSession(): void {
    this.callCounter.afterCreateSession++;
    this.log?.push(`${this.name}.afterCreateSession`);
  }
  override beforeRun(runContext: SessionRunContext): SessionRunArgs | undefined {
    this.callCounter.beforeRun++;
    this.lastRunContext = runContext;
    this.log?.push(`${this.name}.beforeRun`);
    return this.request;
  }
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void {
    this.callCounter.afterRun++;
    this.lastRunValues = runValues;
    this.log?.push(`${this.name}.afterRun`);
    if (this.shouldStop) runContext.requestStop();
  }
  override end(_session: Session, info: EndInfo): void {
    this.callCounter.end++;
    this.lastEndInfo = info;
    this.log?.push(`${this.name}.end`);
  }
}

/** Throws `error` in `beforeRun` the first time its countdown reaches 0. */
export class RaiseOnceAtCountN extends SessionRunHook {
  n: number;
  readonly error: unknown;
  raised = false;
  constructor(n: number, error: unknown) {
    super();
    this.n = n;
    this.error = error;
  }
  override beforeRun(): undefined {
    this.n--;
    if (this.n === 0 && !this.raised) {
      this.raised = true;
      throw this.error;
    }
    return undefined;
  }
}

/** A session whose close does nothing, so one session can be handed out many times. */
export class UncloseableSession extends Session {
  override async close(): Promise<void> {}
}

/** Hands out the same session each time and counts the calls. */
export class CountingSessionCreator implements SessionCreator {
  readonly session: Session;
  numberOfSessionsCreated = 0;
  constructor(session: Session) {
    this.session = session;
  }
  async createSession(): Promise<Session> {
    this.numberOfSessionsCreated++;
    return this.session;
  }
}

/** A session that throws AbortedError once it has served `n` runs. */
export class AbortAtNSession extends Session {
  readonly #n: number;
  #served = 0;
  constructor(graph: Graph, n: number) {
    super(graph);
    this.#n = n;
  }
  override async run(
    fetches: Fetch,
    feedDict?: FeedDict | null,
    options?: RunOptions | null,
    runMetadata?: RunMetadata | null,
  ): Promise<never> {
    if (this.#served >= this.#n) throw new AbortedError(`Aborted at N=${this.#n}`);
    this.#served++;
    return super.run(fetches, feedDict, options, runMetadata) as Promise<never>;
  }
}

/**
 * In `afterCreateSession` (first time only) starts a registered task that, once `k` afterRun
 * calls happened, reports `error` to the coordinator; the k-th afterRun waits until it is recorded.
 */
export class StopCoordinatorWithException extends SessionRunHook {
  readonly #k: number;
  readonly #error: unknown;
  #started = false;
  #afterRuns = 0;
  #reachedK: (() => void) | undefined;
  #reported: Promise<void> | undefined;

  constructor(k: number, error: unknown = new AbortedError('Aborted at N')) {
    super();
    this.#k = k;
    this.#error = error;
  }
  override afterCreateSession(_session: Session, coord: Coordinator): void {
    if (this.#started) return;
    this.#started = true;
    const reached = new Promise<void>((resolve) => (this.#reachedK = resolve));
    this.#reported = reached.then(() => coord.requestStop(this.#error));
    coord.registerThread(this.#reported, 'StopCoordinatorWithException');
  }
  override async afterRun(): Promise<void> {
    this.#afterRuns++;
    if (this.#afterRuns === this.#k) {
      this.#reachedK?.();
      await this.#reported;
    }
  }
}

/** A hook that keeps the coordinator of the latest created session. */
export function coordinatorGrabber(): {
  hook: { afterCreateSession: (s: Session, c: Coordinator) => void };
  coord: () => Coordinator;
} {
  let coord: Coordinator | undefined;
  return { hook: { afterCreateSession: (_s, c) => void (coord = c) }, coord: () => coord! };
}

/** Waits until the lifecycle has settled in `running` (or a terminal state). */
export async function settled(session: AnyMonitoredSession): Promise<void> {
  await waitFor(session.actor, (s) => s.matches('running') || s.matches('detached') || s.status === 'done');
}

/** A raw session's values of `tensor`. */
export async function valueOf<T>(session: Session, tensor: Tensor<T>): Promise<T> {
  return session.run(tensor);
}
