export { SessionRunHook, SessionRunArgs, SessionRunContext, SessionRunValues, type Hook, type EndInfo, type EndReason } from './SessionRunHook.ts';
export { StopAtStepHook, type StopAtStepHookOptions } from './StopAtStepHook.ts';
export { SecondOrStepTimer, type SecondOrStepTimerOptions } from './SecondOrStepTimer.ts';
export { CheckpointSaverHook, type CheckpointSaverHookOptions, type CheckpointSaverListener, type SessionLogSink } from './CheckpointSaverHook.ts';
