import * as tf from '@tensorflow/tfjs-core';
import type { Saveable } from '../checkpoint/Saveable.ts';
import { NotFoundError } from '../errors.ts';
import { isThenable } from '../internal/promise.ts';
import { checkOptions, expect, instanceOf, misuse, optional, rule } from '../internal/validate.ts';
import {
  checkOptimizerState,
  isOptimizerState,
  readOptimizerState,
  writeOptimizerState,
  type NamedTensor,
  type OptimizerState,
} from './optimizerState.ts';
import { isTensorState, signature, statesOf, tensorFromState, tensorStateOf, type TensorState } from './tensorState.ts';
import { TfjsStateMismatchError } from './TfjsStateMismatchError.ts';

/** A weight of a tfjs-layers model (`LayerVariable`): its name and the `tf.Variable` it reads. */
export interface LayerWeightLike {
  readonly name: string;
  /** The weight's `tf.Variable` (typed `Tensor` by tfjs-layers). */
  read(): tf.Tensor;
}

/** The `tf.Variable` behind a layer weight. */
export function variableOf(weight: LayerWeightLike): tf.Variable {
  const v = weight.read();
  if (!(v instanceof tf.Variable)) misuse(API, 'model', 'a model whose weights read as tf.Variables', v, 'type');
  return v;
}

/** What is needed of a `tf.LayersModel`: its weights (and which of them train). */
export interface ModelLike {
  readonly weights: readonly LayerWeightLike[];
  readonly trainableWeights?: readonly LayerWeightLike[];
}

/** Options of {@link TfjsState}. */
export interface TfjsStateOptions {
  /** A `tf.LayersModel` (or `tf.Sequential`): all its weights, trainable or not. */
  model?: ModelLike;
  /** `tf.Variable`s: an array (keyed by position) or a record (keyed by its keys). */
  variables?: readonly tf.Variable[] | Readonly<Record<string, tf.Variable>>;
  /** The optimizer: iteration count, slots (`getWeights`) and its own variables. */
  optimizer?: tf.Optimizer;
}

interface Entry {
  /** The checkpoint key, e.g. `model/0/kernel`, `variables/w`. */
  readonly key: string;
  /** The tfjs name, e.g. `dense_Dense1/kernel`. */
  readonly name: string;
  variable(): tf.Variable;
}

const API = 'TfjsState';
const OPTIMIZER_KEY = 'optimizer';
export const isModel = rule<ModelLike>(
  'a tf.LayersModel (an object with `weights`)',
  'type',
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    Array.isArray((v as ModelLike).weights) &&
    (v as ModelLike).weights.every((w) => typeof w?.read === 'function'),
);
export const isVariable = instanceOf(tf.Variable, 'tf.Variable');
export const isOptimizer = instanceOf(tf.Optimizer, 'tf.Optimizer');

function entriesOf(model: ModelLike | undefined, variables: TfjsStateOptions['variables']): Entry[] {
  const entries: Entry[] = [];
  model?.weights.forEach((w, i) =>
    entries.push({ key: `model/${i}/${w.name.split('/').pop()}`, name: w.name, variable: () => variableOf(w) }),
  );
  if (variables !== undefined) {
    const list: [string, unknown][] = Array.isArray(variables)
      ? variables.map((v, i) => [String(i), v])
      : Object.entries(variables);
    for (const [k, v] of list) {
      const variable = expect(API, `variables.${k}`, v, isVariable);
      entries.push({ key: `variables/${k}`, name: variable.name, variable: () => variable });
    }
  }
  return entries;
}

/**
 * tfjs state as checkpointed state (a `Saveable`): a model's weights, `tf.Variable`s and an
 * optimizer's slots and iteration count, saved as raw bytes with the graph's variables and
 * restored into the live objects, every shape and dtype checked first. Keeps the values it was
 * built with, to go back to them when a session is initialized rather than restored.
 * @example
 * const state = new TfjsState({ model, optimizer });
 * new Saver({ saveables: { tfjs: state } });
 */
export class TfjsState implements Saveable {
  readonly #entries: readonly Entry[];
  readonly #optimizer: tf.Optimizer | undefined;
  /** The values at construction (JS memory, not tensors), for {@link reset}. */
  readonly #initial: Promise<Record<string, unknown>>;
  #pendingReset = false;

  constructor(options: TfjsStateOptions) {
    const opts = checkOptions(API, options, ['model', 'variables', 'optimizer'], { required: true });
    const model = optional(API, 'model', opts.model, isModel);
    const variables = opts.variables as TfjsStateOptions['variables'];
    if (variables !== undefined && (variables === null || typeof variables !== 'object')) {
      misuse(API, 'variables', 'an array or a record of tf.Variables', variables, 'type');
    }
    this.#optimizer = optional(API, 'optimizer', opts.optimizer, isOptimizer);
    this.#entries = entriesOf(model, variables);
    const keys = new Set<string>();
    for (const e of this.#entries) {
      if (keys.has(e.key)) misuse(API, 'variables', 'distinct variables', e.key);
      keys.add(e.key);
    }
    this.#initial = this.#read();
    this.#initial.catch(() => {});
  }

  /** The checkpoint keys of the variables (the optimizer's state is under `optimizer`). */
  get keys(): string[] {
    return this.#entries.map((e) => e.key);
  }

  /**
   * Reads every value; all reads start in one synchronous pass (one consistent snapshot), and on
   * a backend that reads its memory at once, they are done in it (no promise per tensor).
   */
  async #read(): Promise<Record<string, unknown>> {
    const reads = this.#entries.map((e) => tensorStateOf(e.variable()));
    const optimizer = this.#optimizer === undefined ? undefined : readOptimizerState(this.#optimizer);
    const read = statesOf(reads);
    const values = isThenable(read) ? await read : read;
    const state: Record<string, unknown> = {};
    this.#entries.forEach((e, i) => (state[e.key] = values[i]));
    if (optimizer !== undefined) state[OPTIMIZER_KEY] = await optimizer;
    return state;
  }

  /** The state to checkpoint: every variable as `{ dtype, shape, data }` and the optimizer's state. */
  async saveState(): Promise<Record<string, unknown>> {
    await this.settle();
    return this.#read();
  }

  /**
   * Writes `state` into the live tfjs objects. Everything is checked before anything is written:
   * a missing, extra or misfit variable is a {@link TfjsStateMismatchError} naming it.
   */
  async restoreState(state: Readonly<Record<string, unknown>>): Promise<void> {
    await this.#write(state, 'TfjsState.restoreState');
  }

  /**
   * A checkpoint without tfjs state (written before this state was registered) is refused with
   * `NotFoundError`, as TensorFlow refuses a checkpoint that lacks a variable: restoring the
   * graph's variables (the global step) without the weights and optimizer would resume a run
   * from a state it never had.
   */
  restoreAbsent(): never {
    throw new NotFoundError(
      'TfjsState.restoreState: the checkpoint holds no tfjs state (model weights, variables, optimizer); ' +
        'it was written without them. Start from another checkpoint directory.',
    );
  }

  /** Marks the state to go back to the values it was built with, at the next step or save. */
  reset(): void {
    this.#pendingReset = true;
  }

  /** Applies a pending {@link reset}; `undefined` (no promise) when there is none. */
  settle(): Promise<void> | undefined {
    if (!this.#pendingReset) return undefined;
    return this.#initial.then((initial) => this.#write(initial, 'TfjsState.reset'));
  }

  async #write(state: Readonly<Record<string, unknown>>, api: string): Promise<void> {
    const values = this.#entries.map((e) => {
      const saved = state[e.key];
      const live = e.variable();
      const expected = signature(live.shape, live.dtype);
      if (!isTensorState(saved)) {
        throw new TfjsStateMismatchError(api, e.key, {
          name: e.name,
          expected,
          actual: saved === undefined ? 'absent' : 'not a tensor',
        });
      }
      const actual = signature(saved.shape, saved.dtype);
      if (actual !== expected) throw new TfjsStateMismatchError(api, e.key, { name: e.name, expected, actual });
      return saved;
    });
    const known = new Set([...this.keys, OPTIMIZER_KEY]);
    for (const key of Object.keys(state)) {
      if (!known.has(key))
        throw new TfjsStateMismatchError(api, key, { expected: 'absent', actual: describeSaved(state[key]) });
    }
    let oldSlots: NamedTensor[] = [];
    const optimizer = this.#optimizer;
    const saved = state[OPTIMIZER_KEY];
    if (optimizer !== undefined) {
      if (!isOptimizerState(saved)) {
        throw new TfjsStateMismatchError(api, OPTIMIZER_KEY, {
          expected: `${optimizer.getClassName()} state`,
          actual: saved === undefined ? 'absent' : 'not an optimizer state',
        });
      }
      oldSlots = await checkOptimizerState(api, OPTIMIZER_KEY, optimizer, saved);
    }
    this.#pendingReset = false;
    this.#entries.forEach((e, i) => assignFrom(e.variable(), values[i]!));
    if (optimizer !== undefined) await writeOptimizerState(optimizer, saved as OptimizerState, oldSlots);
  }
}

function assignFrom(variable: tf.Variable, state: TensorState): void {
  const value = tensorFromState(state);
  try {
    variable.assign(value);
  } finally {
    value.dispose();
  }
}

function describeSaved(value: unknown): string {
  return isTensorState(value) ? signature(value.shape, value.dtype) : 'a value';
}
