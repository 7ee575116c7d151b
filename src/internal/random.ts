/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence. Its whole
 * state is one 32-bit unsigned integer, so a run can save it (`getState`) with a checkpoint and
 * continue the exact sequence after a restore (`setState`).
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next number, uniform in [0, 1). */
  next(): number {
    this.#state = advance(this.#state);
    return uniformOf(this.#state);
  }

  /** Fills `out` with the next `out.length` numbers, as that many {@link next} calls would. */
  fill(out: Float64Array): void {
    // The state in a local: several times faster per number than the private field.
    let state = this.#state;
    for (let i = 0; i < out.length; i++) out[i] = uniformOf((state = advance(state)));
    this.#state = state;
  }

  /** The generator's state: an integer in [0, 2^32), JSON-safe. */
  getState(): number {
    return this.#state;
  }

  /** Continues from a state returned by {@link getState}. */
  setState(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state >= 2 ** 32) {
      throw new RangeError(`SeededRandom.setState: expected an integer in [0, 2^32), got ${String(state)}`);
    }
    this.#state = state;
  }
}

/** The state after `state`. */
function advance(state: number): number {
  return (state + 0x6d2b79f5) >>> 0;
}

/** The number in [0, 1) drawn at `state`. */
function uniformOf(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A seeded PRNG as a plain function (see {@link SeededRandom}): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
