export { withSession } from './withSession.ts';
export {
  MonitoredSession,
  SingularMonitoredSession,
  type MonitoredSessionOptions,
  type SingularMonitoredSessionOptions,
  type AnyMonitoredSession,
  type InspectObserver,
} from './MonitoredSession.ts';
export { StepContext, type StepFn } from './StepContext.ts';
export { Coordinator, type CoordinatorOptions, type JoinOptions, type CoordinatedThread } from './Coordinator.ts';
export {
  QueueRunner,
  addQueueRunner,
  startQueueRunners,
  type QueueRunnerOptions,
  type CreateThreadsOptions,
} from './QueueRunner.ts';
export { Scaffold, type ScaffoldOptions, type ScaffoldInitFn, type SaverLike } from './Scaffold.ts';
export {
  SessionManager,
  type SessionManagerOptions,
  type PrepareSessionOptions,
  type RestoreOptions,
} from './SessionManager.ts';
export {
  ChiefSessionCreator,
  WorkerSessionCreator,
  NotReadyYet,
  type SessionCreator,
  type SteppedSessionCreator,
  type ChiefSessionCreatorOptions,
  type WorkerSessionCreatorOptions,
} from './creators.ts';
export { type RecoveryPolicy, type RecoveryInfo, type BackoffOptions } from './recovery.ts';
