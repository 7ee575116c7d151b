/**
 * The one validation helper for the public API. Every constructor, function and option of the
 * package checks its input here, eagerly, and misuse always surfaces as a {@link UsageError}
 * (a `UsageTypeError` or a `UsageValueError`) whose message names the API, the option in this
 * API's own spelling, what was expected and the value received:
 *
 *   CheckpointSaverHook: expected `saveSteps` to be a positive integer, got -1
 *
 * @example
 * const opts = checkOptions('StopAtStepHook', options, ['numSteps', 'lastStep']);
 * const numSteps = optional('StopAtStepHook', 'numSteps', opts.numSteps, is.nonNegativeInteger);
 */
import { describeValue, UnknownOptionError, UsageTypeError, UsageValueError } from '../errors.ts';

/** A named check: what it expects (for the message), and whether a failure is a type or a value error. */
export interface Rule<T> {
  readonly expected: string;
  readonly kind: 'type' | 'value';
  test(value: unknown): value is T;
}

/** Builds a {@link Rule}. */
export function rule<T>(expected: string, kind: 'type' | 'value', test: (value: unknown) => boolean): Rule<T> {
  return { expected, kind, test: test as (value: unknown) => value is T };
}

/** The largest delay a Node timer honours (2^31 - 1 ms); anything above is "forever". */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** True when a delay in milliseconds means "no timer at all": `Infinity` or past what a timer can hold. */
export function isForever(ms: number): boolean {
  return ms > MAX_TIMER_MS;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** The rules the package uses; compose more with {@link rule}, {@link arrayOf}, {@link instanceOf}, {@link oneOf}. */
export const is = {
  number: rule<number>('a number', 'type', isNumber),
  finiteNumber: rule<number>('a finite number', 'value', (v) => Number.isFinite(v)),
  nonNegativeNumber: rule<number>('a non-negative number', 'value', (v) => isNumber(v) && v >= 0),
  positiveNumber: rule<number>('a positive number', 'value', (v) => isNumber(v) && v > 0),
  /** Seconds or milliseconds where `Infinity` (or anything past a timer's range) means "never". */
  duration: rule<number>('a non-negative number (Infinity for no limit)', 'value', (v) => isNumber(v) && v >= 0),
  integer: rule<number>('an integer', 'value', (v) => Number.isSafeInteger(v)),
  nonNegativeInteger: rule<number>(
    'a non-negative integer',
    'value',
    (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  ),
  positiveInteger: rule<number>('a positive integer', 'value', (v) => Number.isSafeInteger(v) && (v as number) > 0),
  boolean: rule<boolean>('a boolean', 'type', (v) => typeof v === 'boolean'),
  string: rule<string>('a string', 'type', (v) => typeof v === 'string'),
  nonEmptyString: rule<string>('a non-empty string', 'value', (v) => typeof v === 'string' && v.length > 0),
  function: rule<(...args: never[]) => unknown>('a function', 'type', (v) => typeof v === 'function'),
  object: rule<Record<string, unknown>>(
    'an object',
    'type',
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  ),
  plainObject: rule<Record<string, unknown>>('a plain object', 'type', isPlainObject),
  array: rule<unknown[]>('an array', 'type', (v) => Array.isArray(v)),
} as const;

const notArray = rule<object>('an options object', 'type', (v) => !Array.isArray(v));

/** A rule for `value instanceof cls`. */
export function instanceOf<T>(cls: abstract new (...args: never[]) => T, name = cls.name): Rule<T> {
  return rule<T>(`a ${name}`, 'type', (v) => v instanceof cls);
}

/** A rule for an array whose every element passes `item`. */
export function arrayOf<T>(item: Rule<T>, expected = `an array of ${plural(item.expected)}`): Rule<T[]> {
  return rule<T[]>(expected, 'type', (v) => Array.isArray(v) && v.every((x) => item.test(x)));
}

/** A rule for one of a few literal values. */
export function oneOf<const T extends readonly unknown[]>(...values: T): Rule<T[number]> {
  return rule<T[number]>(`one of ${values.map((v) => describeValue(v)).join(', ')}`, 'value', (v) =>
    values.includes(v),
  );
}

/** A rule that passes when any of `rules` passes. */
export function anyOf<T>(expected: string, ...rules: Rule<T>[]): Rule<T> {
  return rule<T>(expected, rules.every((r) => r.kind === 'type') ? 'type' : 'value', (v) =>
    rules.some((r) => r.test(v)),
  );
}

/** A rule for an object with the given methods (duck typing), e.g. a clock or a logger. */
export function withMethods<T>(expected: string, ...methods: string[]): Rule<T> {
  return rule<T>(expected, 'type', (v) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
    return methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function');
  });
}

function plural(expected: string): string {
  return expected.replace(/^an? /, '').replace(/([^s])$/, '$1s');
}

/** Throws the misuse error for `option` of `api`, naming what was expected and the value received. */
export function misuse(
  api: string,
  option: string,
  expected: string,
  received: unknown,
  kind: 'type' | 'value' = 'value',
): never {
  const message = `${api}: expected \`${option}\` to be ${expected}, got ${describeValue(received)}`;
  const fields = { api, option, received };
  throw kind === 'type' ? new UsageTypeError(message, fields) : new UsageValueError(message, fields);
}

/** Returns `value` when it passes `check`, else throws the misuse error naming `api` and `option`. */
export function expect<T>(api: string, option: string, value: unknown, check: Rule<T>): T {
  if (!passes(api, option, value, check)) misuse(api, option, check.expected, value, check.kind);
  return value;
}

/** Runs a rule; a value that throws while being inspected (a revoked proxy, a throwing trap) fails it. */
function passes<T>(api: string, option: string, value: unknown, check: Rule<T>): value is T {
  try {
    return check.test(value);
  } catch (cause) {
    const message = `${api}: expected \`${option}\` to be ${check.expected}, got a value that threw when inspected`;
    throw new UsageTypeError(message, { api, option, received: value }, { cause });
  }
}

/** As {@link expect}, with `undefined` accepted (and returned) for an option left out. */
export function optional<T>(api: string, option: string, value: unknown, check: Rule<T>): T | undefined {
  return value === undefined ? undefined : expect(api, option, value, check);
}

/**
 * Checks that `options` is an options object (or `undefined`, read as `{}`) and that every key is
 * one of `known`. An unknown key is refused with an {@link UnknownOptionError} that names the
 * key and the known option it probably meant (`checkpoint_dir` → `checkpointDir`).
 */
export function checkOptions<K extends string>(
  api: string,
  options: unknown,
  known: readonly K[],
  { name = 'options', required = false }: { name?: string; required?: boolean } = {},
): { readonly [P in K]?: unknown } {
  if (options === undefined && !required) return {};
  if (options === null || typeof options !== 'object' || !passes(api, name, options, notArray))
    misuse(api, name, 'an options object', options, 'type');
  for (const key of Object.keys(options)) {
    if ((known as readonly string[]).includes(key)) continue;
    const suggestion = suggest(key, known);
    const hint =
      suggestion === undefined ? `; known options: ${known.join(', ')}` : `; did you mean \`${suggestion}\`?`;
    throw new UnknownOptionError(`${api}: unknown option \`${key}\`${hint}`, {
      api,
      option: key,
      received: (options as Record<string, unknown>)[key],
      suggestion,
    });
  }
  return options as { readonly [P in K]?: unknown };
}

/** The known name closest to `key`: same letters once case and `_`/`-` are ignored, else within edit distance 2. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const fold = (s: string): string => s.replace(/[_-]/g, '').toLowerCase();
  const folded = fold(key);
  const same = known.find((k) => fold(k) === folded);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(folded, fold(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
