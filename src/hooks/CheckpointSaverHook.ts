import path from 'node:path';
import type { Clock } from '../clock.ts';
import { writeFileDurably } from '../internal/durableFile.ts';
import { graphToPbtxt } from '../checkpoint/graphDef.ts';
import { InvalidArgumentError, RuntimeError, ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { Session } from '../graph/Session.ts';
import type { Variable } from '../graph/Variable.ts';
import { logger } from '../logger.ts';
import type { SaverLike, Scaffold } from '../session/Scaffold.ts';
import { SummaryWriterCache } from '../summary/SummaryWriter.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

type MaybePromise<T> = T | Promise<T>;

/** Told around every save of a {@link CheckpointSaverHook} (TensorFlow's `CheckpointSaverListener`). */
export interface CheckpointSaverListener {
  begin?(): MaybePromise<void>;
  beforeSave?(session: Session, globalStep: number): MaybePromise<void>;
  /** Returning true asks the session to stop. */
  afterSave?(session: Session, globalStep: number): MaybePromise<boolean | void>;
  end?(session: Session, globalStep: number): MaybePromise<void>;
}

/** Where the hook reports checkpoint events (a `SummaryWriter` has this method). */
export interface SessionLogSink {
  addSessionLog(log: { status: 'START' | 'STOP' | 'CHECKPOINT'; checkpointPath?: string; msg?: string }, step: number): void;
}

/** Options of {@link CheckpointSaverHook}. */
export interface CheckpointSaverHookOptions {
  checkpointDir: string;
  /** Save every N seconds (on the clock). Exactly one of `saveSecs`, `saveSteps`. */
  saveSecs?: number | null;
  /** Save every N global steps. */
  saveSteps?: number | null;
  /** The saver; else the scaffold's; else the single one in `GraphKeys.SAVERS`. */
  saver?: SaverLike;
  /** @default 'model.ckpt' */
  checkpointBasename?: string;
  scaffold?: Scaffold;
  listeners?: readonly CheckpointSaverListener[];
  /** Write `graph.pbtxt` after each session creation and a `.meta` file with each checkpoint. @default true */
  saveGraphDef?: boolean;
  /** Receives a `CHECKPOINT` session log per save. */
  summaryWriter?: SessionLogSink;
  /**
   * What a failed save does. TensorFlow stops the run; by default this hook reports the error
   * (logger and `onSaveError`) and lets training go on, trying again at the next save. @default false
   */
  failOnSaveError?: boolean;
  /** Told of every failed save. */
  onSaveError?: (error: unknown, globalStep: number) => void;
  clock?: Clock;
}

/** TensorFlow's internal steps-per-run of this hook: read the real step after every run. */
const STEPS_PER_RUN = 1_000_000;

/**
 * Saves checkpoints: right after each session creation (including recoveries), every
 * `saveSecs` or `saveSteps`, and at the end (TensorFlow's `CheckpointSaverHook`).
 */
export class CheckpointSaverHook extends SessionRunHook {
  readonly checkpointDir: string;
  readonly savePath: string;
  /** Errors of failed saves, oldest first (when `failOnSaveError` is false). */
  readonly saveErrors: unknown[] = [];
  readonly #timer: SecondOrStepTimer;
  readonly #saver: SaverLike | undefined;
  readonly #scaffold: Scaffold | undefined;
  readonly #listeners: readonly CheckpointSaverListener[];
  readonly #saveGraphDef: boolean;
  #writer: SessionLogSink | undefined;
  readonly #failOnSaveError: boolean;
  readonly #onSaveError: ((error: unknown, globalStep: number) => void) | undefined;
  #step: Variable<number> | undefined;
  #graph: Graph | undefined;

  constructor(options: CheckpointSaverHookOptions) {
    super();
    const { checkpointDir, saver, scaffold } = options ?? ({} as CheckpointSaverHookOptions);
    if (typeof checkpointDir !== 'string' || checkpointDir === '') {
      throw new InvalidArgumentError(`CheckpointSaverHook: expected \`checkpointDir\` to be a non-empty path, got ${describeValue(checkpointDir)}`);
    }
    if (saver !== undefined && scaffold !== undefined) throw new ValueError('CheckpointSaverHook: You cannot provide both saver and scaffold.');
    const basename = options.checkpointBasename ?? 'model.ckpt';
    if (typeof basename !== 'string' || basename === '' || basename.includes('/') || basename.includes(path.sep)) {
      throw new InvalidArgumentError(`CheckpointSaverHook: expected \`checkpointBasename\` to be a file name, got ${describeValue(basename)}`);
    }
    this.#timer = new SecondOrStepTimer({ everySecs: options.saveSecs ?? null, everySteps: options.saveSteps ?? null, ...(options.clock ? { clock: options.clock } : {}) });
    this.checkpointDir = path.resolve(checkpointDir);
    this.savePath = path.join(this.checkpointDir, basename);
    this.#saver = saver;
    this.#scaffold = scaffold;
    this.#listeners = [...(options.listeners ?? [])];
    this.#saveGraphDef = options.saveGraphDef ?? true;
    this.#writer = options.summaryWriter;
    this.#failOnSaveError = options.failOnSaveError ?? false;
    this.#onSaveError = options.onSaveError;
  }

  override async begin(graph?: Graph): Promise<void> {
    // TensorFlow records each save as a CHECKPOINT session log in the checkpoint directory's events.
    try {
      this.#writer ??= SummaryWriterCache.get(this.checkpointDir);
    } catch (error) {
      if (this.#failOnSaveError) throw error;
      logger.error(`CheckpointSaverHook: no event file in ${this.checkpointDir}; checkpoints are not logged as events.`, error);
    }
    if (graph !== undefined) {
      this.#graph = graph;
      this.#step = requireGlobalStep(graph, 'CheckpointSaverHook');
    }
    for (const l of this.#listeners) await l.begin?.();
  }

  override async afterCreateSession(session: Session): Promise<void> {
    this.#graph ??= session.graph;
    this.#step ??= requireGlobalStep(session.graph, 'CheckpointSaverHook');
    if (this.#saveGraphDef) {
      await writeFileDurably(path.join(this.checkpointDir, 'graph.pbtxt'), graphToPbtxt(session.graph), 'CheckpointSaverHook');
    }
    // A checkpoint right away, so a recovery never goes back further than this creation.
    const step = await session.run(this.#step);
    await this.#save(session, step);
    this.#timer.updateLastTriggeredStep(step);
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.#step);
  }

  override async afterRun(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    const stale = runValues.results as number;
    if (!this.#timer.shouldTriggerForStep(stale + STEPS_PER_RUN)) return;
    const step = await runContext.session.run(this.#step!);
    if (this.#timer.shouldTriggerForStep(step)) {
      this.#timer.updateLastTriggeredStep(step);
      if (await this.#save(runContext.session, step)) runContext.requestStop();
    }
  }

  override async end(session: Session): Promise<void> {
    const step = await session.run(this.#step!);
    if (step !== this.#timer.lastTriggeredStep()) await this.#save(session, step);
    for (const l of this.#listeners) await l.end?.(session, step);
    await (this.#writer as { flush?: () => Promise<void> } | undefined)?.flush?.();
  }

  /** The saver: the given one, the scaffold's, or the single one in `SAVERS`. */
  #getSaver(): SaverLike {
    if (this.#saver) return this.#saver;
    if (this.#scaffold?.saver) return this.#scaffold.saver;
    const savers = this.#graph?.getCollection<SaverLike>(GraphKeys.SAVERS) ?? [];
    if (savers.length === 0) throw new RuntimeError('CheckpointSaverHook: No items in collection savers. Please pass a saver or a scaffold.');
    if (savers.length > 1) throw new RuntimeError('CheckpointSaverHook: More than one item in collection savers. Please indicate which one to use by passing it to the constructor.');
    return savers[0]!;
  }

  /** Saves; returns true when a listener asks to stop. */
  async #save(session: Session, step: number): Promise<boolean> {
    logger.info(`Saving checkpoints for ${step} into ${this.savePath}.`);
    for (const l of this.#listeners) await l.beforeSave?.(session, step);
    let prefix: string;
    try {
      prefix = await this.#getSaver().save(session, this.savePath, { globalStep: step, writeMetaGraph: this.#saveGraphDef });
    } catch (error) {
      if (this.#failOnSaveError) throw error;
      this.saveErrors.push(error);
      logger.error(`CheckpointSaverHook: saving the checkpoint for step ${step} failed; training goes on and the next save tries again.`, error);
      this.#onSaveError?.(error, step);
      return false;
    }
    this.#writer?.addSessionLog({ status: 'CHECKPOINT', checkpointPath: prefix }, step);
    let stop = false;
    for (const l of this.#listeners) if (await l.afterSave?.(session, step)) stop = true;
    return stop;
  }
}
