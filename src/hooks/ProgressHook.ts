import { systemClock, type Clock } from '../clock.ts';
import { setLogger, type Logger } from '../logger.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type EndInfo,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';
import { checkOptions, expect, is, misuse, optional, rule, withMethods } from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { checkEndInfo, checkRunArgs, checkSession, checkState } from './hookArgs.ts';
import { clockOption, tensorOrName } from './hookOptions.ts';
import { fitProgressLine, formatDuration, formatValue } from './progressLine.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';

/** Where the progress goes: a TTY gets a live bar, anything else gets plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link ProgressHook}. */
export interface ProgressHookOptions {
  /** The step training ends at, for the bar and the ETA. */
  lastStep?: number;
  /** Tensors to show beside the step (e.g. `{ loss }`); fetched only when a line is drawn. */
  tensors?: Readonly<Record<string, Tensor | string>>;
  /** Seconds between updates: of the bar on a TTY, of lines elsewhere. @default 0.2 on a TTY, 10 otherwise */
  everyNSecs?: number;
  /** @default process.stderr */
  stream?: ProgressStream;
  clock?: Clock;
}

const API = 'ProgressHook';
const AFTER_RUN = `${API}.afterRun`;
const streamRule = withMethods<ProgressStream>('a stream (with write)', 'write');
/** What this hook fetched: the global step, then its tensors. */
const resultsRule = rule<[number, ...unknown[]]>(
  'the fetched [step, ...tensors]',
  'type',
  (v) => Array.isArray(v) && typeof v[0] === 'number',
);

function checkTensors(tensors: unknown): [string, Tensor | string][] {
  if (tensors === undefined) return [];
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors))
    misuse(API, 'tensors', 'an object of tag → tensor', tensors, 'type');
  const entries = Object.entries(tensors as Record<string, unknown>);
  for (const [tag, t] of entries)
    if (!tensorOrName.test(t)) misuse(API, `tensors.${tag}`, tensorOrName.expected, t, 'type');
  return entries as [string, Tensor | string][];
}

/**
 * Training progress for people at a terminal: step, steps/sec, ETA and chosen tensors. On a TTY
 * it redraws one bar line in place, never wider than the terminal (`stream.columns`, read at each
 * draw), and while the bar is shown the runtime's log lines are printed above it, never inside it
 * (use {@link ProgressHook.printAbove} for your own lines). Elsewhere it writes a plain line every
 * `everyNSecs` (never both).
 */
export class ProgressHook extends SessionRunHook<[number, ...unknown[]]> {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #everyMs: number;
  readonly #lastStep: number | undefined;
  readonly #specs: [string, Tensor | string][];
  readonly #clock: Clock;
  readonly #bound: GraphBound<{ step: Tensor<number>; tensors: Tensor[] }>;
  #lastDraw: number | undefined;
  #startTime = 0;
  #startStep: number | undefined;
  #due = true;
  /** The bar as last drawn, while it is on screen. */
  #bar: string | undefined;
  /** The logger in place before the bar took over logging, to restore. */
  #previousLogger: Logger | undefined;

  constructor(options: ProgressHookOptions = {}) {
    super();
    const opts = checkOptions(API, options, ['lastStep', 'tensors', 'everyNSecs', 'stream', 'clock']);
    this.#stream = optional(API, 'stream', opts.stream, streamRule) ?? process.stderr;
    this.#tty = Boolean(this.#stream.isTTY);
    const every = optional(API, 'everyNSecs', opts.everyNSecs, is.duration) ?? (this.#tty ? 0.2 : 10);
    this.#everyMs = every * 1000;
    this.#lastStep = optional(API, 'lastStep', opts.lastStep, is.positiveInteger);
    this.#specs = checkTensors(opts.tensors);
    this.#clock = clockOption(API, opts.clock) ?? systemClock;
    this.#bound = new GraphBound(API, (graph) => ({
      step: requireGlobalStep(graph, API),
      tensors: this.#specs.map(([, t]) => (t instanceof Tensor ? t : graph.getTensorByName(t))),
    }));
  }

  override begin(graph?: Graph): void {
    this.#bound.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#bound.afterCreateSession(session);
  }

  override beforeRun(): SessionRunArgs {
    const now = this.#clock.now();
    this.#due = this.#lastDraw === undefined || now - this.#lastDraw >= this.#everyMs;
    const { step, tensors } = this.#bound.value;
    return new SessionRunArgs(this.#due ? [step, ...tensors] : [step]);
  }

  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues<[number, ...unknown[]]>): void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    const [step, ...values] = expect(AFTER_RUN, 'runValues.results', runValues.results, resultsRule);
    const now = this.#clock.now();
    if (this.#startStep === undefined) {
      this.#startStep = step;
      this.#startTime = now;
    }
    if (!this.#due) return;
    this.#lastDraw = now;
    this.#draw(step, values, now);
  }

  override async end(session: Session, info: EndInfo): Promise<void> {
    checkSession(`${API}.end`, session);
    checkEndInfo(`${API}.end`, info);
    // A last draw with the step reached (runs see the step from before they ran).
    if (this.#bound.resolved && this.#startStep !== undefined) {
      const { step: global, tensors } = this.#bound.value;
      const [step, ...values] = await session.run([global, ...tensors]);
      this.#draw(step as number, values, this.#clock.now());
    }
    this.#releaseTerminal();
    if (!this.#tty) this.#stream.write(`training ended: ${info.reason}\n`);
  }

  endOnError(): void {
    this.#releaseTerminal();
  }

  /** Where the counters stand (saved with checkpoints): the rate and the lines resume on their rhythm. */
  checkpointState(): Readonly<Record<string, unknown>> {
    const now = this.#clock.now();
    return {
      startStep: this.#startStep ?? null,
      msSinceStart: this.#startStep === undefined ? null : now - this.#startTime,
      msSinceDraw: this.#lastDraw === undefined ? null : now - this.#lastDraw,
    };
  }

  restoreCheckpointState(state: Readonly<Record<string, unknown>>): void {
    const { startStep, msSinceStart, msSinceDraw } = checkState(`${API}.restoreCheckpointState`, state);
    const now = this.#clock.now();
    const known = typeof startStep === 'number' && typeof msSinceStart === 'number';
    this.#startStep = known ? startStep : undefined;
    this.#startTime = known ? now - msSinceStart : 0;
    this.#lastDraw = typeof msSinceDraw === 'number' ? now - msSinceDraw : undefined;
  }

  /** Writes `text` as whole lines above the bar (or plainly, when no bar is shown). */
  printAbove(text: string): void {
    expect(`${API}.printAbove`, 'text', text, is.string);
    const line = text.endsWith('\n') ? text : `${text}\n`;
    if (this.#bar === undefined) {
      this.#stream.write(line);
      return;
    }
    this.#stream.write(`\r\x1b[2K${line}${this.#bar}`);
  }

  /** Leaves the bar's line (ends it with a newline) and gives logging back. */
  #releaseTerminal(): void {
    if (this.#previousLogger !== undefined) {
      setLogger(this.#previousLogger);
      this.#previousLogger = undefined;
    }
    if (this.#bar !== undefined) this.#stream.write('\n');
    this.#bar = undefined;
  }

  /** While the bar is shown, log lines go above it: clear the bar, log, draw the bar again. */
  #captureLogging(): void {
    let previous: Logger | undefined;
    const around =
      (level: keyof Logger) =>
      (message: string, ...details: unknown[]) => {
        const bar = this.#bar;
        if (bar !== undefined) this.#stream.write('\r\x1b[2K');
        try {
          previous![level](message, ...details);
        } finally {
          if (bar !== undefined && this.#bar === bar) this.#stream.write(bar);
        }
      };
    previous = setLogger({
      debug: around('debug'),
      info: around('info'),
      warn: around('warn'),
      error: around('error'),
    });
    this.#previousLogger = previous;
  }

  #draw(step: number, values: readonly unknown[], now: number): void {
    const elapsed = (now - this.#startTime) / 1000;
    const rate = elapsed > 0 ? (step - this.#startStep!) / elapsed : 0;
    const remaining = this.#lastStep === undefined || rate <= 0 ? Infinity : (this.#lastStep - step) / rate;
    const parts = [
      `step ${step}${this.#lastStep === undefined ? '' : `/${this.#lastStep}`}`,
      `${rate.toFixed(1)} steps/s`,
      ...(this.#lastStep === undefined ? [] : [`ETA ${formatDuration(remaining)}`]),
      ...this.#specs.map(([tag], i) => `${tag} ${formatValue(values[i])}`),
    ];
    if (!this.#tty) {
      this.#stream.write(`${parts.join('  ')}\n`);
      return;
    }
    const fraction = this.#lastStep === undefined ? undefined : Math.min(1, step / this.#lastStep);
    const line = fitProgressLine(parts, fraction, this.#stream.columns ?? 80);
    if (this.#previousLogger === undefined) this.#captureLogging();
    this.#stream.write(`\r\x1b[2K${line}`);
    this.#bar = line;
  }
}
