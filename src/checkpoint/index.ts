export { Saver, checkpointExists, type SaverOptions, type SaveOptions } from './Saver.ts';
export { getCheckpointState, latestCheckpoint, updateCheckpointState, type CheckpointState } from './state.ts';
export { graphToPbtxt, type GraphDef } from './graphDef.ts';
export { removeStrayTemporaries } from './files.ts';
