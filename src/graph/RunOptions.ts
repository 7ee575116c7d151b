import { checkOptions, expect, is, oneOf, optional } from '../internal/validate.ts';

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

const RUN_OPTION_KEYS = [
  'traceLevel',
  'timeoutInMs',
  'outputPartitionGraphs',
  'debugTensorWatchOpts',
  'reportTensorAllocationsUponOom',
  'interOpThreadPool',
  'debugOptions',
] as const;
const traceLevelRule = oneOf(0, 1, 2, 3);

/**
 * Checks the `options` of one run (`null`/`undefined` for none): unknown keys are refused with
 * the camelCase name they probably meant, and each known one is type-checked.
 * @internal
 */
export function checkRunOptions(api: string, options: unknown): RunOptions | undefined {
  if (options === undefined || options === null) return undefined;
  const o = checkOptions(api, options, RUN_OPTION_KEYS);
  if (o.traceLevel !== undefined) expect(api, 'options.traceLevel', o.traceLevel, traceLevelRule);
  if (o.timeoutInMs !== undefined) expect(api, 'options.timeoutInMs', o.timeoutInMs, is.duration);
  if (o.outputPartitionGraphs !== undefined)
    expect(api, 'options.outputPartitionGraphs', o.outputPartitionGraphs, is.boolean);
  if (o.debugTensorWatchOpts !== undefined)
    expect(api, 'options.debugTensorWatchOpts', o.debugTensorWatchOpts, is.array);
  if (o.reportTensorAllocationsUponOom !== undefined) {
    expect(api, 'options.reportTensorAllocationsUponOom', o.reportTensorAllocationsUponOom, is.boolean);
  }
  if (o.interOpThreadPool !== undefined) expect(api, 'options.interOpThreadPool', o.interOpThreadPool, is.integer);
  if (o.debugOptions !== undefined) {
    const d = checkOptions(api, o.debugOptions, ['resetDiskByteUsage'], { name: 'options.debugOptions' });
    optional(api, 'options.debugOptions.resetDiskByteUsage', d.resetDiskByteUsage, is.boolean);
  }
  return options as RunOptions;
}

/** Checks the `runMetadata` argument of a run: an object filled in place, or `null`/`undefined`. @internal */
export function checkRunMetadata(api: string, runMetadata: unknown): RunMetadata | undefined {
  if (runMetadata === undefined || runMetadata === null) return undefined;
  return expect(api, 'runMetadata', runMetadata, is.object) as RunMetadata;
}
