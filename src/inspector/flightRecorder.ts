/**
 * The flight recorder: every inspection event, with its time, as one JSON line, after a first
 * `meta` line that carries the chart. Lines are appended in batches with a synchronous write,
 * so a process that exits (or crashes) right after the run still leaves a complete file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { InspectionEvent, Observer } from 'xstate';
import { checkOptions, expect, is, optional } from '../internal/validate.ts';
import { InspectionTap } from './InspectionTap.ts';
import type { InspectorMeta, InspectorRecord } from './record.ts';
import { INSPECTOR_SEAM, type InspectorSeam } from '../session/inspectorSeam.ts';

/** Writes records of `tap` to `path` (truncating it); returns the closer. */
export function recordTo(
  path: string,
  meta: InspectorMeta,
  subscribe: (sink: (records: readonly InspectorRecord[]) => void) => () => void,
): () => void {
  const fd = openSync(path, 'w');
  writeSync(fd, `${JSON.stringify(meta)}\n`);
  let open = true;
  const unsubscribe = subscribe((records) => {
    if (!open) return;
    writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  });
  return () => {
    if (!open) return;
    open = false;
    unsubscribe();
    closeSync(fd);
  };
}

/** Options of {@link flightRecorder}. */
export interface FlightRecorderOptions {
  /** How often the global step is sampled, in ms (0: never). @default 500 */
  sampleEveryMs?: number;
}

/** An inspect observer that records to a JSONL file. */
export interface FlightRecorder extends Observer<InspectionEvent> {
  readonly path: string;
  readonly [INSPECTOR_SEAM]: InspectorSeam;
  /** Writes what is pending and closes the file. */
  close(): void;
}

/**
 * An inspect observer that records the session's lifecycle to `path` as JSON lines, for the
 * inspector page's replay (or any JSONL tool).
 * @example
 * const recorder = flightRecorder('lifecycle.jsonl');
 * await withSession(MonitoredSession.create({ graph, inspect: recorder }), train);
 * recorder.close();
 */
export function flightRecorder(path: string, options?: FlightRecorderOptions): FlightRecorder {
  expect('flightRecorder', 'path', path, is.nonEmptyString);
  const opts = checkOptions('flightRecorder', options, ['sampleEveryMs']);
  const sampleEveryMs = optional('flightRecorder', 'sampleEveryMs', opts.sampleEveryMs, is.nonNegativeNumber) ?? 500;
  const tap = new InspectionTap({ sampleEveryMs });
  const close = recordTo(path, tap.meta, (sink) => tap.subscribe(sink));
  return {
    path,
    [INSPECTOR_SEAM]: tap[INSPECTOR_SEAM],
    next: (event) => tap.next(event),
    error: () => {},
    complete: () => {},
    close: () => {
      tap.stop();
      close();
    },
  };
}
