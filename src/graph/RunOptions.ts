/** Trace levels of {@link RunOptions.traceLevel}. */
export const TraceLevel = {
  NO_TRACE: 0,
  SOFTWARE_TRACE: 1,
  HARDWARE_TRACE: 2,
  FULL_TRACE: 3,
} as const;

/** Options of one `Session.run` (TensorFlow's `RunOptions`). Hooks' options are merged into it. */
export interface RunOptions {
  /** Above 0, the run records per-node timings in `runMetadata.stepStats`. @default 0 */
  traceLevel?: 0 | 1 | 2 | 3;
  /** Fails the run with `DeadlineExceededError` when it takes longer. 0 or unset: no limit. */
  timeoutInMs?: number;
  /** Fills `runMetadata.partitionGraphs` with the executed nodes. @default false */
  outputPartitionGraphs?: boolean;
  /** Debugger watch options; carried and merged (appended), not interpreted by the embedded backend. */
  debugTensorWatchOpts?: unknown[];
  /** Carried and merged (OR); the embedded backend has no device memory to report. */
  reportTensorAllocationsUponOom?: boolean;
  /** Carried and merged (max); the embedded backend runs on one event loop. */
  interOpThreadPool?: number;
  /** Debugger options; `resetDiskByteUsage` is merged (OR). */
  debugOptions?: { resetDiskByteUsage?: boolean };
}

/** Timing of one node in a traced run. */
export interface NodeExecStats {
  nodeName: string;
  opType: string;
  /** Start, in microseconds since the Unix epoch. */
  startMicros: number;
  /** Duration in microseconds (until the node's promise settled, for async nodes). */
  durationMicros: number;
  /** Which device ran the node. */
  device: string;
}

/** One executed partition (the embedded backend has exactly one, on the CPU). */
export interface PartitionGraph {
  device: string;
  /** Names of the executed nodes, in execution order. */
  nodes: string[];
}

/** What a run reports back (TensorFlow's `RunMetadata`), filled in place. */
export interface RunMetadata {
  /** Per-node timings, when `traceLevel > 0`. */
  stepStats?: NodeExecStats[];
  /** When `outputPartitionGraphs`. */
  partitionGraphs?: PartitionGraph[];
}

/** The device name the embedded backend reports. */
export const CPU_DEVICE = '/job:localhost/replica:0/task:0/device:CPU:0';
