export { Saver, checkpointExists, checkpointFiles, deleteCheckpointFiles, readCheckpoint, type SaverOptions, type SaveOptions } from './Saver.ts';
export { getCheckpointState, latestCheckpoint, updateCheckpointState, parseCheckpointState, formatCheckpointState, CHECKPOINT_STATE_FILE, type CheckpointState } from './state.ts';
export { graphDef, graphToPbtxt, type GraphDef } from './graphDef.ts';
export { removeStrayTemporaries } from './files.ts';
