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
} from './errors.ts';
export type { ErrorCodeName, OpErrorOptions } from './errors.ts';

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

import * as summary from './summary/ops.ts';
export { summary };
export type { Summary, SummaryValue } from './summary/ops.ts';
export type { HistogramProto } from './summary/histogram.ts';
