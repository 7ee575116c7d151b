/**
 * What a page that connects late needs besides the buffered records: the latest lifecycle
 * snapshot, every recovery (bounded), the child actors and their status, the last step samples
 * and the end. All bounded, whatever the length of the run.
 */
import type { InspectorRecord, RecoveryEntry } from './record.ts';

const MAX_RECOVERIES = 500;
const MAX_ACTORS = 200;
const MAX_STEPS = 20;

/** A child actor as the page lists it. */
export interface ActorEntry {
  sessionId: string;
  actor: string;
  kind: string;
  where: string | undefined;
  parentId: string | undefined;
  status: string;
  seq: number;
}

/** The summary sent in a page's hello. */
export interface SummaryData {
  root: InspectorRecord | undefined;
  recoveries: RecoveryEntry[];
  actors: ActorEntry[];
  steps: InspectorRecord[];
  end: InspectorRecord | undefined;
}

export class Summary {
  #root: InspectorRecord | undefined;
  readonly #recoveries: RecoveryEntry[] = [];
  readonly #actors = new Map<string, ActorEntry>();
  readonly #steps: InspectorRecord[] = [];
  #end: InspectorRecord | undefined;

  apply(record: InspectorRecord): void {
    if (record.type === 'step') {
      this.#steps.push(record);
      if (this.#steps.length > MAX_STEPS) this.#steps.shift();
      return;
    }
    if (record.type === 'end') {
      this.#end = record;
      return;
    }
    if (record.kind === 'root') {
      if (record.type === '@xstate.snapshot') this.#root = record;
      if (record.recovery !== undefined) {
        this.#recoveries.push(record.recovery);
        if (this.#recoveries.length > MAX_RECOVERIES) this.#recoveries.shift();
      }
      return;
    }
    if (record.sessionId === undefined || record.actor === undefined) return;
    if (record.type === '@xstate.actor') {
      this.#actors.set(record.sessionId, {
        sessionId: record.sessionId,
        actor: record.actor,
        kind: record.kind ?? 'actor',
        where: record.where,
        parentId: record.parentId,
        status: 'active',
        seq: record.seq,
      });
      if (this.#actors.size > MAX_ACTORS) this.#actors.delete(this.#actors.keys().next().value!);
    } else if (record.type === '@xstate.snapshot' && record.status !== undefined) {
      const entry = this.#actors.get(record.sessionId);
      if (entry !== undefined) entry.status = record.status;
    }
  }

  data(): SummaryData {
    return {
      root: this.#root,
      recoveries: [...this.#recoveries],
      actors: [...this.#actors.values()],
      steps: [...this.#steps],
      end: this.#end,
    };
  }
}
