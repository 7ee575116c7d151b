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
