import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, oneOf } from '../internal/validate.ts';

/** The tfjs backends this entry point can set up offline. */
export type TfjsBackendName = 'cpu' | 'wasm';

/**
 * The directory of the `.wasm` binaries that `@tensorflow/tfjs-backend-wasm` ships inside its npm
 * package (with a trailing separator, as `setWasmPaths` wants a prefix).
 */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

/**
 * Loads and selects a tfjs backend: `cpu` (pure JavaScript, `@tensorflow/tfjs-backend-cpu`) or
 * `wasm` (`@tensorflow/tfjs-backend-wasm`, its binary read from `node_modules`: no network).
 * Both are optional peer dependencies, imported only here.
 * @example
 * await useTfjsBackend('wasm');
 */
export async function useTfjsBackend(name: TfjsBackendName): Promise<void> {
  expect('useTfjsBackend', 'name', name, oneOf('cpu', 'wasm'));
  if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Before the backend is first initialized only; later calls find it ready.
    if (tf.findBackend('wasm') === null) wasm.setWasmPaths(wasmBinaryDir());
  }
  if (!(await tf.setBackend(name))) throw new Error(`useTfjsBackend: the tfjs backend '${name}' failed to initialize`);
  await tf.ready();
}
