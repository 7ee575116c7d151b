/**
 * The training-step and leak suites again, on the WebAssembly backend (its binary read from
 * node_modules, offline): resume and recovery bit for bit, no leaks.
 */
process.env['TFJS_BACKEND'] = 'wasm';
await import('./tfjsTrainStep.test.ts');
await import('./leaks.test.ts');
const tf = await import('@tensorflow/tfjs-core');
if (tf.getBackend() !== 'wasm') throw new Error(`expected the wasm backend, got ${tf.getBackend()}`);
