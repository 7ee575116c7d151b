/** The options of `Saver` and `Saver.save`, and the rules that check them. */
import { endianness } from 'node:os';
import { systemClock, type Clock } from '../clock.ts';
import { UnimplementedError } from '../errors.ts';
import { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { arrayOf, checkOptions, instanceOf, is, optional, rule, withMethods } from '../internal/validate.ts';
import { checkSaveables, type Saveable } from './Saveable.ts';

/** Options of `Saver`. */
export interface SaverOptions {
  /** Variables to save and restore. @default the graph's global variables at each save/restore */
  varList?: readonly Variable[];
  /** Checkpoints kept; older ones are deleted. 0 or null keeps all. @default 5 */
  maxToKeep?: number | null;
  /** Also keep one checkpoint every N hours, whatever `maxToKeep` says. @default 10000 */
  keepCheckpointEveryNHours?: number;
  /** Clock for `keepCheckpointEveryNHours`. @default systemClock */
  clock?: Clock;
  /**
   * State that is not a graph variable, by name, saved in the same pass and files (`<name>/<key>`).
   * Saveables in the graph collection `GraphKeys.SAVEABLE_OBJECTS` are added at each save/restore.
   * @default {}
   */
  saveables?: Readonly<Record<string, Saveable>>;
}

/** Options of `Saver.save`. */
export interface SaveOptions {
  /** Appended to the prefix: `<savePath>-<step>`. A number or a tensor whose value is one. */
  globalStep?: number | Tensor<number>;
  /** Also write `<prefix>.meta` (the graph's description). @default true */
  writeMetaGraph?: boolean;
  /** Update the `checkpoint` state file and apply retention. @default true */
  writeState?: boolean;
}

export const NON_NEGATIVE_OR_NULL = rule<number>('a non-negative integer or null', 'value', (v) =>
  is.nonNegativeInteger.test(v),
);
export const SESSION = rule<Session>(
  'a Session',
  'type',
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as Session).run === 'function' &&
    (v as Session).graph instanceof Graph,
);
export const STEP = rule<number | Tensor<number>>(
  'an integer or a Tensor',
  'value',
  (v) => is.integer.test(v) || v instanceof Tensor,
);
export const CLOCK = withMethods<Clock>(
  'a Clock (with now, setTimeout, clearTimeout)',
  'now',
  'setTimeout',
  'clearTimeout',
);

export function checkLittleEndian(api: string): void {
  if (endianness() !== 'LE')
    throw new UnimplementedError(`${api}: checkpoints are little-endian; this host is big-endian`);
}

/** `Saver`'s options, checked, with their defaults. */
export function resolveSaverOptions(options: SaverOptions) {
  const known = ['varList', 'maxToKeep', 'keepCheckpointEveryNHours', 'clock', 'saveables'] as const;
  const opts = checkOptions('Saver', options, known);
  const maxToKeep =
    opts.maxToKeep === null ? null : (optional('Saver', 'maxToKeep', opts.maxToKeep, NON_NEGATIVE_OR_NULL) ?? 5);
  return {
    varList: optional('Saver', 'varList', opts.varList, arrayOf(instanceOf(Variable))),
    maxToKeep: maxToKeep ?? 0,
    keepCheckpointEveryNHours:
      optional('Saver', 'keepCheckpointEveryNHours', opts.keepCheckpointEveryNHours, is.positiveNumber) ?? 10000,
    clock: optional('Saver', 'clock', opts.clock, CLOCK) ?? systemClock,
    saveables: checkSaveables('Saver', opts.saveables),
  };
}
