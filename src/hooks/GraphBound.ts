import { RuntimeError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Fetch } from '../graph/fetches.ts';
import type { Session } from '../graph/Session.ts';
import { SessionRunArgs } from '../session/SessionRunHook.ts';
import { checkGraph, checkSession } from './hookArgs.ts';

/**
 * A value a hook derives from the graph (a tensor, the global step): resolved at `begin` when the
 * monitored session passes its graph, else from the first session's graph. One copy of the rule
 * every hook follows. @internal
 * @example
 * readonly #step = new GraphBound('MyHook', (g) => requireGlobalStep(g, 'MyHook'));
 * override begin(graph?: Graph) { this.#step.begin(graph); }
 * override afterCreateSession(session: Session) { this.#step.afterCreateSession(session); }
 */
export class GraphBound<T> {
  readonly #resolve: (graph: Graph) => T;
  /** The hook's methods, for the messages of misuse (`MyHook.begin`: expected `graph` ...). */
  readonly #beginApi: string;
  readonly #createApi: string;
  #value: T | undefined;
  #resolved = false;
  #args: SessionRunArgs | undefined;

  constructor(api: string, resolve: (graph: Graph) => T) {
    this.#resolve = resolve;
    this.#beginApi = `${api}.begin`;
    this.#createApi = `${api}.afterCreateSession`;
  }

  /** Resolves against `graph` when it is known (a new `begin` resolves again). */
  begin(graph?: Graph): void {
    const checked = checkGraph(this.#beginApi, graph);
    if (checked === undefined) return;
    this.#value = this.#resolve(checked);
    this.#resolved = true;
    this.#args = undefined;
  }

  /** Resolves against the session's graph unless `begin` already did; returns the value. */
  afterCreateSession(session: Session): T {
    checkSession(this.#createApi, session);
    if (!this.#resolved) {
      this.#value = this.#resolve(session.graph);
      this.#resolved = true;
    }
    return this.#value as T;
  }

  /** True once resolved. */
  get resolved(): boolean {
    return this.#resolved;
  }

  /** `SessionRunArgs` fetching the value, made once per resolution (a hook's per-step request). */
  get fetchArgs(): SessionRunArgs {
    return (this.#args ??= new SessionRunArgs(this.value as Fetch));
  }

  /** The resolved value; a hook used before `begin` or any session is a runtime error. */
  get value(): T {
    if (!this.#resolved)
      throw new RuntimeError('A hook was run before `begin` or `afterCreateSession` resolved its tensors.');
    return this.#value as T;
  }
}
