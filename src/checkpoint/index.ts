export { Saver, type SaverOptions, type SaveOptions } from './Saver.ts';
export type { BackgroundSave } from './pendingWrites.ts';
export { checkpointExists, readSaveableStates } from './reader.ts';
export { type Saveable, type SaveableEntry, type RestoreResult } from './Saveable.ts';
export { getCheckpointState, latestCheckpoint, updateCheckpointState, type CheckpointState } from './state.ts';
export { graphToPbtxt, type GraphDef } from './graphDef.ts';
export { removeStrayTemporaries } from './files.ts';
