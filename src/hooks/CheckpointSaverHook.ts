import path from 'node:path';
import { yieldToEventLoop } from '../internal/brand.ts';
import { writeFileDurably } from '../internal/durableFile.ts';
import { graphDefBytes, graphToPbtxt } from '../checkpoint/graphDef.ts';
import { RuntimeError, UsageValueError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { Session } from '../graph/Session.ts';
import { logger } from '../logger.ts';
import type { SaverLike, Scaffold } from '../session/Scaffold.ts';
import { DirectoryWriter } from './DirectoryWriter.ts';
import { arrayOf, checkOptions, expect, is, misuse, optional, withMethods } from '../internal/validate.ts';
import { BackgroundWrite } from './BackgroundWrite.ts';
import type {
  CheckpointSaverHookOptions,
  CheckpointSaverListener,
  SessionLogSink,
} from './CheckpointSaverHookOptions.ts';
import { GraphBound } from './GraphBound.ts';
import { checkGraph, checkRunArgs, checkSession, runSession, stepResult } from './hookArgs.ts';
import { clockOption, periodicTimer } from './hookOptions.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import type { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

export type {
  CheckpointSaverHookOptions,
  CheckpointSaverListener,
  SessionLogSink,
} from './CheckpointSaverHookOptions.ts';

/** TensorFlow's internal steps-per-run of this hook: read the real step after every run. */
const STEPS_PER_RUN = 1_000_000;

const API = 'CheckpointSaverHook';
const AFTER_RUN = `${API}.afterRun`;
const KNOWN = [
  'checkpointDir',
  'saveSecs',
  'saveSteps',
  'saver',
  'checkpointBasename',
  'scaffold',
  'listeners',
  'saveGraphDef',
  'summaryWriter',
  'failOnSaveError',
  'onSaveError',
  'async',
  'clock',
] as const;
const saverRule = withMethods<SaverLike>('a saver (with save)', 'save');
const listenerRule = withMethods<CheckpointSaverListener>('a listener object');
const sinkRule = withMethods<SessionLogSink>('a summary writer (with addSessionLog)', 'addSessionLog');

/**
 * Saves checkpoints: right after each session creation (including recoveries), every
 * `saveSecs` or `saveSteps`, and at the end (TensorFlow's `CheckpointSaverHook`).
 */
export class CheckpointSaverHook extends SessionRunHook<number> {
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
  readonly #given: SessionLogSink | undefined;
  readonly #directory: DirectoryWriter;
  readonly #failOnSaveError: boolean;
  readonly #onSaveError: ((error: unknown, globalStep: number) => void) | undefined;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));
  readonly #async: boolean;
  readonly #background = new BackgroundWrite();
  #warnedSync = false;
  #graph: Graph | undefined;

  constructor(options: CheckpointSaverHookOptions) {
    super();
    const opts = checkOptions(API, options, KNOWN, { required: true });
    const checkpointDir = expect(API, 'checkpointDir', opts.checkpointDir, is.nonEmptyString);
    const saver = optional(API, 'saver', opts.saver, saverRule);
    const scaffold = optional(API, 'scaffold', opts.scaffold, is.object) as Scaffold | undefined;
    if (saver !== undefined && scaffold !== undefined) {
      throw new UsageValueError(`${API}: You cannot provide both saver and scaffold.`, {
        api: API,
        option: 'saver',
        received: saver,
      });
    }
    const basename = optional(API, 'checkpointBasename', opts.checkpointBasename, is.nonEmptyString) ?? 'model.ckpt';
    if (basename.includes('/') || basename.includes(path.sep))
      misuse(API, 'checkpointBasename', 'a file name', basename);
    const clock = clockOption(API, opts.clock);
    this.#timer = periodicTimer(API, {
      steps: ['saveSteps', opts.saveSteps],
      secs: ['saveSecs', opts.saveSecs],
      clock,
    });
    this.checkpointDir = path.resolve(checkpointDir);
    this.savePath = path.join(this.checkpointDir, basename);
    this.#saver = saver;
    this.#scaffold = scaffold;
    this.#listeners = [...(optional(API, 'listeners', opts.listeners, arrayOf(listenerRule)) ?? [])];
    this.#saveGraphDef = optional(API, 'saveGraphDef', opts.saveGraphDef, is.boolean) ?? true;
    this.#given = optional(API, 'summaryWriter', opts.summaryWriter, sinkRule);
    this.#directory = new DirectoryWriter(this.#given === undefined ? this.checkpointDir : undefined);
    this.#failOnSaveError = optional(API, 'failOnSaveError', opts.failOnSaveError, is.boolean) ?? false;
    this.#onSaveError = optional(
      API,
      'onSaveError',
      opts.onSaveError,
      is.function,
    ) as CheckpointSaverHookOptions['onSaveError'];
    this.#async = optional(API, 'async', opts.async, is.boolean) ?? false;
    if (this.#async && saver !== undefined && typeof saver.saveInBackground !== 'function')
      misuse(API, 'saver', 'a saver with saveInBackground (as `async` is true)', saver, 'type');
  }

  override async begin(graph?: Graph): Promise<void> {
    checkGraph(`${API}.begin`, graph); // before anything is acquired
    // TensorFlow records each save as a CHECKPOINT session log in the checkpoint directory's events.
    try {
      this.#writer = this.#given ?? this.#directory.acquire();
    } catch (error) {
      if (this.#failOnSaveError) throw error;
      logger.error(
        `CheckpointSaverHook: no event file in ${this.checkpointDir}; checkpoints are not logged as events.`,
        error,
      );
    }
    this.#graph = graph ?? this.#graph;
    this.#step.begin(graph);
    for (const l of this.#listeners) await l.begin?.();
  }

  override async afterCreateSession(session: Session): Promise<void> {
    const globalStep = this.#step.afterCreateSession(session);
    this.#graph ??= session.graph;
    if (this.#saveGraphDef) {
      await writeFileDurably(path.join(this.checkpointDir, 'graph.pbtxt'), graphToPbtxt(session.graph), API);
      this.#writer?.addGraph?.(graphDefBytes(session.graph));
    }
    // A checkpoint right away, so a recovery never goes back further than this creation.
    const step = await session.run(globalStep);
    await this.#save(session, step);
    this.#timer.updateLastTriggeredStep(step);
  }

  override beforeRun(): SessionRunArgs {
    return this.#step.fetchArgs;
  }

  /**
   * Not an async method: a step with no write in the background and no save due (all but one in
   * `saveSteps`) returns nothing, and the hooked layer waits for no promise.
   */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues<number>): Promise<void> | void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    if (
      (this.#background.pending && !this.#background.quiet) ||
      this.#background.ended ||
      this.#timer.shouldTriggerForStep(stepResult(AFTER_RUN, runValues.results) + STEPS_PER_RUN)
    )
      return this.#afterRun(runContext, runValues);
  }

  async #afterRun(runContext: SessionRunContext, runValues: SessionRunValues<number>): Promise<void> {
    // A write in the background goes on only when the event loop turns (its calls complete there),
    // and a training loop whose steps never wait on I/O never lets it: one turn per step while a
    // write is in flight, else the write would wait for the next save, and that step for it. A
    // write on another thread (`quiet`) needs no turn until that thread reports.
    if (this.#background.pending && !this.#background.quiet) await yieldToEventLoop();
    if (this.#background.ended && (await this.#settle(runSession(AFTER_RUN, runContext), false)))
      runContext.requestStop();
    if (!this.#timer.shouldTriggerForStep(stepResult(AFTER_RUN, runValues.results) + STEPS_PER_RUN)) return;
    const session = runSession(AFTER_RUN, runContext);
    const step = await session.run(this.#step.value);
    if (this.#timer.shouldTriggerForStep(step)) {
      this.#timer.updateLastTriggeredStep(step);
      if (await this.#save(session, step)) runContext.requestStop();
    }
  }

  override async end(session: Session): Promise<void> {
    checkSession(`${API}.end`, session);
    try {
      await this.#settle(session, true);
      const step = await session.run(this.#step.value);
      if (step !== this.#timer.lastTriggeredStep()) await this.#save(session, step, false);
      for (const l of this.#listeners) await l.end?.(session, step);
      await (this.#writer as { flush?: () => Promise<void> } | undefined)?.flush?.();
    } finally {
      await this.#directory.release();
    }
  }

  /** Waits for a write in the background (its failure logged, never thrown here), then lets the event file go. */
  async endOnError(): Promise<void> {
    try {
      const outcome = await this.#background.take(true);
      if (outcome?.failed) this.#record(outcome.error, outcome.step);
      else if (outcome) this.#logged(outcome.step);
    } finally {
      await this.#directory.release();
    }
  }

  /** The saver: the given one, the scaffold's, or the single one in `SAVERS`. */
  #getSaver(): SaverLike {
    if (this.#saver) return this.#saver;
    if (this.#scaffold?.saver) return this.#scaffold.saver;
    const savers = this.#graph?.getCollection<SaverLike>(GraphKeys.SAVERS) ?? [];
    if (savers.length === 0)
      throw new RuntimeError('CheckpointSaverHook: No items in collection savers. Please pass a saver or a scaffold.');
    if (savers.length > 1)
      throw new RuntimeError(
        'CheckpointSaverHook: More than one item in collection savers. Please indicate which one to use by passing it to the constructor.',
      );
    return savers[0]!;
  }

  /**
   * Saves (in the background with `async`, once the previous write has ended); returns true
   * when a listener asks to stop.
   */
  async #save(session: Session, step: number, background = this.#async): Promise<boolean> {
    const stop = await this.#settle(session, true);
    logger.info(`Saving checkpoints for ${step} into ${this.savePath}.`);
    for (const l of this.#listeners) await l.beforeSave?.(session, step);
    try {
      const saver = this.#getSaver();
      const options = { globalStep: step, writeMetaGraph: this.#saveGraphDef };
      if (background && typeof saver.saveInBackground === 'function') {
        const { written, quiet } = await saver.saveInBackground(session, this.savePath, options);
        this.#background.track(step, written, quiet);
        return stop;
      }
      if (background && !this.#warnedSync) {
        this.#warnedSync = true;
        logger.warn(`${API}: the saver has no saveInBackground; \`async\` checkpoints are written synchronously.`);
      }
      await saver.save(session, this.savePath, options);
    } catch (error) {
      return this.#failed(error, step) || stop;
    }
    return (await this.#saved(session, step)) || stop;
  }

  /** Takes the outcome of the write in the background (waiting for it if `wait`); true when a listener asks to stop. */
  async #settle(session: Session, wait: boolean): Promise<boolean> {
    const outcome = await this.#background.take(wait);
    if (outcome === undefined) return false;
    return outcome.failed ? this.#failed(outcome.error, outcome.step) : this.#saved(session, outcome.step);
  }

  /** A checkpoint is written: logged, and listeners told; true when one asks to stop. */
  async #saved(session: Session, step: number): Promise<boolean> {
    this.#logged(step);
    let stop = false;
    for (const l of this.#listeners) if (await l.afterSave?.(session, step)) stop = true;
    return stop;
  }

  #logged(step: number): void {
    // As TensorFlow writes it: the save path (`<dir>/model.ckpt`), not the step's prefix.
    this.#writer?.addSessionLog({ status: 'CHECKPOINT', checkpointPath: this.savePath }, step);
  }

  /** A save failed: thrown with `failOnSaveError`, else recorded and training goes on. */
  #failed(error: unknown, step: number): false {
    if (this.#failOnSaveError) throw error;
    this.#record(error, step);
    return false;
  }

  #record(error: unknown, step: number): void {
    this.saveErrors.push(error);
    logger.error(
      `CheckpointSaverHook: saving the checkpoint for step ${step} failed; training goes on and the next save tries again.`,
      error,
    );
    this.#onSaveError?.(error, step);
  }
}
