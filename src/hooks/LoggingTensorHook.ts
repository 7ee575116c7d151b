import { systemClock, type Clock } from '../clock.ts';
import { UsageValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { checkOptions, expect, is, misuse, optional } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { GraphBound } from './GraphBound.ts';
import { checkRunArgs, checkSession } from './hookArgs.ts';
import { clockOption, periodicTimer, tensorOrName } from './hookOptions.ts';
import type { SecondOrStepTimer } from './SecondOrStepTimer.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

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

const API = 'LoggingTensorHook';
const AFTER_RUN = `${API}.afterRun`;
const KNOWN = ['tensors', 'everyNIter', 'everyNSecs', 'atEnd', 'formatter', 'log', 'clock'] as const;

function show(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  if (ArrayBuffer.isView(value)) {
    const items = value as unknown as ArrayLike<number>;
    return `[${Array.from(items).slice(0, 10).join(' ')}${items.length > 10 ? ' ...' : ''}]`;
  }
  return describeValue(value);
}

function checkTensors(tensors: unknown): [string[], (Tensor | string)[]] {
  if (tensors === null || typeof tensors !== 'object')
    misuse(API, 'tensors', 'a list or an object of tensors', tensors, 'type');
  const entries: [string, unknown][] = Array.isArray(tensors)
    ? tensors.map((t: unknown) => [t instanceof Tensor ? t.name : String(t), t])
    : Object.keys(tensors)
        .sort()
        .map((k) => [k, (tensors as Record<string, unknown>)[k]]);
  for (const [tag, t] of entries)
    if (!tensorOrName.test(t)) misuse(API, `tensors.${tag}`, tensorOrName.expected, t, 'type');
  return [entries.map(([tag]) => tag), entries.map(([, t]) => t as Tensor | string)];
}

/** Logs the values of tensors every N local iterations or seconds, and/or at the end. */
export class LoggingTensorHook extends SessionRunHook<unknown[]> {
  readonly #tags: string[];
  readonly #timer: SecondOrStepTimer | undefined;
  readonly #atEnd: boolean;
  readonly #formatter: ((values: Record<string, unknown>) => string) | undefined;
  readonly #log: (line: string) => void;
  readonly #clock: Clock;
  readonly #tensors: GraphBound<Tensor[]>;
  #iter = 0;
  #shouldTrigger = false;
  #lastTime: number | undefined;

  constructor(options: LoggingTensorHookOptions) {
    super();
    const opts = checkOptions(API, options, KNOWN, { required: true });
    const [tags, specs] = checkTensors(opts.tensors);
    const atEnd = optional(API, 'atEnd', opts.atEnd, is.boolean) ?? false;
    const clock = clockOption(API, opts.clock);
    const onlyAtEnd = atEnd && (opts.everyNIter ?? null) === null && (opts.everyNSecs ?? null) === null;
    if (!onlyAtEnd && (opts.everyNIter ?? null) === null && (opts.everyNSecs ?? null) === null) {
      const message = `${API}: either \`atEnd\` and/or exactly one of \`everyNIter\` and \`everyNSecs\` must be provided.`;
      throw new UsageValueError(message, { api: API, option: 'everyNIter', received: opts.everyNIter });
    }
    if (opts.everyNIter !== undefined && opts.everyNIter !== null)
      optional(API, 'everyNIter', opts.everyNIter, is.positiveInteger);
    this.#tags = tags;
    this.#timer = onlyAtEnd
      ? undefined
      : periodicTimer(API, { steps: ['everyNIter', opts.everyNIter], secs: ['everyNSecs', opts.everyNSecs], clock });
    this.#atEnd = atEnd;
    this.#formatter = optional(API, 'formatter', opts.formatter, is.function) as LoggingTensorHookOptions['formatter'];
    const log = optional(API, 'log', opts.log, is.function) as LoggingTensorHookOptions['log'];
    this.#log = log ?? ((line) => logger.info(line));
    this.#clock = clock ?? systemClock;
    this.#tensors = new GraphBound(API, (graph) =>
      specs.map((t) => (t instanceof Tensor ? t : graph.getTensorByName(t))),
    );
  }

  override begin(graph?: Graph): void {
    this.#tensors.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#tensors.afterCreateSession(session);
  }

  override beforeRun(): SessionRunArgs | undefined {
    this.#shouldTrigger = this.#timer?.shouldTriggerForStep(this.#iter) ?? false;
    return this.#shouldTrigger ? new SessionRunArgs(this.#tensors.value) : undefined;
  }

  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues<unknown[]>): void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    if (this.#shouldTrigger) this.#emit(expect(AFTER_RUN, 'runValues.results', runValues.results, is.array));
    this.#iter++;
  }

  override async end(session: Session): Promise<void> {
    checkSession(`${API}.end`, session);
    if (this.#atEnd) this.#emit(await session.run(this.#tensors.value));
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
