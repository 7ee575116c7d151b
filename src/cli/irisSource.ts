import { SeededRandom } from '../internal/random.ts';
import type { SeekableSource, SourceElement } from '../resume/SeekableSource.ts';

/** A minibatch of Iris rows. */
export interface Batch {
  xs: Float32Array;
  ys: Int32Array;
}

/** Options of {@link irisBatches}. */
export interface IrisBatchesOptions {
  data: Batch;
  features: number;
  batchSize: number;
  seed: number;
  /** Called before each batch is made (fault injection). */
  beforeNext?: () => void;
}

/** The seed of epoch `epoch`'s shuffle: a hash of the job's seed and the epoch. */
function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Shuffled Iris minibatches as a seekable source: the position is the number of batches made.
 * Row `k` of the endless stream is row `k mod n` of epoch `k div n`'s shuffle, and each epoch's
 * shuffle depends only on the seed and the epoch, so any position can be reached directly.
 */
export function irisBatches(options: IrisBatchesOptions): SeekableSource<Batch, number> {
  const { data, features, batchSize, seed, beforeNext } = options;
  const rows = data.ys.length;
  let cached: { epoch: number; order: Int32Array } | undefined;
  const orderOf = (epoch: number): Int32Array => {
    if (cached?.epoch === epoch) return cached.order;
    const random = new SeededRandom(epochSeed(seed, epoch));
    const order = Int32Array.from({ length: rows }, (_, k) => k);
    for (let k = rows - 1; k > 0; k--) {
      const j = Math.floor(random.next() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    cached = { epoch, order };
    return order;
  };
  let position = 0;
  return {
    start: 0,
    seek(to: number) {
      position = to;
    },
    next(): SourceElement<Batch, number> {
      beforeNext?.();
      const xs = new Float32Array(batchSize * features);
      const ys = new Int32Array(batchSize);
      for (let i = 0; i < batchSize; i++) {
        const k = position * batchSize + i;
        const row = orderOf(Math.floor(k / rows))[k % rows]!;
        xs.set(data.xs.subarray(row * features, (row + 1) * features), i * features);
        ys[i] = data.ys[row]!;
      }
      position++;
      return { done: false, value: { xs, ys }, position };
    },
  };
}
