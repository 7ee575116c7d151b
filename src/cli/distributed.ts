import path from 'node:path';
import { readCheckpoint } from '../checkpoint/Saver.ts';
import { latestCheckpoint } from '../checkpoint/state.ts';
import { OutOfRangeError } from '../errors.ts';
// Through the folder barrels: they stay put while the hooks' files move.
import { NanTensorHook, ProgressHook, StopAtStepHook, type Hook } from '../hooks/index.ts';
import { monitoredTrainingSession } from '../training/monitoredTrainingSession.ts';
import type { MonitoredSession } from '../session/MonitoredSession.ts';
import { parseRedisTarget } from '../redis/target.ts';
import { buildIrisModel } from './iris.ts';
import type { TrainOptions, TrainReport } from './train.ts';
import { alreadyComplete, countedCheckpoints, observeRun, ranReport, trainUntilStopped } from './loop.ts';

/** Where this process stands in a distributed job. */
export interface DistributedArgs {
  /** The shared target, e.g. `redis://127.0.0.1:6379/0?job=iris`. */
  master: string;
  isChief: boolean;
  /** 0 for the chief, N for `--worker N`. */
  taskIndex: number;
}

/** The `parseArgs` options of distributed training, for `train`'s parser. */
export const DISTRIBUTED_OPTIONS = {
  master: { type: 'string' },
  job: { type: 'string' },
  chief: { type: 'boolean' },
  worker: { type: 'string' },
  'task-index': { type: 'string' },
} as const;

/** Usage lines of the distributed options. */
export const DISTRIBUTED_USAGE = `
Distributed training (chief and workers as separate processes sharing state in Redis):
  --master URL               redis://[user:pass@]host:port/db?job=NAME (or rediss://); needs \`redis\` installed
  --job NAME                 the job's name, if the URL has no ?job=
  --chief                    this process is the chief: restores, initializes, checkpoints
  --worker N                 this process is worker N (N >= 1); waits for the chief
  --task-index N             0 for the chief, N >= 1 for worker N`;

interface DistributedValues {
  master?: string | undefined;
  job?: string | undefined;
  chief?: boolean | undefined;
  worker?: string | undefined;
  'task-index'?: string | undefined;
}

/**
 * Validates the distributed flags; `undefined` when none is given. `fail` makes the CLI's usage
 * error from a message.
 */
export function parseDistributed(
  values: DistributedValues,
  fail: (message: string) => Error,
): DistributedArgs | undefined {
  const roles = [
    values.chief ? '--chief' : undefined,
    values.worker !== undefined ? '--worker' : undefined,
    values['task-index'] !== undefined ? '--task-index' : undefined,
  ].filter(Boolean);
  if (values.master === undefined) {
    if (roles.length > 0 || values.job !== undefined)
      throw fail(`${roles[0] ?? '--job'} needs --master redis://host:port/db?job=NAME`);
    return undefined;
  }
  if (roles.length !== 1) throw fail('--master needs exactly one of --chief, --worker N or --task-index N');
  const index = (flag: string, raw: string, min: number): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min)
      throw fail(`expected ${flag} to be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const taskIndex = values.chief
    ? 0
    : values.worker !== undefined
      ? index('--worker', values.worker, 1)
      : index('--task-index', values['task-index']!, 0);
  let master = values.master;
  if (!/^rediss?:\/\//.test(master))
    throw fail(`expected --master to be a redis:// or rediss:// URL, got ${JSON.stringify(master)}`);
  if (values.job !== undefined) {
    const url = new URL(master);
    const given = url.searchParams.get('job');
    if (given !== null && given !== values.job)
      throw fail(`--job ${values.job} differs from the job in --master (${given})`);
    url.searchParams.set('job', values.job);
    master = url.toString();
  }
  try {
    parseRedisTarget(master);
  } catch (error) {
    throw fail(`--master: ${(error as Error).message.replace(/^Session: /, '')}`);
  }
  return { master, isChief: taskIndex === 0, taskIndex };
}

/** The target the tasks use: input queues stay local to each process (as TF workers' are). */
function sessionTarget(master: string): string {
  const url = new URL(master);
  if (!url.searchParams.has('queues')) url.searchParams.set('queues', 'local');
  return url.toString();
}

async function stepOf(prefix: string): Promise<number> {
  const step = (await readCheckpoint(prefix)).variables['global_step'];
  return typeof step === 'number' ? step : 0;
}

/**
 * Trains Iris as one task of a distributed job on Redis. The chief restores from (and saves to)
 * `checkpointDir`, starts a new run generation and marks it ready; a worker waits for that, then
 * trains. Every task stops at the last step; the chief then marks the job done, so a worker that
 * is still waiting for a chief ends cleanly (exit 0) instead of hanging.
 */
export async function trainDistributed(options: TrainOptions & { distributed: DistributedArgs }): Promise<TrainReport> {
  const redis = await import('../redis/index.ts');
  const started = Date.now();
  const { master, isChief, taskIndex } = options.distributed;
  const target = sessionTarget(master);
  const checkpointDir = path.resolve(options.checkpointDir);
  // Each task reads the data in its own order (and injects its own faults).
  const model = buildIrisModel({ seed: options.seed + taskIndex * 7919, faultRate: options.faultRate });
  const latest = isChief ? await latestCheckpoint(checkpointDir) : undefined;
  const latestStep = latest === undefined ? 0 : await stepOf(latest);
  const base = {
    targetStep: options.steps,
    checkpointDir,
    summaryDir: isChief ? checkpointDir : null,
    // Workers on a shared store train asynchronously (TensorFlow's semantics): a resume is not exact.
    exactResume: false,
    exactResumeReasons: ['a multi-worker job on a shared store (asynchronous updates)'],
  };
  if (isChief && latestStep >= options.steps) {
    await redis.markJobDone(master, latestStep);
    await redis.closeRedisConnections();
    return { ...base, ...alreadyComplete(latestStep, latest) };
  }

  const checkpoints = countedCheckpoints(checkpointDir, options.saveCheckpointSteps);
  const { observer, restoredSteps, final } = observeRun(model, latestStep);
  const hooks: Hook[] = [
    new StopAtStepHook({ lastStep: options.steps }),
    new NanTensorHook({ lossTensor: model.loss }),
    new ProgressHook({
      lastStep: options.steps,
      tensors: { loss: model.fullLoss, accuracy: model.accuracy },
      stream: options.progress,
    }),
  ];
  const recovery = { backoff: { initialMs: 20, maxMs: 500 } };
  let sess: MonitoredSession;
  try {
    sess = isChief
      ? await monitoredTrainingSession({
          graph: model.graph,
          master: target,
          isChief: true,
          checkpointDir,
          saveCheckpointSecs: 0,
          saveCheckpointSteps: 0,
          saveSummariesSteps: 50,
          logStepCountSteps: 50,
          chiefOnlyHooks: [observer, checkpoints.hook],
          hooks,
          recovery,
        })
      : await monitoredTrainingSession({
          graph: model.graph,
          master: target,
          isChief: false,
          hooks: [observer, ...hooks],
          recovery,
          recoveryWaitSecs: 5,
        });
  } catch (error) {
    await redis.closeRedisConnections();
    // A worker that comes to a finished job has nothing to do.
    if (!isChief && error instanceof OutOfRangeError) {
      const step = Number(/at step (\d+)/.exec(error.message)?.[1] ?? 0);
      const job = master.replace(/\/\/[^@/]*@/, '//');
      return { ...base, ...alreadyComplete(step, latest), checkpointDir: job, restoredSteps };
    }
    throw error;
  }
  let interrupted = false;
  try {
    interrupted = await trainUntilStopped(sess, model.train, options);
    if (isChief && !interrupted && final.step >= options.steps) await redis.markJobDone(master, final.step);
  } finally {
    await redis.closeRedisConnections();
  }
  return {
    ...base,
    ...ranReport({
      interrupted,
      // A worker reads no checkpoint: it starts where the job was when it joined.
      startStep: isChief ? latestStep : (restoredSteps[0] ?? 0),
      final,
      faultsInjected: model.faults.count,
      sess,
      restoredSteps,
      checkpointsWritten: checkpoints.counted.written,
      latestCheckpoint: isChief ? await latestCheckpoint(checkpointDir) : undefined,
      started,
    }),
  };
}
