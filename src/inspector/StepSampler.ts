/**
 * The inspector's hook: samples the global step on a timer from the raw session, and reports
 * why the session ended. It implements neither `beforeRun` nor `afterRun`, so the per-step path
 * never sees it; a sample is one small run of the global step variable every `everyMs`.
 */
import { getGlobalStep } from '../graph/globalStep.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import type { Variable } from '../graph/Variable.ts';
import type { EndInfo, Hook } from '../session/SessionRunHook.ts';
import { errorRecord } from './serialize.ts';
import type { InspectorRecord } from './record.ts';

/** What the sampler reports. */
export type SampleSink = (type: 'step' | 'end', fields: Partial<InspectorRecord>) => void;

export class StepSampler implements Hook {
  readonly #everyMs: number;
  readonly #emit: SampleSink;
  #step: Variable<number> | undefined;
  #session: Session | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #last: number | undefined;

  constructor(everyMs: number, emit: SampleSink) {
    this.#everyMs = everyMs;
    this.#emit = emit;
  }

  begin(graph?: Graph): void {
    this.#step = graph === undefined ? undefined : getGlobalStep(graph);
  }

  async afterCreateSession(session: Session): Promise<void> {
    this.#session = session;
    await this.sample();
    if (this.#timer === undefined && this.#step !== undefined && this.#everyMs > 0) {
      this.#timer = setInterval(() => void this.sample(), this.#everyMs);
      this.#timer.unref();
    }
  }

  async end(session: Session, info: EndInfo): Promise<void> {
    this.#session = session;
    await this.sample(true);
    this.stop();
    this.#emit('end', { reason: info.reason });
  }

  endOnError(_session: Session | undefined, error: unknown): void {
    this.stop();
    this.#emit('end', { reason: 'error', error: errorRecord(error) });
  }

  /** Reads the global step once (skipped while a read is in flight; errors ignored: a lost session). */
  async sample(force = false): Promise<void> {
    const session = this.#session;
    if (this.#step === undefined || session === undefined || session.closed || (this.#busy && !force)) return;
    this.#busy = true;
    try {
      const step = await session.run(this.#step);
      if (typeof step === 'number' && (force || step !== this.#last)) this.#emit('step', { step });
      this.#last = step;
    } catch {
      // The session was lost or closed under the sample: the next session samples again.
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
