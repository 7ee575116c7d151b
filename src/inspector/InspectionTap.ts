/**
 * The observer side of the inspector: takes xstate's inspection events as they happen, and
 * serializes them in batches after the current macrotask (never on the actor's own path),
 * handing each batch of records to its sinks (the live server, the flight recorder).
 */
import type { AnyStateMachine, InspectionEvent, Observer } from 'xstate';
import { lifecycleMachine } from '../../machines/lifecycle.ts';
import type { Hook } from '../session/SessionRunHook.ts';
import { chartGraph } from './chartGraph.ts';
import type { InspectorMeta, InspectorRecord } from './record.ts';
import { INSPECTOR_SEAM, type InspectorSeam } from '../session/inspectorSeam.ts';
import { Serializer } from './serialize.ts';
import { StepSampler } from './StepSampler.ts';

/** A record the inspector makes itself, serialized with the rest. */
interface OwnItem {
  ownType: 'step' | 'end';
  fields: Partial<InspectorRecord>;
}

/** Receives each batch of records, in order. */
export type RecordSink = (records: readonly InspectorRecord[]) => void;

/** A readable name for a hook: its class, else its position. */
function hookName(hook: Hook, index: number): string {
  const name = (hook as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : `hook ${index}`;
}

export class InspectionTap implements Observer<InspectionEvent> {
  readonly meta: InspectorMeta;
  readonly serializer = new Serializer();
  readonly #sinks = new Set<RecordSink>();
  readonly #sampleEveryMs: number;
  #pending: (InspectionEvent | OwnItem)[] = [];
  #times: number[] = [];
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  readonly #samplers: StepSampler[] = [];

  constructor(options: { sampleEveryMs: number; machine?: AnyStateMachine }) {
    this.#sampleEveryMs = options.sampleEveryMs;
    this.meta = {
      type: 'meta',
      format: 'monitored-session.inspector/1',
      startedAt: Date.now(),
      chart: chartGraph(options.machine ?? lifecycleMachine),
    };
  }

  readonly [INSPECTOR_SEAM]: InspectorSeam = {
    hooksFor: (hooks) => {
      const sampler = new StepSampler(this.#sampleEveryMs, (ownType, fields) => this.#push({ ownType, fields }));
      this.#samplers.push(sampler);
      this.serializer.setHookNames([...hooks.map(hookName), 'inspector']);
      return [sampler];
    },
  };

  /** xstate calls this with every inspection event. */
  next(event: InspectionEvent): void {
    this.#push(event);
  }

  error(): void {}
  complete(): void {}

  #push(item: InspectionEvent | OwnItem): void {
    this.#pending.push(item);
    this.#times.push(Date.now());
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Serializes what is pending and hands it to the sinks now. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    const times = this.#times;
    this.#pending = [];
    this.#times = [];
    const records = pending.map((item, i) =>
      'ownType' in item
        ? this.serializer.own(item.ownType, item.fields, times[i])
        : this.serializer.record(item, times[i]!),
    );
    for (const sink of this.#sinks) sink(records);
  }

  /** Adds a sink; returns its remover. */
  subscribe(sink: RecordSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /** Stops the step samplers and flushes. */
  stop(): void {
    for (const sampler of this.#samplers) sampler.stop();
    this.flush();
  }
}
