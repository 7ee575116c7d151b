export { Saver, type SaverOptions, type SaveOptions } from './Saver.ts';
export {
  checkpointExists,
  checkpointFiles,
  deleteCheckpointFiles,
  readCheckpoint,
  readSaveableStates,
} from './reader.ts';
export { type Saveable, type SaveableEntry, type RestoreResult } from './Saveable.ts';
export { getCheckpointState, latestCheckpoint, updateCheckpointState, parseCheckpointState, formatCheckpointState, CHECKPOINT_STATE_FILE, type CheckpointState } from './state.ts';
export { graphDef, graphToPbtxt, type GraphDef } from './graphDef.ts';
export { removeStrayTemporaries } from './files.ts';
