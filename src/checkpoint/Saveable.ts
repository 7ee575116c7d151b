import { isThenable } from '../internal/promise.ts';
import { UsageValueError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import { expect, is, misuse, rule, withMethods } from '../internal/validate.ts';

/**
 * Checkpointed state that is not a graph variable: tfjs weights and optimizer slots, input
 * positions, random generator state, a hook's counters. The `Saver` asks for it in the same pass
 * as the variables and writes it into the same files; restore hands back exactly what was saved.
 *
 * Values are anything a variable may hold: numbers (NaN, ±Infinity), booleans, strings, bigint,
 * null, plain JSON data, Date, Map, Set and typed arrays (stored as raw bytes, not copied).
 *
 * @example
 * const rng: Saveable = {
 *   saveState: () => ({ seed: rng.seed, draws: rng.draws }),
 *   restoreState: (s) => rng.seek(s.seed as number, s.draws as number),
 * };
 * new Saver({ saveables: { rng } });
 */
export interface Saveable {
  /** The state to checkpoint, as a record of values (may be async). */
  saveState(context: SaveableContext): Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;
  /** Puts back exactly what {@link Saveable.saveState} returned when the checkpoint was written. */
  restoreState(state: Readonly<Record<string, unknown>>, context: SaveableContext): void | Promise<void>;
  /**
   * Called instead of `restoreState` when the checkpoint being restored predates this saveable
   * (it holds the variables but nothing under this name). Optional: without it the saveable is
   * simply left as it is, and `Saver.restore` reports the name in `absentSaveables`.
   */
  restoreAbsent?(context: SaveableContext): void | Promise<void>;
}

/** What a saveable is told at each save and restore: the session being saved or restored. */
export interface SaveableContext {
  /** State that lives in the session's store (per session) is read and written through it. */
  readonly session: Session;
}

/** An entry of the graph collection `GraphKeys.SAVEABLE_OBJECTS`. */
export interface SaveableEntry {
  /** The name the state is filed under in checkpoints (`<name>/<key>`). */
  readonly name: string;
  readonly saveable: Saveable;
}

/** What `Saver.restore` did beyond the variables. */
export interface RestoreResult {
  /** The checkpoint restored (absolute prefix). */
  readonly prefix: string;
  /** Saveables whose state was restored. */
  readonly restoredSaveables: readonly string[];
  /** Saveables of this saver with no state in the checkpoint (written before they existed). */
  readonly absentSaveables: readonly string[];
  /** State in the checkpoint for saveables this saver does not know (left unread). */
  readonly unknownSaveables: readonly string[];
}

export const isSaveable = withMethods<Saveable>(
  'a Saveable (an object with saveState and restoreState)',
  'saveState',
  'restoreState',
);

const isSaveableName = rule<string>(
  'a non-empty name without a leading or trailing `/`',
  'value',
  (v) => typeof v === 'string' && v.length > 0 && !v.startsWith('/') && !v.endsWith('/'),
);

/** Checks the `saveables` option of `Saver`. */
export function checkSaveables(api: string, saveables: unknown): ReadonlyMap<string, Saveable> {
  const out = new Map<string, Saveable>();
  if (saveables === undefined) return out;
  const record = expect(api, 'saveables', saveables, is.plainObject);
  for (const [name, saveable] of Object.entries(record)) {
    expect(api, 'saveables', name, isSaveableName);
    out.set(name, expect(api, `saveables.${name}`, saveable, isSaveable));
  }
  return out;
}

/**
 * Every saveable a saver handles: those given to it, then those in the graph collection
 * `GraphKeys.SAVEABLE_OBJECTS`. One name, one object: a name registered twice for two different
 * objects is refused.
 */
export function collectSaveables(api: string, own: ReadonlyMap<string, Saveable>, graph: Graph): Map<string, Saveable> {
  const all = new Map(own);
  for (const entry of graph.getCollection<SaveableEntry>(GraphKeys.SAVEABLE_OBJECTS)) {
    if (entry === null || typeof entry !== 'object')
      misuse(api, 'SAVEABLE_OBJECTS', 'entries { name, saveable }', entry, 'type');
    const { name, saveable } = checkedEntry(api, entry);
    const known = all.get(name);
    if (known !== undefined && known !== saveable) {
      throw new UsageValueError(`${api}: two different saveables are registered under the name '${name}'`, {
        api,
        option: 'saveables',
        received: name,
      });
    }
    all.set(name, saveable);
  }
  return all;
}

/** Entries of `SAVEABLE_OBJECTS` already checked, with what they held then: each save checks only what changed. */
const checkedEntries = new WeakMap<object, SaveableEntry>();

function checkedEntry(api: string, entry: SaveableEntry): SaveableEntry {
  const known = checkedEntries.get(entry);
  if (known !== undefined && known.name === entry.name && known.saveable === entry.saveable) return known;
  const name = expect(api, 'SAVEABLE_OBJECTS name', entry.name, isSaveableName);
  const saveable = expect(api, `SAVEABLE_OBJECTS ${name}`, entry.saveable, isSaveable);
  const checked = { name, saveable };
  checkedEntries.set(entry, checked);
  return checked;
}

/**
 * Calls `saveState` on each saveable and checks that it returned a record. All at once: each
 * may read the session's store (one round trip on a remote store, not one each); when none
 * returns a promise (an in-process store), the states are there at once, with no await.
 */
export function gatherStates(
  api: string,
  saveables: ReadonlyMap<string, Saveable>,
  context: SaveableContext,
): States | Promise<States> {
  const names: string[] = [];
  const results: unknown[] = [];
  let pending = false;
  for (const [name, saveable] of saveables) {
    let result: unknown;
    try {
      result = saveable.saveState(context);
    } catch (error) {
      result = Promise.reject(error as Error); // settled with the others, as an async saveState's would be
    }
    pending ||= isThenable(result);
    names.push(name);
    results.push(result);
  }
  return pending ? Promise.all(results).then((values) => statesOf(api, names, values)) : statesOf(api, names, results);
}

type States = Map<string, Readonly<Record<string, unknown>>>;

/** The states by name, each checked to be a record. */
function statesOf(api: string, names: readonly string[], values: readonly unknown[]): States {
  const states: States = new Map();
  for (let i = 0; i < names.length; i++) {
    const state = values[i];
    if (state === null || typeof state !== 'object' || Array.isArray(state) || isThenable(state)) {
      misuse(api, `saveables.${names[i]!}.saveState()`, 'a record of values', state, 'type');
    }
    states.set(names[i]!, state as Readonly<Record<string, unknown>>);
  }
  return states;
}
