/**
 * A fault-injection kit for testing code built on monitored sessions (and for this project's own
 * property tests): faults at every seam — session creation, restore, init, every run, every hook
 * method, graph ops (queue-runner enqueues), coordinator reports, checkpoint writes, close — of a
 * chosen kind, thrown synchronously or asynchronously, at chosen or random calls.
 */
import { AbortedError, OutOfRangeError, UnavailableError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import { isSteppedCreator, type SessionCreator, type SteppedSessionCreator } from '../session/creators.ts';
import type { SaverLike } from '../session/Scaffold.ts';

/** What is thrown: a lost session (recoverable), end of input, an ordinary error, or a non-Error value. */
export type FaultKind = 'aborted' | 'unavailable' | 'endOfInput' | 'error' | 'nonError';

/** One fault: its kind and whether it is thrown from an async continuation. */
export interface Fault {
  kind: FaultKind;
  async?: boolean;
}

/** An ordinary (non-recoverable) injected error. */
export class InjectedError extends Error {
  readonly seam: string;
  constructor(seam: string) {
    super(`injected error at ${seam}`);
    this.name = 'InjectedError';
    this.seam = seam;
  }
}

/** The value a fault throws. Each call makes a new object, so tests can check identity. */
export function faultValue(kind: FaultKind, seam: string): unknown {
  switch (kind) {
    case 'aborted':
      return new AbortedError(`injected AbortedError at ${seam}`);
    case 'unavailable':
      return new UnavailableError(`injected UnavailableError at ${seam}`);
    case 'endOfInput':
      return new OutOfRangeError(`injected end of input at ${seam}`);
    case 'error':
      return new InjectedError(seam);
    case 'nonError':
      return { injected: true, seam };
  }
}

/** An injected fault, as recorded by a plan. */
export interface InjectedFault {
  seam: string;
  call: number;
  kind: FaultKind;
  value: unknown;
}

/**
 * Decides which calls fail: per seam (a string such as `run`, `create`, `hook:0:beforeRun`),
 * calls are counted from 1; a fault is armed for a given call, for the next call, or at random.
 */
export class FaultPlan {
  /** Every fault injected so far, in order. */
  readonly injected: InjectedFault[] = [];
  readonly #calls = new Map<string, number>();
  readonly #scheduled = new Map<string, Map<number, Fault>>();
  readonly #next = new Map<string, Fault>();
  #random: { rate: number; rng: () => number; kinds: readonly FaultKind[]; seams?: RegExp } | undefined;

  /** Fails call number `call` of `seam`. */
  at(seam: string, call: number, fault: Fault): this {
    let calls = this.#scheduled.get(seam);
    if (calls === undefined) this.#scheduled.set(seam, (calls = new Map()));
    calls.set(call, fault);
    return this;
  }

  /** Fails the next call of `seam`. */
  next(seam: string, fault: Fault): this {
    this.#next.set(seam, fault);
    return this;
  }

  /** Fails each call (of seams matching `seams`) with probability `rate`, kinds drawn from `kinds`. */
  random(
    rate: number,
    rng: () => number,
    kinds: readonly FaultKind[] = ['aborted', 'unavailable'],
    seams?: RegExp,
  ): this {
    this.#random = { rate, rng, kinds, ...(seams ? { seams } : {}) };
    return this;
  }

  /** How many times `seam` was called. */
  calls(seam: string): number {
    return this.#calls.get(seam) ?? 0;
  }

  /** Counts a call of `seam` and returns the fault to inject, if any. */
  check(seam: string): Fault | undefined {
    const call = (this.#calls.get(seam) ?? 0) + 1;
    this.#calls.set(seam, call);
    let fault = this.#next.get(seam);
    if (fault !== undefined) this.#next.delete(seam);
    fault ??= this.#scheduled.get(seam)?.get(call);
    const r = this.#random;
    if (fault === undefined && r !== undefined && (r.seams === undefined || r.seams.test(seam)) && r.rng() < r.rate) {
      fault = { kind: r.kinds[Math.floor(r.rng() * r.kinds.length)]!, async: r.rng() < 0.5 };
    }
    return fault;
  }

  /**
   * Runs `fn` unless `seam` fails now: then throws the fault's value (synchronously, or from a
   * rejected promise for an async fault) without calling `fn`.
   */
  guard<R>(seam: string, fn: () => R): R {
    const fault = this.check(seam);
    if (fault === undefined) return fn();
    const value = faultValue(fault.kind, seam);
    this.injected.push({ seam, call: this.calls(seam), kind: fault.kind, value });
    if (fault.async) return Promise.resolve().then(() => Promise.reject(value)) as R;
    throw value;
  }
}

const HOOK_METHODS = ['begin', 'afterCreateSession', 'beforeRun', 'afterRun', 'end', 'endOnError'] as const;

/** Wraps a hook so each of its methods can fail, at seams `hook:<name>:<method>`. */
export function faultyHook(hook: Hook, plan: FaultPlan, name: string): Hook {
  const out: Record<string, unknown> = {};
  for (const method of HOOK_METHODS) {
    const fn = (hook as Record<string, unknown>)[method];
    if (typeof fn !== 'function' && method !== 'beforeRun' && method !== 'afterRun') continue;
    out[method] = (...args: unknown[]) =>
      plan.guard(`hook:${name}:${method}`, () => (typeof fn === 'function' ? fn.apply(hook, args) : undefined));
  }
  return out as Hook;
}

/** A session whose `run` (seam `run`) and `close` (seam `close`) can fail. */
export function faultySession(session: Session, plan: FaultPlan): Session {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'run') return (...args: Parameters<Session['run']>) => plan.guard('run', () => target.run(...args));
      // A failing close still closes (it reports an error, as a real one would after releasing).
      if (prop === 'close')
        return async () => {
          await target.close();
          return plan.guard('close', () => undefined);
        };
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A session creator whose steps can fail (seams `create`, `restore`, `init`) and whose sessions
 * are {@link faultySession}s. Keeps the inner creator's steps, so the lifecycle shows them.
 */
export class FaultySessionCreator implements SteppedSessionCreator {
  readonly inner: SessionCreator;
  readonly plan: FaultPlan;
  readonly restores: boolean;

  constructor(inner: SessionCreator, plan: FaultPlan) {
    this.inner = inner;
    this.plan = plan;
    this.restores = isSteppedCreator(inner) ? inner.restores : false;
  }

  async openSession(): Promise<Session> {
    const session = await this.plan.guard('create', () =>
      isSteppedCreator(this.inner) ? this.inner.openSession() : this.inner.createSession(),
    );
    return faultySession(session, this.plan);
  }

  async restoreSession(session: Session): Promise<boolean> {
    return this.plan.guard('restore', () =>
      isSteppedCreator(this.inner) ? this.inner.restoreSession(session) : Promise.resolve(false),
    );
  }

  async initializeSession(session: Session, restored: boolean): Promise<void> {
    await this.plan.guard('init', () =>
      isSteppedCreator(this.inner) ? this.inner.initializeSession(session, restored) : Promise.resolve(),
    );
  }

  async createSession(): Promise<Session> {
    const session = await this.openSession();
    await this.initializeSession(session, await this.restoreSession(session));
    return session;
  }
}

/** An op computing `fn()` that can fail (seam `op:<name>`): a faulty input for queue runners. */
export function faultyOp<T>(graph: Graph, name: string, plan: FaultPlan, fn: () => T | Promise<T>): Tensor<Awaited<T>> {
  return graph.op(name, [], () => plan.guard(`op:${name}`, fn)) as Tensor<Awaited<T>>;
}

/** A saver whose `save` (seam `save`) and `restore` (seam `restore-file`) can fail. */
export function faultySaver(saver: SaverLike, plan: FaultPlan): SaverLike {
  return {
    save: (session, savePath, options) => plan.guard('save', () => saver.save(session, savePath, options)),
    restore: (session, prefix) => plan.guard('restore-file', () => saver.restore(session, prefix)),
    ...(saver.recoverLastCheckpoints
      ? { recoverLastCheckpoints: (paths: readonly string[]) => saver.recoverLastCheckpoints!(paths) }
      : {}),
  };
}

/**
 * A hook that reports a fault to the session's coordinator (as a failing background thread
 * would) on its run number `atRun`, or when `report()` is called.
 */
export class CoordinatorFaultHook implements Hook {
  #coord: { requestStop(error?: unknown): void } | undefined;
  #runs = 0;
  readonly #plan: FaultPlan;

  constructor(plan: FaultPlan) {
    this.#plan = plan;
  }

  afterCreateSession(_session: Session, coord: { requestStop(error?: unknown): void }): void {
    this.#coord = coord;
  }

  afterRun(): void {
    this.#runs++;
    const fault = this.#plan.check('coordinator');
    if (fault !== undefined) this.report(fault.kind);
  }

  /** Reports a fault of `kind` to the current coordinator now; returns the reported value. */
  report(kind: FaultKind): unknown {
    const value = faultValue(kind, 'coordinator');
    this.#plan.injected.push({ seam: 'coordinator', call: this.#runs, kind, value });
    this.#coord?.requestStop(value);
    return value;
  }
}
