export { Graph } from './Graph.ts';
export { GraphKeys, type GraphKey } from './GraphKeys.ts';
export { Tensor, type ValueOf, type ValuesOf, type TensorLike } from './Tensor.ts';
export { Variable, type VariableOptions } from './Variable.ts';
export { FIFOQueue, type FIFOQueueOptions, type QueueCloseOptions } from './FIFOQueue.ts';
export { Session, type SessionOptions, type SessionConfig } from './Session.ts';
export { Server, registerTargetResolver, type TargetResolver } from './Server.ts';
export { getGlobalStep, getOrCreateGlobalStep, createGlobalStep } from './globalStep.ts';
export {
  TraceLevel,
  type RunOptions,
  type RunMetadata,
  type NodeExecStats,
  type PartitionGraph,
} from './RunOptions.ts';
export type { Fetch, FetchResult, FeedDict } from './fetches.ts';
export type { ResourceStore, QueueResource, MaybePromise } from './ResourceStore.ts';
