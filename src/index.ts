/**
 * monitored-session: TensorFlow 1's MonitoredSession family as an actor-model, fault-tolerant
 * step-loop runtime, with an embedded dataflow backend. This file is the one public door.
 */
export {
  ErrorCode,
  OpError,
  CancelledError,
  UnknownError,
  InvalidArgumentError,
  DeadlineExceededError,
  NotFoundError,
  AlreadyExistsError,
  PermissionDeniedError,
  ResourceExhaustedError,
  FailedPreconditionError,
  AbortedError,
  OutOfRangeError,
  UnimplementedError,
  InternalError,
  UnavailableError,
  DataLossError,
  UnauthenticatedError,
  errorClassByCode,
  StopIteration,
  RuntimeError,
  ValueError,
  NanLossDuringTrainingError,
  isRecoverable,
  UsageError,
  UsageTypeError,
  UsageValueError,
  UnknownOptionError,
} from './errors.ts';
export type { ErrorCodeName, OpErrorOptions, UsageErrorFields } from './errors.ts';

export { systemClock, TestClock, sleep } from './clock.ts';
export type { Clock } from './clock.ts';

export {
  Graph,
  GraphKeys,
  Tensor,
  Variable,
  FIFOQueue,
  Session,
  Server,
  registerTargetResolver,
  getGlobalStep,
  getOrCreateGlobalStep,
  createGlobalStep,
  TraceLevel,
} from './graph/index.ts';
export type {
  GraphKey,
  ValueOf,
  ValuesOf,
  TensorLike,
  VariableOptions,
  FIFOQueueOptions,
  QueueCloseOptions,
  SessionOptions,
  SessionConfig,
  TargetResolver,
  RunOptions,
  RunMetadata,
  NodeExecStats,
  PartitionGraph,
  Fetch,
  FetchResult,
  FeedDict,
  ResourceStore,
  QueueResource,
  MaybePromise,
} from './graph/index.ts';

import { scalar, histogram, merge, mergeAll } from './summary/ops.ts';
import { buildHistogram } from './summary/histogram.ts';
/** TensorFlow's `tf.summary` ops, each a named function: `scalar`, `histogram`, `merge`, `mergeAll`, `buildHistogram`. */
export const summary = Object.freeze({ scalar, histogram, merge, mergeAll, buildHistogram });
export type { Summary, SummaryValue } from './summary/ops.ts';
export { SummaryWriter, FileWriter } from './summary/SummaryWriter.ts';
export { SummaryWriterCache } from './summary/SummaryWriterCache.ts';
export type { SummaryWriterOptions, SummaryWriterStats } from './summary/SummaryWriter.ts';
export type { Event, SessionLog } from './summary/event.ts';
export type { HistogramProto } from './summary/histogram.ts';

export {
  SessionRunHook,
  SessionRunArgs,
  SessionRunContext,
  SessionRunValues,
  StopAtStepHook,
  SecondOrStepTimer,
  CheckpointSaverHook,
  StepCounterHook,
  LoggingTensorHook,
  NanTensorHook,
  GlobalStepWaiterHook,
  FinalOpsHook,
  FeedFnHook,
  SummarySaverHook,
  ProfilerHook,
  ProgressHook,
  toChromeTrace,
} from './hooks/index.ts';
export type {
  StopAtStepHookOptions,
  SecondOrStepTimerOptions,
  CheckpointSaverHookOptions,
  CheckpointSaverListener,
  SessionLogSink,
  StepCounterHookOptions,
  SummarySink,
  LoggingTensorHookOptions,
  NanTensorHookOptions,
  GlobalStepWaiterHookOptions,
  FinalOpsHookOptions,
  FeedFnHookOptions,
  SummarySaverHookOptions,
  ProfilerHookOptions,
  ChromeTrace,
  ProgressHookOptions,
  ProgressStream,
} from './hooks/index.ts';
export { monitoredTrainingSession } from './training/monitoredTrainingSession.ts';
export type { MonitoredTrainingSessionOptions } from './training/monitoredTrainingSession.ts';
export type { Hook, EndInfo, EndReason } from './hooks/index.ts';

export {
  MonitoredSession,
  SingularMonitoredSession,
  withSession,
  StepContext,
  Coordinator,
  QueueRunner,
  addQueueRunner,
  startQueueRunners,
  Scaffold,
  SessionManager,
  ChiefSessionCreator,
  WorkerSessionCreator,
  NotReadyYet,
} from './session/index.ts';
export type {
  MonitoredSessionOptions,
  SingularMonitoredSessionOptions,
  AnyMonitoredSession,
  InspectObserver,
  StepFn,
  CoordinatorOptions,
  JoinOptions,
  CoordinatedThread,
  QueueRunnerOptions,
  CreateThreadsOptions,
  ScaffoldOptions,
  ScaffoldInitFn,
  SaverLike,
  SessionManagerOptions,
  PrepareSessionOptions,
  RestoreOptions,
  SessionCreator,
  SteppedSessionCreator,
  ChiefSessionCreatorOptions,
  WorkerSessionCreatorOptions,
  RecoveryPolicy,
  RecoveryInfo,
  BackoffOptions,
} from './session/index.ts';

export {
  Saver,
  getCheckpointState,
  latestCheckpoint,
  updateCheckpointState,
  checkpointExists,
  removeStrayTemporaries,
  graphToPbtxt,
  readSaveableStates,
} from './checkpoint/index.ts';
export type {
  CheckpointState,
  SaverOptions,
  SaveOptions,
  BackgroundSave,
  GraphDef,
  Saveable,
  SaveableEntry,
  RestoreResult,
} from './checkpoint/index.ts';

// Exact resume: seekable inputs, the runtime's random generators, the checkpoints' resume flag.
export { arraySource, RandomGenerator, randomGenerator, exactResumeOf, restoresOf } from './resume/index.ts';
export type {
  SeekableSource,
  SyncSeekableSource,
  SourceElement,
  SourceEnd,
  ArraySourceOptions,
  RandomGeneratorOptions,
  ResumeInfo,
} from './resume/index.ts';
export { SourceQueueRunner, sourceQueueRunner } from './session/SourceQueueRunner.ts';
export type { SourceQueueRunnerOptions, SourceInput } from './session/SourceQueueRunner.ts';
export type { SaveableContext } from './checkpoint/Saveable.ts';

export { logger, setLogger, consoleLogger, silentLogger } from './logger.ts';
export type { Logger, LogLevel } from './logger.ts';

export { lifecycleMachine } from '../machines/index.ts';
export type {
  LifecycleActor,
  LifecycleSnapshot,
  LifecycleContext,
  LifecycleEvent,
  RecoveryRecord,
} from '../machines/index.ts';

// The fault-injection kit is the `monitored-session/testing` subpath (src/testing/index.ts).
