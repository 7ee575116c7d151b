import { systemClock, type Clock } from '../clock.ts';
import { ValueError, describeValue } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import type { Variable } from '../graph/Variable.ts';
import { SessionRunArgs, SessionRunHook, type EndInfo, type SessionRunContext, type SessionRunValues } from './SessionRunHook.ts';
import { requireGlobalStep } from './StopAtStepHook.ts';

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
export class ProgressHook extends SessionRunHook {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #everyMs: number;
  readonly #lastStep: number | undefined;
  readonly #specs: [string, Tensor | string][];
  readonly #clock: Clock;
  #tensors: Tensor[] = [];
  #step: Variable<number> | undefined;
  #lastDraw: number | undefined;
  #startTime = 0;
  #startStep: number | undefined;
  #due = true;
  #drewBar = false;

  constructor(options: ProgressHookOptions = {}) {
    super();
    this.#stream = options.stream ?? process.stderr;
    this.#tty = Boolean(this.#stream.isTTY);
    const every = options.everyNSecs ?? (this.#tty ? 0.2 : 10);
    if (typeof every !== 'number' || !(every >= 0)) throw new ValueError(`ProgressHook: expected \`everyNSecs\` to be a non-negative number, got ${describeValue(every)}`);
    if (options.lastStep !== undefined && !(Number.isInteger(options.lastStep) && options.lastStep > 0)) {
      throw new ValueError(`ProgressHook: expected \`lastStep\` to be a positive integer, got ${describeValue(options.lastStep)}`);
    }
    this.#everyMs = every * 1000;
    this.#lastStep = options.lastStep;
    this.#specs = Object.entries(options.tensors ?? {});
    this.#clock = options.clock ?? systemClock;
  }

  override begin(graph?: Graph): void {
    if (graph !== undefined) this.#resolve(graph);
  }

  override afterCreateSession(session: Session): void {
    if (this.#step === undefined) this.#resolve(session.graph);
  }

  #resolve(graph: Graph): void {
    this.#step = requireGlobalStep(graph, 'ProgressHook');
    this.#tensors = this.#specs.map(([, t]) => (t instanceof Tensor ? t : graph.getTensorByName(t)));
  }

  override beforeRun(): SessionRunArgs {
    const now = this.#clock.now();
    this.#due = this.#lastDraw === undefined || now - this.#lastDraw >= this.#everyMs;
    return new SessionRunArgs(this.#due ? [this.#step, ...this.#tensors] : [this.#step]);
  }

  override afterRun(_runContext: SessionRunContext, runValues: SessionRunValues): void {
    const [step, ...values] = runValues.results as [number, ...unknown[]];
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
    if (this.#step !== undefined && this.#startStep !== undefined) {
      const [step, ...values] = await session.run([this.#step, ...this.#tensors]);
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
