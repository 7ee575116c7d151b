/**
 * The options of `MonitoredSession.create` and `SingularMonitoredSession.create`, validated and
 * resolved into the one shape both sessions are built from.
 */
import { inspectorHooks } from './inspectorSeam.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { UsageTypeError } from '../errors.ts';
import { Graph } from '../graph/Graph.ts';
import type { SessionConfig } from '../graph/Session.ts';
import type { Hook } from './SessionRunHook.ts';
import { checkOptions, expect, instanceOf, is, misuse, optional, withMethods } from '../internal/validate.ts';
import { clockRule, hookRule, inspectRule } from './rules.ts';
import { ChiefSessionCreator, type SessionCreator } from './creators.ts';
import type { InspectObserver } from './lifecycleEffects.ts';
import { resolveRecoveryPolicy, type RecoveryPolicy, type ResolvedRecoveryPolicy } from './recovery.ts';
import type { Scaffold } from './Scaffold.ts';

export type { InspectObserver };

/** Options of {@link MonitoredSession.create}. */
export interface MonitoredSessionOptions {
  /** Creates (and recreates) sessions. @default new ChiefSessionCreator({ graph }) */
  sessionCreator?: SessionCreator;
  hooks?: readonly Hook[];
  /** Seconds producers, runs and each hook's `end` get at close before they are abandoned. @default 120 */
  stopGracePeriodSecs?: number;
  /** Needed when no `sessionCreator` is given. */
  graph?: Graph;
  /** How to recover from lost sessions. @default retry AbortedError/UnavailableError forever, short capped backoff */
  recovery?: RecoveryPolicy;
  /** Clock for backoff, grace periods and waits. @default systemClock */
  clock?: Clock;
  /** An xstate inspection observer (e.g. a statechart inspector), given every actor. */
  inspect?: InspectObserver;
}

/** Options of {@link SingularMonitoredSession.create}: a chief session creator's options, hooks and grace. */
export interface SingularMonitoredSessionOptions {
  graph: Graph;
  hooks?: readonly Hook[];
  scaffold?: Scaffold;
  /** @default '' */
  master?: string;
  config?: SessionConfig;
  checkpointDir?: string;
  /** @default 120 */
  stopGracePeriodSecs?: number;
  checkpointFilenameWithPath?: string;
  clock?: Clock;
  inspect?: InspectObserver;
}

/** The one shape both monitored sessions are built from. */
export interface ResolvedSessionOptions {
  readonly api: string;
  readonly hooks: readonly Hook[];
  readonly creator: SessionCreator;
  readonly policy: ResolvedRecoveryPolicy;
  readonly clock: Clock;
  readonly graceSecs: number;
  readonly graph: Graph | undefined;
  readonly inspect: InspectObserver | undefined;
}

const creatorRule = withMethods<SessionCreator>('a SessionCreator (with createSession())', 'createSession');

function common(api: string, o: { readonly [k: string]: unknown }) {
  const hooks = optional(api, 'hooks', o['hooks'], is.array) ?? [];
  hooks.forEach((hook, i) => expect(api, `hooks[${i}]`, hook, hookRule));
  const inspect = optional(api, 'inspect', o['inspect'], inspectRule);
  return {
    // An inspector adds its step sampler last (it has no per-step methods).
    hooks: [...hooks, ...inspectorHooks(inspect, hooks as Hook[])] as Hook[],
    graceSecs: optional(api, 'stopGracePeriodSecs', o['stopGracePeriodSecs'], is.duration) ?? 120,
    clock: optional(api, 'clock', o['clock'], clockRule) ?? systemClock,
    inspect,
  };
}

/** Validates the options of `MonitoredSession.create`. @internal */
export function resolveMonitoredSessionOptions(options: unknown): ResolvedSessionOptions {
  const api = 'MonitoredSession.create';
  const o = checkOptions(api, options, [
    'sessionCreator',
    'hooks',
    'stopGracePeriodSecs',
    'graph',
    'recovery',
    'clock',
    'inspect',
  ]);
  const base = common(api, o);
  const graph = optional(api, 'graph', o.graph, instanceOf(Graph));
  let creator = optional(api, 'sessionCreator', o.sessionCreator, creatorRule);
  if (creator === undefined) {
    if (graph === undefined) misuse(api, 'graph', 'a Graph (or a `sessionCreator`)', undefined);
    creator = new ChiefSessionCreator({ graph, clock: base.clock });
  }
  const creatorGraph = (creator as { graph?: unknown }).graph;
  return {
    api: 'MonitoredSession',
    ...base,
    creator,
    policy: resolveRecoveryPolicy(o.recovery as RecoveryPolicy | undefined, api),
    graph: graph ?? (creatorGraph instanceof Graph ? creatorGraph : undefined),
  };
}

/** Validates the options of `SingularMonitoredSession.create`. @internal */
export function resolveSingularOptions(options: unknown): ResolvedSessionOptions {
  const api = 'SingularMonitoredSession.create';
  const o = checkOptions(
    api,
    options,
    [
      'graph',
      'hooks',
      'scaffold',
      'master',
      'config',
      'checkpointDir',
      'stopGracePeriodSecs',
      'checkpointFilenameWithPath',
      'clock',
      'inspect',
    ],
    { required: true },
  );
  const base = common(api, o);
  const graph = optional(api, 'graph', o.graph, instanceOf(Graph));
  if (graph === undefined) misuse(api, 'graph', 'a Graph', undefined, 'type');
  const creator = new ChiefSessionCreator({
    graph,
    scaffold: o.scaffold as Scaffold | undefined,
    master: o.master as string | undefined,
    config: o.config as SessionConfig | undefined,
    checkpointDir: o.checkpointDir as string | undefined,
    checkpointFilenameWithPath: o.checkpointFilenameWithPath as string | undefined,
    clock: base.clock,
  });
  return { api: 'SingularMonitoredSession', ...base, creator, policy: resolveRecoveryPolicy(undefined, api), graph };
}

/** `new MonitoredSession(...)` from plain JavaScript: refused, pointing to `create()`. @internal */
export function refuseNew(api: string, received: unknown): never {
  throw new UsageTypeError(`${api}: use \`await ${api}.create(options)\`, not \`new ${api}(...)\``, {
    api,
    option: 'new',
    received,
  });
}
