/**
 * The inspector's record: one JSON-safe line per inspection event (and per step sample), the
 * same on the live stream, in the flight recording and in the page's replay.
 */

/** An error as a person reads it: class, message and, for op errors, the code name. */
export interface ErrorRecord {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** One recovery, as the chart's context records it (with the error's message). */
export interface RecoveryEntry {
  readonly error: string;
  readonly message: string;
  readonly source: string;
  readonly attemptNumber: number;
  readonly delayMs: number;
  /** Seq of the record that first carried it (keeps replays and late joiners free of duplicates). */
  readonly seq: number;
  readonly t: number;
}

/** What a child actor is: an invoked effect, a hook, a queue-runner producer, or other. */
export type ActorKind = 'root' | 'invoke' | 'hook' | 'producer' | 'actor';

/** The lifecycle's context, reduced to what the page shows. */
export interface ContextSummary {
  readonly generation: number;
  readonly sessionsCreated: number;
  readonly recoveries: number;
  readonly attempt: number;
  readonly retryInMs: number;
  readonly restored: boolean;
  readonly closeKind: string | null;
  readonly lastError: ErrorRecord | null;
  readonly abandoned: readonly string[];
  readonly abandonedHooks: readonly string[];
}

/** Kinds of records: xstate's inspection events, then the inspector's own. */
export type RecordType =
  | '@xstate.actor'
  | '@xstate.event'
  | '@xstate.snapshot'
  | '@xstate.microstep'
  | '@xstate.transition'
  | '@xstate.action'
  | 'step'
  | 'end';

/** One line of the stream and of a recording. */
export interface InspectorRecord {
  /** 1, 2, 3, ... in this process. */
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly type: RecordType;
  /** Readable name of the actor the event is about (`monitoredSession`, `openSession`, `CheckpointSaverHook`). */
  readonly actor?: string;
  readonly kind?: ActorKind;
  /** Where an invoked actor runs (`recovering.closingSession`) or a spawned one's session generation. */
  readonly where?: string;
  readonly sessionId?: string;
  readonly parentId?: string;
  readonly rootId?: string;
  /** The event, with readable actor names in its type and errors with their message. */
  readonly event?: Readonly<Record<string, unknown>> & { readonly type: string };
  /** Readable name of the sender of an event. */
  readonly source?: string;
  readonly sourceId?: string;
  /** Root snapshots: the state value as xstate has it (`{ recovering: 'backingOff' }`). */
  readonly value?: unknown;
  /** Root snapshots: the leaf state path, e.g. `recovering.backingOff`. */
  readonly state?: string;
  /** Snapshot status: `active`, `done`, `error`, `stopped`. */
  readonly status?: string;
  readonly context?: ContextSummary;
  /** The recovery this snapshot added to the history. */
  readonly recovery?: RecoveryEntry;
  readonly error?: ErrorRecord;
  /** Microsteps: the transitions taken (`running → recovering`). */
  readonly transitions?: readonly string[];
  /** Action events: the action's type. */
  readonly action?: string;
  /** Step samples: the global step. */
  readonly step?: number;
  /** End: `finished`, `stopRequested`, `endOfInput` or `error`. */
  readonly reason?: string;
}

/** A node of the chart graph. */
export interface ChartNode {
  /** Dotted path (`recovering.backingOff`); the root is `''`. */
  readonly id: string;
  readonly key: string;
  readonly parent: string | null;
  readonly type: 'atomic' | 'compound' | 'final' | 'parallel' | 'history';
  readonly invokes: readonly string[];
  readonly initial: boolean;
}

/** An edge of the chart graph (parallel transitions merged). */
export interface ChartEdge {
  readonly from: string;
  readonly to: string;
  readonly events: readonly string[];
}

/** The chart, serialized from the machine's definition for the page to lay out. */
export interface ChartGraph {
  readonly id: string;
  readonly nodes: readonly ChartNode[];
  readonly edges: readonly ChartEdge[];
}

/** The first line of a recording and of the live stream's hello. */
export interface InspectorMeta {
  readonly type: 'meta';
  readonly format: 'monitored-session.inspector/1';
  readonly startedAt: number;
  readonly chart: ChartGraph;
}
