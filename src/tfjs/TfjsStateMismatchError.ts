import { InvalidArgumentError } from '../errors.ts';

/**
 * A checkpoint's tfjs state does not fit the live tfjs objects: a weight, variable or optimizer
 * slot with another shape or dtype, one missing on either side, or another optimizer class.
 * Nothing was written when this is thrown (restore checks everything first).
 * @example
 * try { await saver.restore(sess, prefix) }
 * catch (e) { if (e instanceof TfjsStateMismatchError) console.log(e.variable) }
 */
export class TfjsStateMismatchError extends InvalidArgumentError {
  /** The checkpoint key of the variable, e.g. `model/0/kernel` or `optimizer/slot/1`. */
  readonly variable: string;
  /** What the live object has, e.g. `[784,128] float32` (or `absent`). */
  readonly expected: string;
  /** What the checkpoint holds (or `absent`). */
  readonly actual: string;

  constructor(api: string, variable: string, detail: { expected: string; actual: string; name?: string }) {
    const named = detail.name !== undefined && detail.name !== variable ? ` ('${detail.name}')` : '';
    super(
      `${api}: variable ${variable}${named} does not match the checkpoint: ` +
        `expected ${detail.expected}, checkpoint has ${detail.actual}`,
    );
    this.variable = variable;
    this.expected = detail.expected;
    this.actual = detail.actual;
  }
}

Object.defineProperty(TfjsStateMismatchError.prototype, 'name', {
  value: 'TfjsStateMismatchError',
  writable: true,
  configurable: true,
});
