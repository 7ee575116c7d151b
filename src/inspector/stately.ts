/**
 * @statelyai/inspect's WebSocket protocol (its `StatelyInspectionEvent`: `@xstate.actor`,
 * `@xstate.event`, `@xstate.snapshot`, each with `sessionId`, `rootId`, `createdAt`, `id` and
 * `_version`), made from the inspector's records, so Stately's inspector can show the session
 * through `createWebSocketReceiver({ server })` or its bridge page.
 */
import type { AnyStateMachine } from 'xstate';
import type { InspectorRecord } from './record.ts';

/** The @statelyai/inspect version whose message shapes these follow. */
export const STATELY_PROTOCOL_VERSION = '0.7.2';

/** The machine's definition as Stately expects it: JSON, with functions as `{ type: name }`. */
export function statelyDefinition(machine: AnyStateMachine): string {
  return JSON.stringify(machine.config, (_key, value: unknown) =>
    typeof value === 'function' ? { type: value.name } : value,
  );
}

/** The Stately message for `record`, or undefined for records its protocol has no place for. */
export function toStately(record: InspectorRecord, definition: string): Record<string, unknown> | undefined {
  const base = {
    sessionId: record.sessionId,
    rootId: record.rootId,
    createdAt: String(record.t),
    id: String(record.seq),
    _version: STATELY_PROTOCOL_VERSION,
  };
  switch (record.type) {
    case '@xstate.actor':
      return {
        ...base,
        type: '@xstate.actor',
        name: record.actor,
        parentId: record.parentId,
        definition: record.kind === 'root' ? definition : JSON.stringify({ id: record.actor }),
        snapshot: { status: 'active' },
      };
    case '@xstate.event':
      return { ...base, type: '@xstate.event', event: record.event, sourceId: record.sourceId };
    case '@xstate.snapshot': {
      const snapshot: Record<string, unknown> = { status: record.status };
      if (record.value !== undefined) snapshot['value'] = record.value;
      if (record.context !== undefined) snapshot['context'] = record.context;
      if (record.error !== undefined) snapshot['error'] = record.error;
      return { ...base, type: '@xstate.snapshot', event: record.event, snapshot };
    }
    default:
      return undefined;
  }
}
