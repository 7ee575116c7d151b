import { expect, misuse, rule } from '../internal/validate.ts';

const API = 'summary.buildHistogram';
const listRule = rule<HistogramValues>('an array or a typed array of numbers', 'type', (v) => isList(v));

/** TensorBoard's histogram record (`HistogramProto`). */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Upper edge of each bucket; bucket i covers `(bucketLimit[i-1], bucketLimit[i]]`. */
  bucketLimit: number[];
  bucket: number[];
}

let defaultLimits: Float64Array | undefined;

/** TensorFlow's default bucket edges: ±1e-12 growing by 1.1 up to 1e20, then ±DBL_MAX, and 0. */
export function defaultBucketLimits(): Float64Array {
  if (defaultLimits) return defaultLimits;
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  const limits = [...pos.map((v) => -v).reverse(), 0, ...pos];
  return (defaultLimits = Float64Array.from(limits));
}

/** First index whose limit is greater than `value` (C++ `upper_bound`). */
function upperBound(limits: Float64Array, value: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, limits.length - 1);
}

/** Values accepted by histograms: numbers, typed arrays, and (nested) arrays of numbers. */
export type HistogramValues = ArrayLike<number> | readonly unknown[];

/** True for what a histogram descends into: an array or a typed array (a revoked proxy is neither). */
function isList(x: unknown): x is ArrayLike<unknown> {
  try {
    return Array.isArray(x) || ArrayBuffer.isView(x);
  } catch {
    return false;
  }
}

/** Told of a value a histogram cannot count, with where it is (`[2][0]`); it throws. */
export type HistogramMisuse = (value: unknown, where: string) => never;

const publicMisuse: HistogramMisuse = (value, where) =>
  misuse(API, `values${where}`, 'a number (or nested arrays of numbers)', value, 'type');

/**
 * Builds a histogram the way TensorFlow's `Histogram::EncodeToProto` does: default buckets,
 * runs of empty buckets collapsed into one.
 */
export function buildHistogram(values: HistogramValues): HistogramProto {
  return histogramOf(expect(API, 'values', values, listRule), publicMisuse);
}

/** {@link buildHistogram} for a caller that reports bad values its own way (an op: InvalidArgument). @internal */
export function histogramOf(values: HistogramValues, fail: HistogramMisuse): HistogramProto {
  const limits = defaultBucketLimits();
  const counts = new Float64Array(limits.length);
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  const add = (v: number): void => {
    counts[upperBound(limits, v)]! += 1;
    if (v < min) min = v;
    if (v > max) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
  };
  // Nested lists are walked with a stack of their own (no recursion to overflow); a list that
  // contains itself is refused.
  const path: { xs: ArrayLike<unknown>; i: number }[] = [{ xs: values as ArrayLike<unknown>, i: 0 }];
  while (path.length > 0) {
    const top = path[path.length - 1]!;
    const xs = top.xs;
    let nested = false;
    while (top.i < xs.length) {
      const x = xs[top.i++];
      if (typeof x === 'number') add(x);
      else if (typeof x === 'bigint' || typeof x === 'boolean') add(Number(x));
      else if (isList(x) && !path.some((p) => p.xs === x)) {
        path.push({ xs: x, i: 0 });
        nested = true;
        break;
      } else fail(x, path.map((p) => `[${p.i - 1}]`).join(''));
    }
    if (!nested) path.pop();
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < limits.length;) {
    let end = limits[i]!;
    let count = counts[i]!;
    i++;
    if (count <= 0) {
      while (i < limits.length && counts[i]! <= 0) {
        end = limits[i]!;
        count = counts[i]!;
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}
