import * as tf from '@tensorflow/tfjs-core';
import { isThenable } from '../internal/promise.ts';

/**
 * One tfjs tensor's value as checkpointed state: dtype, shape and raw bytes (never a JSON list of
 * numbers). `float32` → Float32Array, `int32` → Int32Array, `bool` → Uint8Array (0/1),
 * `complex64` → Float32Array of interleaved (real, imaginary) pairs, `string` → the UTF-8 bytes
 * of every element back to back in a Uint8Array, with each element's byte count in `lengths`.
 */
export interface TensorState {
  dtype: tf.DataType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
  /** `string` only: each element's byte length. */
  lengths?: Int32Array;
}

/**
 * Starts reading `tensor` and returns a promise of its state. The tensor's data is captured at
 * the call (synchronously), so reads started in one tick form one consistent snapshot even if
 * the variable is assigned before the promise settles. The arrays are copies the caller owns.
 */
export function readTensorState(tensor: tf.Tensor): Promise<TensorState> {
  return Promise.resolve(tensorStateOf(tensor));
}

/** Backends whose `dataSync` is a plain read of memory (nothing to wait for, no GPU pipeline to stall). */
const READS_MEMORY = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * {@link readTensorState} without a promise when the backend's memory can be read at once (CPU,
 * WASM, tfjs-node: `dataSync`) and the tensor holds numbers; else its promise.
 */
export function tensorStateOf(tensor: tf.Tensor): TensorState | Promise<TensorState> {
  const { dtype } = tensor;
  if (dtype !== 'string' && READS_MEMORY.has(tf.getBackend())) {
    return { dtype, shape: [...tensor.shape], data: copyOf(tensor.dataSync() as TensorState['data'], dtype) };
  }
  const shape = [...tensor.shape];
  if (dtype === 'string') {
    return tensor.bytes().then((raw) => {
      const items = raw as Uint8Array[];
      const lengths = Int32Array.from(items, (b) => b.byteLength);
      const data = new Uint8Array(lengths.reduce((a, n) => a + n, 0));
      let at = 0;
      for (const item of items) {
        data.set(item, at);
        at += item.byteLength;
      }
      return { dtype, shape, data, lengths };
    });
  }
  return tensor.data().then((values) => ({ dtype, shape, data: copyOf(values as TensorState['data'], dtype) }));
}

/** The states of `reads` (from {@link tensorStateOf}): at once when none is a promise, else a promise of them. */
export function statesOf(
  reads: readonly (TensorState | Promise<TensorState>)[],
): TensorState[] | Promise<TensorState[]> {
  return reads.some(isThenable) ? Promise.all(reads.map(async (r) => r)) : (reads as TensorState[]);
}

/** A copy of backend memory in the array type of `dtype` (the CPU backend hands out its own arrays). */
function copyOf(values: TensorState['data'], dtype: tf.DataType): TensorState['data'] {
  if (dtype === 'int32') return Int32Array.from(values);
  if (dtype === 'bool') return Uint8Array.from(values);
  return Float32Array.from(values);
}

/** A new tensor holding `state` (the caller disposes it). */
export function tensorFromState(state: TensorState): tf.Tensor {
  const { dtype, shape, data } = state;
  if (dtype === 'string') {
    const lengths = state.lengths ?? new Int32Array(0);
    const items: Uint8Array[] = [];
    let at = 0;
    for (const n of lengths) {
      items.push(data.slice(at, at + n) as Uint8Array);
      at += n;
    }
    return tf.tensor(items, shape, 'string');
  }
  if (dtype === 'complex64') {
    const n = data.length / 2;
    const real = new Float32Array(n);
    const imag = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      real[i] = data[2 * i]!;
      imag[i] = data[2 * i + 1]!;
    }
    return tf.tidy(() => tf.complex(tf.tensor(real, shape), tf.tensor(imag, shape)));
  }
  // A copy: the backend may keep the array it is given, and `data` may view a checkpoint buffer.
  return tf.tensor(data.slice(), shape, dtype);
}

/** True when `value` has the fields of a {@link TensorState}. */
export function isTensorState(value: unknown): value is TensorState {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<TensorState>;
  return typeof v.dtype === 'string' && Array.isArray(v.shape) && ArrayBuffer.isView(v.data);
}

/** `[2,3] float32`: how errors show a tensor's signature. */
export function signature(shape: readonly number[], dtype: string): string {
  return `[${shape.join(',')}] ${dtype}`;
}
