/**
 * monitored-session/tfjs: TensorFlow.js models under monitored sessions. tfjs weights, variables
 * and optimizer state as checkpointed state, a training step as graph ops, and offline backend
 * setup. `@tensorflow/tfjs-core` is an optional peer dependency: only this entry point imports it.
 */
export { TfjsState } from './TfjsState.ts';
export type { TfjsStateOptions, ModelLike, LayerWeightLike } from './TfjsState.ts';
export { TfjsStateMismatchError } from './TfjsStateMismatchError.ts';
export { registerTfjsState, tfjsTrainStep } from './tfjsTrainStep.ts';
export type { RegisterTfjsStateOptions, TfjsTrainStepOptions, TfjsTrainStep } from './tfjsTrainStep.ts';
export { readTensorState, tensorFromState } from './tensorState.ts';
export type { TensorState } from './tensorState.ts';
export type { OptimizerState, SlotState } from './optimizerState.ts';
export { useTfjsBackend, wasmBinaryDir } from './backend.ts';
export type { TfjsBackendName } from './backend.ts';
