export {
  SessionRunHook,
  SessionRunArgs,
  SessionRunContext,
  SessionRunValues,
  type Hook,
  type EndInfo,
  type EndReason,
} from '../session/SessionRunHook.ts';
export { StopAtStepHook, type StopAtStepHookOptions } from './StopAtStepHook.ts';
export { SecondOrStepTimer, type SecondOrStepTimerOptions } from './SecondOrStepTimer.ts';
export {
  CheckpointSaverHook,
  type CheckpointSaverHookOptions,
  type CheckpointSaverListener,
  type SessionLogSink,
} from './CheckpointSaverHook.ts';
export { StepCounterHook, type StepCounterHookOptions, type SummarySink } from './StepCounterHook.ts';
export { LoggingTensorHook, type LoggingTensorHookOptions } from './LoggingTensorHook.ts';
export { NanTensorHook, type NanTensorHookOptions } from './NanTensorHook.ts';
export { GlobalStepWaiterHook, type GlobalStepWaiterHookOptions } from './GlobalStepWaiterHook.ts';
export { FinalOpsHook, type FinalOpsHookOptions } from './FinalOpsHook.ts';
export { FeedFnHook, type FeedFnHookOptions } from './FeedFnHook.ts';
export { SummarySaverHook, type SummarySaverHookOptions } from './SummarySaverHook.ts';
export { ProfilerHook, toChromeTrace, type ProfilerHookOptions, type ChromeTrace } from './ProfilerHook.ts';
export { ProgressHook, type ProgressHookOptions, type ProgressStream } from './ProgressHook.ts';
