import { InvalidArgumentError, OpError, UsageError, UsageTypeError, describeValue } from '../errors.ts';
import { misuse } from '../internal/validate.ts';
import type { Graph } from './Graph.ts';
import { Tensor } from './Tensor.ts';

/**
 * What `Session.run` can fetch: a tensor, a node name, or any nesting of arrays and plain
 * objects of them. `null`/`undefined` leaves come back unchanged.
 */
export type Fetch = Tensor<any> | string | null | undefined | FetchArray | FetchObject;
/** An array of fetches. */
export interface FetchArray extends ReadonlyArray<Fetch> {}
/** A plain object of fetches. */
export interface FetchObject {
  readonly [key: string]: Fetch;
}

/** The result of fetching `F`: the same structure with each tensor replaced by its value. */
export type FetchResult<F> =
  F extends Tensor<infer T>
    ? T
    : F extends string
      ? unknown
      : F extends null | undefined
        ? F
        : F extends readonly unknown[]
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : F extends object
            ? { -readonly [K in keyof F]: FetchResult<F[K]> }
            : never;

/** Feeds: a map keyed by tensors or node names, or a plain object keyed by node names. */
export type FeedDict = ReadonlyMap<Tensor<any> | string, unknown> | { readonly [name: string]: unknown };

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Resolves a tensor or a name against `graph`, or throws `InvalidArgumentError`. */
export function resolveTensor(graph: Graph, item: Tensor | string, api: string, role: string): Tensor {
  if (item instanceof Tensor) {
    if (item.graph !== graph) {
      throw new InvalidArgumentError(`${api}: ${role} ${item.toString()} is not an element of this graph`, {
        op: item.name,
      });
    }
    return item;
  }
  const tensor = graph.tryGetTensorByName(item);
  if (tensor === undefined) {
    throw new InvalidArgumentError(`${api}: ${role} ${describeValue(item)} does not name a node of this graph`);
  }
  return tensor;
}

/** Deepest nesting of a fetch structure; deeper (or cyclic) structures are refused, never overflow the stack. */
const MAX_FETCH_DEPTH = 256;

/**
 * Runs `read`, which walks a structure the caller passed as `option`. Errors of the family pass
 * through; anything else the walk raised (a throwing getter or proxy trap, a revoked proxy, a
 * `Map` look-alike) becomes a `UsageTypeError` naming `option`, with the original as its cause.
 * @internal
 */
export function readingInput<R>(option: string, value: unknown, read: () => R): R {
  try {
    return read();
  } catch (error) {
    throw inputError(option, value, error);
  }
}

/** The error to throw for `error` raised while walking `option` (see {@link readingInput}). @internal */
export function inputError(option: string, value: unknown, error: unknown): unknown {
  if (error instanceof OpError || error instanceof UsageError) return error;
  const reason = error instanceof Error ? error.message : describeValue(error);
  return new UsageTypeError(
    `Session.run: reading \`${option}\` failed: ${reason}`,
    { api: 'Session.run', option, received: value },
    { cause: error },
  );
}

/** Refuses a container already on the path from the root (a cycle) or nested too deeply. */
function enter(path: object[], fetch: object): void {
  if (path.includes(fetch))
    misuse('Session.run', 'fetches', 'a tree of fetches without cycles (a container holds itself)', fetch);
  if (path.length >= MAX_FETCH_DEPTH)
    misuse('Session.run', 'fetches', `nested at most ${MAX_FETCH_DEPTH} levels deep`, fetch);
  path.push(fetch);
}

/** How the result of a run is shaped from the fetched values. */
export const FetchShape = { SINGLE: 0, FLAT_ARRAY: 1, NESTED: 2 } as const;
export type FetchShape = (typeof FetchShape)[keyof typeof FetchShape];

/**
 * Appends the tensors of a fetch structure to `out` and says how to shape the result: one value,
 * the flat array of values as is, or a rebuilt structure. One walk of the structure per run.
 */
export function collectFetches(graph: Graph, fetch: unknown, out: Tensor[]): FetchShape {
  if (fetch instanceof Tensor || typeof fetch === 'string') {
    out.push(resolveTensor(graph, fetch, 'Session.run', 'fetch'));
    return FetchShape.SINGLE;
  }
  if (!Array.isArray(fetch)) {
    flattenFetches(graph, fetch, out);
    return FetchShape.NESTED;
  }
  let shape: FetchShape = FetchShape.FLAT_ARRAY;
  let path: object[] | undefined;
  for (let i = 0; i < fetch.length; i++) {
    const item: unknown = fetch[i];
    if (item instanceof Tensor || typeof item === 'string') {
      out.push(resolveTensor(graph, item, 'Session.run', 'fetch'));
    } else {
      shape = FetchShape.NESTED;
      flattenFetches(graph, item, out, (path ??= [fetch]));
    }
  }
  return shape;
}

/**
 * Appends the tensors of a fetch structure to `out`, depth first, in key order. `path` holds the
 * containers from the root to here, so a cycle is refused instead of overflowing the stack.
 */
export function flattenFetches(graph: Graph, fetch: unknown, out: Tensor[], path: object[] = []): void {
  if (fetch instanceof Tensor || typeof fetch === 'string') {
    out.push(resolveTensor(graph, fetch, 'Session.run', 'fetch'));
  } else if (Array.isArray(fetch)) {
    enter(path, fetch);
    for (let i = 0; i < fetch.length; i++) flattenFetches(graph, fetch[i], out, path);
    path.pop();
  } else if (fetch === null || fetch === undefined) {
    // kept as is
  } else if (typeof fetch === 'object' && isPlainObject(fetch)) {
    enter(path, fetch);
    for (const key in fetch) flattenFetches(graph, (fetch as Record<string, unknown>)[key], out, path);
    path.pop();
  } else {
    throw new UsageTypeError(
      `Session.run: fetch argument ${describeValue(fetch)} has invalid type ${typeof fetch}; ` +
        'expected a Tensor, a node name, or an array or plain object of them',
      { api: 'Session.run', option: 'fetches', received: fetch },
    );
  }
}

/** Rebuilds the fetch structure with `values` (in `flattenFetches` order) in place of tensors. */
export function buildResult(fetch: unknown, values: readonly unknown[], cursor: { i: number }, depth = 0): unknown {
  if (fetch instanceof Tensor || typeof fetch === 'string') return values[cursor.i++];
  // Only a getter answering differently the second time can get here (the walk refused deeper).
  if (depth > MAX_FETCH_DEPTH) misuse('Session.run', 'fetches', `nested at most ${MAX_FETCH_DEPTH} levels deep`, fetch);
  if (Array.isArray(fetch)) {
    const out = new Array<unknown>(fetch.length);
    for (let i = 0; i < fetch.length; i++) out[i] = buildResult(fetch[i], values, cursor, depth + 1);
    return out;
  }
  if (fetch === null || fetch === undefined) return fetch;
  const out: Record<string, unknown> = {};
  for (const key in fetch as Record<string, unknown>) {
    out[key] = buildResult((fetch as Record<string, unknown>)[key], values, cursor, depth + 1);
  }
  return out;
}

/** Resolves the feeds to parallel arrays of tensors and values, rejecting unknown and duplicate keys. */
export function resolveFeeds(graph: Graph, feedDict: FeedDict): { tensors: Tensor[]; values: unknown[] } {
  return readingInput('feedDict', feedDict, () => resolveFeedsOf(graph, feedDict));
}

function resolveFeedsOf(graph: Graph, feedDict: FeedDict): { tensors: Tensor[]; values: unknown[] } {
  const feeds = { tensors: [] as Tensor[], values: [] as unknown[] };
  if (feedDict instanceof Map) {
    for (const [key, value] of feedDict) addFeed(graph, feeds, key, value);
  } else if (typeof feedDict === 'object' && isPlainObject(feedDict)) {
    for (const key in feedDict) addFeed(graph, feeds, key, (feedDict as Record<string, unknown>)[key]);
  } else {
    misuse('Session.run', 'feedDict', 'a Map or a plain object', feedDict, 'type');
  }
  return feeds;
}

/** Adds one feed (a module function, not a closure: no allocation per run). */
function addFeed(graph: Graph, feeds: { tensors: Tensor[]; values: unknown[] }, key: unknown, value: unknown): void {
  if (!(key instanceof Tensor) && typeof key !== 'string')
    misuse('Session.run', 'feedDict', 'keyed by Tensors or node names', key, 'type');
  const tensor = resolveTensor(graph, key, 'Session.run', 'feed key');
  if (feeds.tensors.includes(tensor)) {
    throw new InvalidArgumentError(`Session.run: tensor '${tensor.name}' is fed more than once in feedDict`, {
      op: tensor.name,
    });
  }
  feeds.tensors.push(tensor);
  feeds.values.push(value);
}
