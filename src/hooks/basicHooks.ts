/**
 * The small standard hooks: LoggingTensorHook, NanTensorHook, GlobalStepWaiterHook,
 * FinalOpsHook, FeedFnHook (TensorFlow's basic_session_run_hooks).
 */
import { sleep, systemClock, type Clock } from '../clock.ts';
import { NanLossDuringTrainingError, OutOfRangeError, StopIteration, ValueError, describeValue } from '../errors.ts';
import type { FeedDict, Fetch } from '../graph/fetches.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import type { Variable } from '../graph/Variable.ts';
import { logger } from '../logger.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

/** Options of {@link LoggingTensorHook}. */
export interface LoggingTensorHookOptions {
  /** Tensors or node names to log: a list, or an object of tag → tensor. */
  tensors: readonly (Tensor | string)[] | Readonly<Record<string, Tensor | string>>;
  everyNIter?: number | null;
  everyNSecs?: number | null;
  /** Also log once at the end. @default false */
  atEnd?: boolean;
  /** Turns the values (by tag) into the logged line. */
  formatter?: (values: Record<string, unknown>) => string;
  /** Where lines go. @default logger.info */
  log?: (line: string) => void;
  clock?: Clock;
}

function show(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<number>).slice(0, 10).join(' ')}${(value as unknown as ArrayLike<number>).length > 10 ? ' ...' : ''}]`;
  return describeValue(value);
}

/** Logs the values of tensors every N local iterations or seconds, and/or at the end. */
export class LoggingTensorHook extends SessionRunHook {
  readonly #tags: string[];
  readonly #specs: (Tensor | string)[];
  readonly #timer: SecondOrStepTimer | undefined;
  readonly #atEnd: boolean;
  readonly #formatter: ((values: Record<string, unknown>) => string) | undefined;
  readonly #log: (line: string) => void;
  readonly #clock: Clock;
  #tensors: Tensor[] = [];
  #iter = 0;
  #shouldTrigger = false;
  #lastTime: number | undefined;

  constructor(options: LoggingTensorHookOptions) {
    super();
    const { tensors, atEnd = false } = options ?? ({} as LoggingTensorHookOptions);
    const everyNIter = options.everyNIter ?? null;
    const everyNSecs = options.everyNSecs ?? null;
    const onlyAtEnd = atEnd && everyNIter === null && everyNSecs === null;
    if (!onlyAtEnd && (everyNIter === null) === (everyNSecs === null)) {
      throw new ValueError('LoggingTensorHook: either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.');
    }
    if (everyNIter !== null && !(Number.isInteger(everyNIter) && everyNIter > 0)) throw new ValueError(`LoggingTensorHook: invalid every_n_iter=${describeValue(everyNIter)}.`);
    if (tensors === null || typeof tensors !== 'object') {
      throw new ValueError(`LoggingTensorHook: expected \`tensors\` to be a list or an object of tensors, got ${describeValue(tensors)}`);
    }
    if (Array.isArray(tensors)) {
      this.#specs = [...tensors];
      this.#tags = tensors.map((t) => (t instanceof Tensor ? t.name : String(t)));
    } else {
      this.#tags = Object.keys(tensors).sort();
      this.#specs = this.#tags.map((k) => (tensors as Record<string, Tensor | string>)[k]!);
    }
    this.#timer = onlyAtEnd ? undefined : new SecondOrStepTimer({ everySteps: everyNIter, everySecs: everyNSecs, ...(options.clock ? { clock: options.clock } : {}) });
    this.#atEnd = atEnd;
    this.#formatter = options.formatter;
    this.#log = options.log ?? ((line) => logger.info(line));
    this.#clock = options.clock ?? systemClock;
  }

  override begin(graph?: Graph): void {
    if (graph !== undefined) this.#resolve(graph);
  }

  override afterCreateSession(session: Session): void {
    if (this.#tensors.length === 0) this.#resolve(session.graph);
  }

  #resolve(graph: Graph): void {
    this.#tensors = this.#specs.map((t) => (t instanceof Tensor ? t : graph.getTensorByName(t)));
  }

  override beforeRun(): SessionRunArgs | undefined {
    this.#shouldTrigger = this.#timer?.shouldTriggerForStep(this.#iter) ?? false;
    return this.#shouldTrigger ? new SessionRunArgs(this.#tensors) : undefined;
  }

  override afterRun(_runContext: SessionRunContext, runValues: SessionRunValues): void {
    if (this.#shouldTrigger) this.#emit(runValues.results as unknown[]);
    this.#iter++;
  }

  override async end(session: Session): Promise<void> {
    if (this.#atEnd) this.#emit(await session.run(this.#tensors));
  }

  #emit(values: readonly unknown[]): void {
    const byTag = Object.fromEntries(this.#tags.map((t, i) => [t, values[i]]));
    if (this.#formatter) {
      this.#log(this.#formatter(byTag));
    } else {
      const now = this.#clock.now();
      const elapsed = this.#lastTime === undefined ? '' : ` (${((now - this.#lastTime) / 1000).toFixed(3)} sec)`;
      this.#log(`${this.#tags.map((t) => `${t} = ${show(byTag[t])}`).join(', ')}${elapsed}`);
    }
    this.#lastTime = this.#clock.now();
    this.#timer?.updateLastTriggeredStep(this.#iter);
  }
}

/** Options of {@link NanTensorHook}. */
export interface NanTensorHookOptions {
  lossTensor: Tensor<number> | string;
  /** Throw `NanLossDuringTrainingError` on NaN; else request a stop. @default true */
  failOnNanLoss?: boolean;
}

/** Watches the loss: NaN fails the run (or stops it, with `failOnNanLoss: false`). */
export class NanTensorHook extends SessionRunHook {
  readonly #spec: Tensor<number> | string;
  readonly #fail: boolean;
  #loss: Tensor | undefined;

  constructor(options: NanTensorHookOptions) {
    super();
    if (options?.lossTensor === undefined) throw new ValueError('NanTensorHook: expected `lossTensor` (a tensor or node name), got undefined');
    this.#spec = options.lossTensor;
    this.#fail = options.failOnNanLoss ?? true;
  }

  override begin(graph?: Graph): void {
    if (graph !== undefined) this.#loss = this.#spec instanceof Tensor ? this.#spec : graph.getTensorByName(this.#spec);
  }

  override afterCreateSession(session: Session): void {
    this.#loss ??= this.#spec instanceof Tensor ? this.#spec : session.graph.getTensorByName(this.#spec);
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.#loss);
  }

  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void {
    if (!Number.isNaN(runValues.results)) return;
    if (this.#fail) {
      logger.error('Model diverged with loss = NaN.');
      throw new NanLossDuringTrainingError();
    }
    logger.warn('Model diverged with loss = NaN.');
    runContext.requestStop();
  }
}

/** Options of {@link GlobalStepWaiterHook}. */
export interface GlobalStepWaiterHookOptions {
  waitUntilStep: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Delays a worker's first run until the global step reaches `waitUntilStep` (polling every 0.5 s). */
export class GlobalStepWaiterHook extends SessionRunHook {
  readonly #until: number;
  readonly #clock: Clock;
  #started = false;
  #step: Variable<number> | undefined;

  constructor(options: GlobalStepWaiterHookOptions) {
    super();
    const until = options?.waitUntilStep;
    if (typeof until !== 'number' || !Number.isFinite(until)) {
      throw new ValueError(`GlobalStepWaiterHook: expected \`waitUntilStep\` to be a number, got ${describeValue(until)}`);
    }
    this.#until = until;
    this.#clock = options.clock ?? systemClock;
  }

  override begin(graph?: Graph): void {
    if (graph !== undefined) this.#step = requireGlobalStep(graph, 'GlobalStepWaiterHook');
  }

  override afterCreateSession(session: Session): void {
    this.#step ??= requireGlobalStep(session.graph, 'GlobalStepWaiterHook');
  }

  override async beforeRun(runContext: SessionRunContext): Promise<undefined> {
    if (this.#started) return undefined;
    if (this.#until <= 0) {
      this.#started = true;
      return undefined;
    }
    logger.info(`Waiting for global step ${this.#until} before starting training.`);
    let lastLogged = 0;
    for (;;) {
      const current = await runContext.session.run(this.#step!);
      if (current >= this.#until) {
        this.#started = true;
        return undefined;
      }
      if (current - lastLogged > 1000) {
        logger.info(`Waiting for global step ${this.#until} before starting training. Current step is ${current}.`);
        lastLogged = current;
      }
      await sleep(this.#clock, 500);
    }
  }
}

/** Options of {@link FinalOpsHook}. */
export interface FinalOpsHookOptions {
  finalOps: Fetch;
  finalOpsFeedDict?: FeedDict;
}

/** Runs ops at the end (clean close) and keeps their values in `finalOpsValues`. */
export class FinalOpsHook extends SessionRunHook {
  readonly #ops: Fetch;
  readonly #feeds: FeedDict | undefined;
  #values: unknown;

  constructor(options: FinalOpsHookOptions) {
    super();
    this.#ops = options?.finalOps;
    this.#feeds = options?.finalOpsFeedDict;
  }

  /** The values of the final ops; `undefined` until `end` ran. */
  get finalOpsValues(): unknown {
    return this.#values;
  }

  override async end(session: Session): Promise<void> {
    if (this.#ops === undefined || this.#ops === null) return;
    try {
      this.#values = await session.run(this.#ops, this.#feeds ?? null);
    } catch (error) {
      if (error instanceof OutOfRangeError || error instanceof StopIteration) {
        logger.warn('An OutOfRangeError or StopIteration was raised by the final ops; the input may be exhausted.');
      }
      throw error;
    }
  }
}

/** Options of {@link FeedFnHook}. */
export interface FeedFnHookOptions {
  /** Called before every run; its result is fed. */
  feedFn: () => FeedDict;
}

/** Feeds `feedFn()` into every run. */
export class FeedFnHook extends SessionRunHook {
  readonly #feedFn: () => FeedDict;

  constructor(options: FeedFnHookOptions) {
    super();
    if (typeof options?.feedFn !== 'function') throw new ValueError(`FeedFnHook: expected \`feedFn\` to be a function, got ${describeValue(options?.feedFn)}`);
    this.#feedFn = options.feedFn;
  }

  override beforeRun(): SessionRunArgs {
    return new SessionRunArgs(undefined, this.#feedFn());
  }
}
