/**
 * Checks of what the runtime hands a hook, for a hook method a user calls directly: a wrong
 * argument is a `UsageTypeError` naming the method and the argument, never a TypeError from
 * inside the hook. On the per-step path (`afterRun`) each check is one `instanceof` or `typeof`
 * test on a prebuilt rule: nothing is allocated unless the check fails. @internal
 * @example
 * const AFTER_RUN = 'MyHook.afterRun';
 * override afterRun(ctx: SessionRunContext, values: SessionRunValues<number>) {
 *   checkRunArgs(AFTER_RUN, ctx, values);
 *   const step = stepResult(AFTER_RUN, values.results);
 * }
 */
import { Graph } from '../graph/Graph.ts';
import { Session } from '../graph/Session.ts';
import { expect, instanceOf, is, optional, rule } from '../internal/validate.ts';
import { SessionRunContext, SessionRunValues } from '../session/SessionRunHook.ts';

/** A session: a `Session`, or one that acts as one (a `run` method and a graph), as the saver accepts. */
const sessionRule = rule<Session>(
  'a Session',
  'type',
  (v) =>
    v instanceof Session ||
    (v !== null &&
      typeof v === 'object' &&
      typeof (v as Session).run === 'function' &&
      (v as Session).graph instanceof Graph),
);
const contextRule = instanceOf(SessionRunContext);
const valuesRule = instanceOf(SessionRunValues);
const graphRule = instanceOf(Graph);
const stepRule = rule<number>('a number (the global step)', 'type', (v) => typeof v === 'number');
const infoRule = rule<{ reason: string }>(
  'an EndInfo ({ reason })',
  'type',
  (v) => v !== null && typeof v === 'object' && typeof (v as { reason?: unknown }).reason === 'string',
);

/** `session`, checked: what `afterCreateSession` and `end` receive. */
export function checkSession(api: string, session: unknown): Session {
  return expect(api, 'session', session, sessionRule);
}

/** `begin`'s graph, checked: a `Graph`, or `undefined` when the monitored session has none. */
export function checkGraph(api: string, graph: unknown): Graph | undefined {
  return optional(api, 'graph', graph, graphRule);
}

/** `end`'s second argument, checked: an object with the reason (`{ reason }`). */
export function checkEndInfo(api: string, info: unknown): void {
  expect(api, 'info', info, infoRule);
}

/** `beforeRun`'s argument, checked: a `SessionRunContext`. */
export function checkRunContext(api: string, runContext: unknown): SessionRunContext {
  return expect(api, 'runContext', runContext, contextRule);
}

/** `afterRun`'s arguments, checked: a `SessionRunContext` and a `SessionRunValues`. */
export function checkRunArgs(api: string, runContext: unknown, runValues: unknown): void {
  // The per-step case first: two instanceof tests (which throw only for a revoked proxy).
  try {
    if (runContext instanceof SessionRunContext && runValues instanceof SessionRunValues) return;
  } catch {
    // a revoked proxy: the checks below name it
  }
  expect(api, 'runContext', runContext, contextRule);
  expect(api, 'runValues', runValues, valuesRule);
}

/** The session of a run context, checked when the hook is about to run it. */
export function runSession(api: string, runContext: SessionRunContext): Session {
  return expect(api, 'runContext.session', runContext.session, sessionRule);
}

/** The global step a hook fetched (its `runValues.results`), checked: a number. */
export function stepResult(api: string, results: unknown): number {
  return typeof results === 'number' ? results : expect(api, 'runValues.results', results, stepRule);
}

/** A checkpointed state record, as `restoreCheckpointState` receives it: an object. */
export function checkState(api: string, state: unknown): Readonly<Record<string, unknown>> {
  return expect(api, 'state', state, is.object);
}
