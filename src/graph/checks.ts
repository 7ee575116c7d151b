/**
 * Argument checks shared by the graph-building APIs (`Graph`, `FIFOQueue`, `Tensor`, `Variable`,
 * the global step): misuse is refused eagerly with a `UsageError` naming the API and the option.
 * @internal
 */
import { arrayOf, expect, is, misuse, rule, type Rule } from '../internal/validate.ts';

/** A node name: a non-empty string without ':' or whitespace. */
export function checkName(api: string, name: unknown, option = 'name'): string {
  const text = expect(api, option, name, is.string);
  if (text.length === 0 || /[:\s]/.test(text)) misuse(api, option, "a non-empty string without ':' or spaces", name);
  return text;
}

/**
 * Returns `value` once it is known that `instanceof` can look at it: a revoked proxy (or one whose
 * `getPrototypeOf` trap throws) is refused with a `UsageTypeError` carrying the cause.
 */
export function inspectable<T>(api: string, option: string, value: T): T {
  if (value !== null && (typeof value === 'object' || typeof value === 'function'))
    expect(api, option, value, prototypeReadable);
  return value;
}

const prototypeReadable = rule('a value whose prototype can be read', 'type', (v) => {
  Object.getPrototypeOf(v);
  return true;
});

/** Something shaped like a `Graph` (duck-typed: `Graph` imports this module). */
export const graphLike: Rule<object> = rule('a Graph', 'type', (v) => {
  if (v === null || typeof v !== 'object') return false;
  const g = v as Record<string, unknown>;
  return typeof g['addNode'] === 'function' && typeof g['getCollection'] === 'function';
});

/** An array of collection keys. */
export const stringArray = arrayOf(is.string);

/** A queue capacity: a positive integer, or `Infinity` for an unbounded queue. */
export const capacityRule = rule<number>(
  'a positive integer or Infinity',
  'value',
  (v) => v === Infinity || (Number.isSafeInteger(v) && (v as number) > 0),
);

/**
 * True when `value` can be copied by `structuredClone` (what a variable's initializer does on
 * every initialization), so a function or symbol inside an initial value is refused at once.
 */
export function isCloneable(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return typeof value !== 'symbol';
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
