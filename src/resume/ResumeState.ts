import type { SaveableContext } from '../checkpoint/Saveable.ts';
import { readSaveableStates } from '../checkpoint/reader.ts';
import type { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { Session } from '../graph/Session.ts';

/** Whether a checkpoint (or a restore from one) continues a job exactly, and if not, why. */
export interface ResumeInfo {
  readonly exact: boolean;
  /** Why not, one sentence each (empty when exact). */
  readonly reasons: readonly string[];
}

/** The name of the saveable holding the resume flag in checkpoints. */
export const RESUME_SAVEABLE = 'resume';
/** The name of the saveable holding the hooks' declared state. */
export const HOOKS_SAVEABLE = 'hooks';

/** What the bookkeeping needs of a hook (the optional `Hook.checkpointState` pair). */
interface StatefulHook {
  checkpointState?(): Readonly<Record<string, unknown>>;
  restoreCheckpointState?(state: Readonly<Record<string, unknown>>): void;
}

const OLDER = 'the checkpoint holds no resume state (written by an older version or another program)';
const states = new WeakMap<Graph, ResumeState>();

/**
 * The resume bookkeeping of one graph: which producers can seek, the hooks whose state goes into
 * checkpoints, and what each restore said about exactness. Saved as two saveables: `resume` (the
 * flag and its reasons) and `hooks` (each stateful hook's `checkpointState()`, by name).
 * @internal
 */
export class ResumeState {
  readonly graph: Graph;
  /** Queue runners that resume from a consumed position (the others cannot). */
  readonly seekable = new WeakSet<object>();
  /** The hooks with declared state, by the name their state is filed under (see {@link namedHooks}). */
  #hooks: ReadonlyMap<string, StatefulHook> = new Map();
  /** Names taken by the graph's random generators. */
  readonly randomNames = new Set<string>();
  /** One record per restored session, oldest first; sessions are not held (a long job restores many). */
  readonly #records: { exact: boolean; reasons: string[] }[] = [];
  readonly #bySession = new WeakMap<Session, { exact: boolean; reasons: string[] }>();

  constructor(graph: Graph) {
    this.graph = graph;
    graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, {
      name: RESUME_SAVEABLE,
      saveable: {
        saveState: ({ session }: SaveableContext) => {
          const reasons = this.reasonsFor(session);
          return { exact: reasons.length === 0, reasons };
        },
        restoreState: (state: Readonly<Record<string, unknown>>, { session }: SaveableContext) => {
          const record = this.#record(session);
          if (state['exact'] !== true) {
            record.exact = false;
            const saved = Array.isArray(state['reasons']) ? state['reasons'].map(String) : [];
            record.reasons.push(...(saved.length > 0 ? saved : ['the checkpoint says it is not exact']));
          }
        },
        restoreAbsent: ({ session }: SaveableContext) => this.absent(session, OLDER),
      },
    });
    graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, {
      name: HOOKS_SAVEABLE,
      saveable: {
        saveState: () => this.#hookStates(),
        restoreState: (s: Readonly<Record<string, unknown>>) => this.#restoreHooks(s),
      },
    });
  }

  /** Why a checkpoint of `session` would not resume exactly (empty: it would). */
  reasonsFor(session: Session): string[] {
    const reasons: string[] = [];
    for (const runner of this.graph.getCollection<{ name: string }>(GraphKeys.QUEUE_RUNNERS)) {
      if (!this.seekable.has(runner)) {
        reasons.push(
          `queue runner '${runner.name}' has no seekable source: its position and the elements in its queue are not saved`,
        );
      }
    }
    if (session.target !== '') {
      reasons.push(`the session shares the store of '${session.target}': workers there update it asynchronously`);
    }
    return reasons;
  }

  /** The hooks a monitored session of this graph runs: their declared state is saved with each checkpoint. */
  set hooks(hooks: readonly StatefulHook[]) {
    this.#hooks = namedHooks(hooks);
  }

  /** Notes a restore of `session` that lacked the state of `what`. */
  absent(session: Session, reason: string): void {
    const record = this.#record(session);
    record.exact = false;
    record.reasons.push(reason);
  }

  /** One entry per restore so far, oldest first. */
  get restores(): ResumeInfo[] {
    return this.#records.map((r) => ({ exact: r.exact, reasons: [...r.reasons] }));
  }

  #record(session: Session): { exact: boolean; reasons: string[] } {
    let record = this.#bySession.get(session);
    if (record === undefined) {
      record = { exact: true, reasons: [] };
      this.#bySession.set(session, record);
      this.#records.push(record);
    }
    return record;
  }

  #hookStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, hook] of this.#hooks) out[name] = hook.checkpointState!();
    return out;
  }

  #restoreHooks(saved: Readonly<Record<string, unknown>>): void {
    for (const [name, hook] of this.#hooks) {
      const state = saved[name];
      if (state !== undefined && state !== null && typeof state === 'object')
        hook.restoreCheckpointState?.(state as Readonly<Record<string, unknown>>);
    }
  }
}

/**
 * The hooks that declare checkpoint state, each by its class name (`StepCounterHook`), with
 * `_1`, `_2`... for a second and third of one class, in the order the session runs them.
 */
function namedHooks(hooks: readonly StatefulHook[]): Map<string, StatefulHook> {
  const named = new Map<string, StatefulHook>();
  for (const hook of hooks) {
    if (typeof hook.checkpointState !== 'function') continue;
    const base = (hook.constructor as { name?: string } | undefined)?.name || 'hook';
    let name = base;
    for (let i = 1; named.has(name); i++) name = `${base}_${i}`;
    named.set(name, hook);
  }
  return named;
}

/**
 * The graph's resume bookkeeping, made (and registered as saveables) on first use.
 * @internal
 */
export function resumeState(graph: Graph): ResumeState {
  let state = states.get(graph);
  if (state === undefined) {
    state = new ResumeState(graph);
    states.set(graph, state);
  }
  return state;
}

/**
 * Tells the graph's resume bookkeeping which hooks a monitored session runs, so their declared
 * state (`checkpointState`) is saved with each checkpoint. A graph already finalized without it
 * is left alone.
 * @internal
 */
export function trackHooks(graph: Graph | undefined, hooks: readonly StatefulHook[]): void {
  if (graph === undefined) return;
  const state = states.get(graph) ?? (graph.finalized ? undefined : resumeState(graph));
  if (state !== undefined) state.hooks = hooks;
}

/**
 * Every restore of this graph's sessions so far, oldest first: whether each continued its job
 * exactly (data position, random state, hook state), and why not.
 * @example
 * if (!restoresOf(graph).every((r) => r.exact)) console.warn('resumed approximately');
 */
export function restoresOf(graph: Graph): ResumeInfo[] {
  return states.get(graph)?.restores ?? [];
}

/**
 * Reads a checkpoint's resume flag without a session: exact when it was written with every
 * producer's consumed position, the runtime's random state and the hooks' state.
 * @example
 * const { exact, reasons } = await exactResumeOf(await latestCheckpoint('runs/a'));
 */
export async function exactResumeOf(prefix: string): Promise<ResumeInfo> {
  const flag = (await readSaveableStates(prefix))[RESUME_SAVEABLE];
  if (flag === undefined) return { exact: false, reasons: [OLDER] };
  const reasons = Array.isArray(flag['reasons']) ? flag['reasons'].map(String) : [];
  return flag['exact'] === true ? { exact: true, reasons: [] } : { exact: false, reasons };
}
