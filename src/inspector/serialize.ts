/**
 * Turns xstate inspection events into {@link InspectorRecord}s: readable actor names instead of
 * anonymous invoke ids (`0.monitoredSession.creating` → `openSession`), hooks named after their
 * class, errors with their message. Runs off the actor's path: the tap batches events first.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { leafStatePath } from '../../machines/spec.ts';
import type { ActorKind, ContextSummary, ErrorRecord, InspectorRecord, RecoveryEntry, RecordType } from './record.ts';

interface ActorInfo {
  name: string;
  kind: ActorKind;
  where?: string;
}

const MAX_STRING = 500;
const MAX_DEPTH = 3;

/** An error (or any thrown value) as a record. */
export function errorRecord(error: unknown): ErrorRecord {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const codeName = typeof code === 'string' ? code : (error as { errorCodeName?: unknown }).errorCodeName;
    return {
      name: error.name,
      message: error.message.slice(0, 4 * MAX_STRING),
      ...(typeof codeName === 'string' ? { code: codeName } : {}),
    };
  }
  return { name: typeof error, message: String(safe(error, 0)).slice(0, MAX_STRING) };
}

/** A JSON-safe copy: errors as records, functions and actor refs by name, depth and length bounded. */
export function safe(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return null;
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol') return value.toString();
  if (value instanceof Error) return errorRecord(value);
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} of ${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => safe(v, depth + 1));
  if (
    typeof (value as { sessionId?: unknown }).sessionId === 'string' &&
    typeof (value as { send?: unknown }).send === 'function'
  ) {
    return `[actor ${(value as AnyActorRef).id}]`;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as object).slice(0, 50)) out[k] = safe(v, depth + 1);
  return out;
}

function summarize(context: Record<string, unknown>): ContextSummary {
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  return {
    generation: n(context['generation']),
    sessionsCreated: n(context['sessionsCreated']),
    recoveries: n(context['recoveries']),
    attempt: n(context['attempt']),
    retryInMs: n(context['retryInMs']),
    restored: context['restored'] === true,
    closeKind: typeof context['closeKind'] === 'string' ? context['closeKind'] : null,
    lastError: context['lastError'] === undefined ? null : errorRecord(context['lastError']),
    abandoned: strings(context['abandoned']),
    abandonedHooks: strings(context['abandonedHooks']),
  };
}

const ANONYMOUS = /^\d+\.[^.]+(?:\.(.*))?$/;
/** Spawned hook and producer actors: `hook:CheckpointSaverHook#2`, `producer:QueueRunner(input)/enqueue_0#0`. */
const SPAWNED = /^(hook|producer):(.*)#(\d+)$/;

/** Serializes the inspection events of one or more monitored sessions. */
export class Serializer {
  #seq = 0;
  readonly #actors = new Map<string, ActorInfo>();
  /** Actor id (as it appears in `xstate.done.actor.<id>`) → readable name. */
  readonly #idNames = new Map<string, string>();
  #hookNames: readonly string[] = [];
  #history: unknown;

  /** Names of the session's hooks, in hook order (hook actors are named after them). */
  setHookNames(names: readonly string[]): void {
    this.#hookNames = [...names];
  }

  /** The next sequence number (for records the inspector makes itself). */
  nextSeq(): number {
    return ++this.#seq;
  }

  #info(ref: AnyActorRef, rootId: string): ActorInfo {
    const known = this.#actors.get(ref.sessionId);
    if (known !== undefined) return known;
    const info = this.#describe(ref, rootId);
    this.#actors.set(ref.sessionId, info);
    this.#idNames.set(ref.id, info.name);
    return info;
  }

  #describe(ref: AnyActorRef, rootId: string): ActorInfo {
    const logic = (ref as { logic?: { config?: { id?: unknown } } }).logic;
    if (ref.sessionId === rootId || ref._parent === undefined) {
      const id = logic?.config?.id;
      return { name: typeof id === 'string' ? id : ref.id, kind: 'root' };
    }
    const src = (ref as { src?: unknown }).src;
    const spawned = SPAWNED.exec(ref.id);
    if (spawned !== null) {
      const [, kind, label, index] = spawned as unknown as [string, 'hook' | 'producer', string, string];
      const name =
        kind === 'hook'
          ? (this.#hookNames[Number(index)] ?? (label === 'hook' || label === '' ? `hook ${index}` : label))
          : label;
      return { name, kind };
    }
    const anonymous = ANONYMOUS.exec(ref.id);
    if (anonymous !== null && typeof src === 'string') return { name: src, kind: 'invoke', where: anonymous[1] ?? '' };
    const kind: ActorKind =
      src === 'hook' ? 'hook' : src === 'producer' ? 'producer' : typeof src === 'string' ? 'invoke' : 'actor';
    return { name: ref.id, kind };
  }

  /** Event types with the actor ids in them made readable. */
  #eventType(type: string): string {
    const m = /^(xstate\.(?:done|error)\.actor\.)(.*)$/.exec(type);
    if (m === null) return type;
    return `${m[1]}${this.#idNames.get(m[2]!) ?? m[2]}`;
  }

  #event(event: { type: string }): NonNullable<InspectorRecord['event']> {
    const out: Record<string, unknown> = { type: this.#eventType(event.type) };
    for (const [k, v] of Object.entries(event)) {
      if (k === 'type') continue;
      out[k] = k === 'actorId' && typeof v === 'string' ? (this.#idNames.get(v) ?? v) : safe(v, 1);
    }
    return out as NonNullable<InspectorRecord['event']>;
  }

  /** The record of one inspection event at time `t`. */
  record(ev: InspectionEvent, t: number): InspectorRecord {
    const ref = ev.actorRef as AnyActorRef;
    const info = this.#info(ref, ev.rootId);
    const base = {
      seq: this.nextSeq(),
      t,
      type: ev.type as RecordType,
      actor: info.name,
      kind: info.kind,
      sessionId: ref.sessionId,
      rootId: ev.rootId,
      ...(info.where !== undefined ? { where: info.where } : {}),
    };
    switch (ev.type) {
      case '@xstate.actor': {
        const parent = ref._parent;
        return { ...base, ...(parent ? { parentId: parent.sessionId } : {}), status: 'active' };
      }
      case '@xstate.event': {
        const source = ev.sourceRef as AnyActorRef | undefined;
        return {
          ...base,
          event: this.#event(ev.event),
          ...(source ? { source: this.#info(source, ev.rootId).name, sourceId: source.sessionId } : {}),
        };
      }
      case '@xstate.action':
        return { ...base, action: ev.action.type };
      case '@xstate.microstep':
        return {
          ...base,
          event: this.#event(ev.event),
          transitions: ev._transitions.map((tr) => {
            const targets = (tr.target ?? []).map((n: { path: string[] }) => n.path.join('.'));
            return `${(tr.source as { path: string[] }).path.join('.')} → ${targets.join(', ') || '(stays)'}`;
          }),
        };
      case '@xstate.snapshot':
      case '@xstate.transition':
        return this.#snapshot(base, ev.snapshot as never, ev.event);
    }
  }

  #snapshot(
    base: InspectorRecord,
    snapshot: { status: string; value?: unknown; context?: unknown; error?: unknown },
    event: { type: string },
  ): InspectorRecord {
    const out: Record<string, unknown> = { ...base, status: snapshot.status, event: this.#event(event) };
    if (snapshot.status === 'error') out['error'] = errorRecord(snapshot.error);
    if (base.kind === 'root' && snapshot.value !== undefined) {
      out['state'] = leafStatePath(snapshot.value);
      out['value'] = safe(snapshot.value, 0);
      const context = (snapshot.context ?? {}) as Record<string, unknown>;
      out['context'] = summarize(context);
      const history = context['history'];
      if (Array.isArray(history) && history !== this.#history && history.length > 0) {
        const last = history.at(-1) as Omit<RecoveryEntry, 'seq' | 't'>;
        // The history array is replaced exactly when planRetry records a recovery.
        if (this.#history !== undefined || history.length === 1)
          out['recovery'] = { ...last, seq: base.seq, t: base.t } satisfies RecoveryEntry;
      }
      this.#history = history;
    }
    return out as unknown as InspectorRecord;
  }

  /** A record the inspector makes itself (step samples, the end reason). */
  own(type: 'step' | 'end', fields: Partial<InspectorRecord>, t = Date.now()): InspectorRecord {
    return { seq: this.nextSeq(), t, type, ...fields };
  }
}
