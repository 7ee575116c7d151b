import * as tf from '@tensorflow/tfjs-core';
import { isThenable } from '../internal/promise.ts';

/** A named tensor, as `optimizer.getWeights()` lists them. */
export type NamedTensor = { name: string; tensor: tf.Tensor };
import { isTensorState, signature, statesOf, tensorFromState, tensorStateOf, type TensorState } from './tensorState.ts';
import { TfjsStateMismatchError } from './TfjsStateMismatchError.ts';

/** A slot of the optimizer (`dense_Dense1/kernel/m`): its tfjs name and its value. */
export interface SlotState extends TensorState {
  name: string;
}

/**
 * An optimizer's checkpointed state: its class, iteration count, slots (what `getWeights` lists
 * after the iteration count) and the variables it keeps outside `getWeights` (Adam's `accBeta1`
 * and `accBeta2`, restored as saved so that a resumed run stays bit for bit on course).
 */
export interface OptimizerState {
  className: string;
  iterations: number;
  slots: SlotState[];
  hidden: Record<string, TensorState>;
}

/** The optimizer's own `tf.Variable` fields that `getWeights` does not list. */
function hiddenVariables(optimizer: tf.Optimizer, slots: readonly NamedTensor[]): Map<string, tf.Variable> {
  const listed = new Set(slots.map((s) => s.tensor));
  const out = new Map<string, tf.Variable>();
  for (const [key, value] of Object.entries(optimizer)) {
    if (value instanceof tf.Variable && !listed.has(value)) out.set(key, value);
  }
  return out;
}

/** `getWeights()` split into the iteration count and the slots; disposes the count tensor it makes. */
async function currentWeights(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  const [first, ...slots] = weights;
  if (first !== undefined && first.name === 'iter') {
    first.tensor.dispose();
    return slots;
  }
  return weights;
}

/** Reads the optimizer's state; every value is captured in one synchronous pass. */
export async function readOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const slots = await currentWeights(optimizer);
  const hidden = hiddenVariables(optimizer, slots);
  const iterations = optimizer.iterations;
  // Read in one pass (at once on a backend that reads its memory), then awaited if need be.
  const slotReads = slots.map((s) => tensorStateOf(s.tensor));
  const hiddenReads = [...hidden].map(([key, v]) => [key, tensorStateOf(v)] as const);
  const read = statesOf(slotReads);
  const slotValues = isThenable(read) ? await read : read;
  const slotStates = slotValues.map((t, i): SlotState => ({ name: slots[i]!.name, ...t }));
  const hiddenStates: Record<string, TensorState> = {};
  for (const [key, read] of hiddenReads) hiddenStates[key] = isThenable(read) ? await read : read;
  return { className: optimizer.getClassName(), iterations, slots: slotStates, hidden: hiddenStates };
}

/** Checks that a value read from a checkpoint is an {@link OptimizerState}. */
export function isOptimizerState(value: unknown): value is OptimizerState {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<OptimizerState>;
  return (
    typeof v.className === 'string' &&
    typeof v.iterations === 'number' &&
    Array.isArray(v.slots) &&
    v.slots.every(isTensorState) &&
    v.hidden !== null &&
    typeof v.hidden === 'object' &&
    Object.values(v.hidden).every(isTensorState)
  );
}

const sig = (t: { shape: readonly number[]; dtype: string }): string => signature(t.shape, t.dtype);

/**
 * Checks that `state` fits `optimizer` (class, slots when the optimizer already has some, hidden
 * variables); throws {@link TfjsStateMismatchError} naming the first misfit. Returns the current
 * slots for {@link writeOptimizerState}.
 */
export async function checkOptimizerState(
  api: string,
  key: string,
  optimizer: tf.Optimizer,
  state: OptimizerState,
): Promise<NamedTensor[]> {
  const className = optimizer.getClassName();
  if (state.className !== className) {
    throw new TfjsStateMismatchError(api, key, {
      expected: `a ${className} optimizer`,
      actual: `${state.className} state`,
    });
  }
  const slots = await currentWeights(optimizer);
  // A fresh optimizer has no slots yet (they appear at the first step): any saved ones are taken;
  // and state saved before the first step has none: the slots go (fresh ones come at the next step).
  if (slots.length > 0 && state.slots.length > 0 && slots.length !== state.slots.length) {
    throw new TfjsStateMismatchError(api, `${key}/slots`, {
      expected: `${slots.length} slots`,
      actual: `${state.slots.length}`,
    });
  }
  slots.forEach((live, i) => {
    const saved = state.slots[i];
    if (saved !== undefined && sig(live.tensor) !== sig(saved)) {
      throw new TfjsStateMismatchError(api, `${key}/slot/${i}`, {
        name: live.name,
        expected: sig(live.tensor),
        actual: sig(saved),
      });
    }
  });
  const hidden = hiddenVariables(optimizer, slots);
  for (const [name, v] of hidden) {
    const saved = state.hidden[name];
    if (saved === undefined || sig(v) !== sig(saved)) {
      throw new TfjsStateMismatchError(api, `${key}/${name}`, {
        expected: sig(v),
        actual: saved === undefined ? 'absent' : sig(saved),
      });
    }
  }
  for (const name of Object.keys(state.hidden)) {
    if (!hidden.has(name))
      throw new TfjsStateMismatchError(api, `${key}/${name}`, { expected: 'absent', actual: sig(state.hidden[name]!) });
  }
  return slots;
}

/**
 * Writes a checked `state` into `optimizer` with `setWeights`, then its hidden variables;
 * disposes the slots it replaced and every tensor it made.
 */
export async function writeOptimizerState(
  optimizer: tf.Optimizer,
  state: OptimizerState,
  oldSlots: readonly NamedTensor[],
): Promise<void> {
  const made: tf.Tensor[] = [tf.scalar(state.iterations, 'int32')];
  try {
    const slots = state.slots.map((s) => {
      const tensor = tensorFromState(s);
      made.push(tensor);
      return { name: s.name, tensor };
    });
    await optimizer.setWeights([{ name: 'iter', tensor: made[0]! }, ...slots]);
  } finally {
    for (const t of made) t.dispose();
  }
  // setWeights made new slot variables (sharing the data of `made`); the old ones are ours to free.
  for (const old of oldSlots) old.tensor.dispose();
  const hidden = hiddenVariables(optimizer, []);
  for (const [name, saved] of Object.entries(state.hidden)) {
    const value = tensorFromState(saved);
    hidden.get(name)?.assign(value);
    value.dispose();
  }
}
