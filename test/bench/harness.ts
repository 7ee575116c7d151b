/** A small side-by-side benchmark harness: alternating rounds, median per round, ratios. */

export interface Measured {
  name: string;
  /** Median nanoseconds per operation over the rounds. */
  nsPerOp: number;
}

/** Runs `fn(n)` (which performs n operations) for `rounds` rounds and returns the median ns/op. */
export async function measure(
  name: string,
  fn: (n: number) => Promise<void> | void,
  n: number,
  rounds = 7,
): Promise<Measured> {
  await fn(Math.max(1, Math.floor(n / 10))); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    await fn(n);
    samples.push(Number(process.hrtime.bigint() - start) / n);
  }
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[Math.floor(samples.length / 2)]! };
}

/** Measures `a` and `b` in alternating rounds so both see the same machine conditions. */
export async function sideBySide(
  a: [string, (n: number) => Promise<void> | void],
  b: [string, (n: number) => Promise<void> | void],
  n: number,
  rounds = 7,
): Promise<[Measured, Measured]> {
  const as: number[] = [];
  const bs: number[] = [];
  await a[1](Math.max(1, Math.floor(n / 10)));
  await b[1](Math.max(1, Math.floor(n / 10)));
  for (let r = 0; r < rounds; r++) {
    as.push((await measure(a[0], a[1], n, 1)).nsPerOp);
    bs.push((await measure(b[0], b[1], n, 1)).nsPerOp);
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [
    { name: a[0], nsPerOp: median(as) },
    { name: b[0], nsPerOp: median(bs) },
  ];
}

export function fmtUs(ns: number): string {
  return `${(ns / 1000).toFixed(3)} µs`;
}

export function fmtRate(nsPerOp: number): string {
  return `${Math.round(1e9 / nsPerOp).toLocaleString('en-US')}/s`;
}

/** Prints one result line; `ok` says whether the target holds. */
export function report(title: string, detail: string, ok: boolean | undefined): void {
  const mark = ok === undefined ? '    ' : ok ? 'PASS' : 'MISS';
  console.log(`${mark}  ${title.padEnd(52)} ${detail}`);
}

/** Milliseconds `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function rng(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => ((x = (x * 48271) % 2147483647) - 1) / 2147483646;
}
/** The order of each pair is drawn from this seed (BENCH_SEED), so a run can be repeated. */
const random = rng(Number(process.env['BENCH_SEED'] ?? 20261123));

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const quantile = (xs: readonly number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.round(q * (xs.length - 1))]!;

/** `items` in a random order drawn from BENCH_SEED (Fisher-Yates). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs `subject` and `floor` once per round, in a random order each round; times in ms. `before`
 * (untimed) runs before each of them: a garbage collection, say, so that each timed call starts
 * from the same heap without the collection's own time (and its variance) in the figures.
 */
export async function paired(
  rounds: number,
  subject: (round: number) => Promise<unknown>,
  floor: (round: number) => Promise<unknown>,
  before: () => void = () => {},
): Promise<{ subject: number[]; floor: number[] }> {
  const out = { subject: [] as number[], floor: [] as number[] };
  const one = async (side: 'subject' | 'floor', r: number): Promise<void> => {
    before();
    out[side].push(await timed(() => (side === 'subject' ? subject(r) : floor(r))));
  };
  for (let r = 0; r < rounds; r++) {
    const [first, second] = random() < 0.5 ? (['subject', 'floor'] as const) : (['floor', 'subject'] as const);
    await one(first, r);
    await one(second, r);
  }
  return out;
}

/**
 * A verdict on an interval (a spread or a confidence interval) against an upper bound: PASS
 * when all of it is at or under `max`, MISS when all of it is over, NOISE when `max` lies inside
 * it. `note` is what a NOISE line adds ('' otherwise): a load-dependent verdict says so.
 */
export function intervalVerdict(lo: number, hi: number, max: number) {
  const mark: 'PASS' | 'MISS' | 'NOISE' = hi <= max ? 'PASS' : lo > max ? 'MISS' : 'NOISE';
  const note = mark === 'NOISE' ? ' (within noise: the spread straddles the target; rerun on a quiet machine)' : '';
  return { mark, note };
}

/** {@link intervalVerdict} on the interquartile spread of per-round ratios subject/floor. */
export function pairedVerdict(ratios: readonly number[], maxRatio: number) {
  const [lo, mid, hi] = [quantile(ratios, 0.25), median(ratios), quantile(ratios, 0.75)];
  return { ...intervalVerdict(lo, hi, maxRatio), lo, mid, hi };
}

/**
 * The median of `xs` with its distribution-free 95% confidence interval (order statistics of a
 * binomial(n, 1/2)): the interval a paired difference must clear before a verdict is given.
 */
export function medianWithCi(xs: readonly number[]): { lo: number; mid: number; hi: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  const n = sorted.length;
  const half = (1.96 * Math.sqrt(n)) / 2;
  const at = (i: number): number => sorted[Math.min(n - 1, Math.max(0, Math.round(i)))]!;
  return { lo: at(n / 2 - half - 1), mid: median(sorted), hi: at(n / 2 + half) };
}
