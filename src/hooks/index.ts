export { SessionRunHook, SessionRunArgs, SessionRunContext, SessionRunValues, type Hook, type EndInfo, type EndReason } from './SessionRunHook.ts';
export { StopAtStepHook, type StopAtStepHookOptions } from './StopAtStepHook.ts';
