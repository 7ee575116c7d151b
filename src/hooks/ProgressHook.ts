import { systemClock, type Clock } from '../clock.ts';
import { describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { SessionRunArgs, SessionRunHook, type EndInfo, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { checkOptions, is, misuse, optional, withMethods } from '../internal/validate.ts';
import { GraphBound } from './GraphBound.ts';
import { clockOption, tensorOrName } from './hookOptions.ts';
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
const streamRule = withMethods<ProgressStream>('a stream (with write)', 'write');

function checkTensors(tensors: unknown): [string, Tensor | string][] {
  if (tensors === undefined) return [];
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) misuse(API, 'tensors', 'an object of tag → tensor', tensors, 'type');
  const entries = Object.entries(tensors as Record<string, unknown>);
  for (const [tag, t] of entries) if (!tensorOrName.test(t)) misuse(API, `tensors.${tag}`, tensorOrName.expected, t, 'type');
  return entries as [string, Tensor | string][];
}

function formatDuration(secs: number): string {
  if (!Number.isFinite(secs)) return '--';
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function formatValue(v: unknown): string {
  return typeof v === 'number' ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)) : describeValue(v);
}

/**
 * Training progress for people at a terminal: step, steps/sec, ETA and chosen tensors. On a TTY
 * it redraws one bar line in place; otherwise it writes a plain line every `everyNSecs` (never both).
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
  #drewBar = false;

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
    this.#bound = new GraphBound((graph) => ({
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

  override afterRun(_runContext: SessionRunContext, runValues: SessionRunValues<[number, ...unknown[]]>): void {
    const [step, ...values] = runValues.results;
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
    // A last draw with the step reached (runs see the step from before they ran).
    if (this.#bound.resolved && this.#startStep !== undefined) {
      const { step: global, tensors } = this.#bound.value;
      const [step, ...values] = await session.run([global, ...tensors]);
      this.#draw(step as number, values, this.#clock.now());
    }
    if (this.#drewBar) this.#stream.write('\n');
    if (!this.#tty) this.#stream.write(`training ended: ${info.reason}\n`);
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
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - parts.join('  ').length - 10));
    const fraction = this.#lastStep === undefined ? 0 : Math.min(1, step / this.#lastStep);
    const filled = Math.round(fraction * width);
    const bar = this.#lastStep === undefined ? '' : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  `;
    this.#stream.write(`\r\x1b[2K${bar}${parts.join('  ')}`);
    this.#drewBar = true;
  }
}
