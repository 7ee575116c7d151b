/**
 * The live inspector: an inspect observer for `MonitoredSession.create({ inspect })` that serves
 * a page showing the lifecycle as it happens, on 127.0.0.1 with a random port and a secret
 * token in the URL, and (with `record`) keeps a flight recording.
 */
import type { InspectionEvent, Observer } from 'xstate';
import { lifecycleMachine } from '../../machines/lifecycle.ts';
import { checkOptions, is, optional, rule } from '../internal/validate.ts';
import { recordTo } from './flightRecorder.ts';
import { InspectionTap } from './InspectionTap.ts';
import { INSPECTOR_SEAM, type InspectorSeam } from '../session/inspectorSeam.ts';
import { InspectorServer } from './server.ts';
import { statelyDefinition } from './stately.ts';
import { statelyClient } from './statelyClient.ts';

/** Options of {@link liveInspector}. */
export interface LiveInspectorOptions {
  /** Port on 127.0.0.1. @default 0 (a random free port) */
  port?: number;
  /** Also record every inspection event to this JSONL file (the flight recorder). */
  record?: string;
  /** Records kept for pages that connect later. @default 10000 */
  bufferSize?: number;
  /** How often the global step is sampled, in ms (0: never). @default 500 */
  sampleEveryMs?: number;
  /** Where the URL is printed once the server listens; `false`: nowhere. @default stderr */
  print?: false | ((url: string) => void);
  /** Keep the process alive while the server runs (the page outlives the run). @default false */
  keepAlive?: boolean;
  /** Also push to a Stately inspector server (`@statelyai/inspect/server`), e.g. `ws://localhost:8080`. */
  stately?: string;
}

/** The observer, with the server's URL and lifetime. */
export interface LiveInspector extends Observer<InspectionEvent> {
  /** Resolves the page's URL (token included) once the server listens. */
  readonly ready: Promise<string>;
  /** The page's URL; `''` until {@link ready} resolves. */
  readonly url: string;
  readonly [INSPECTOR_SEAM]: InspectorSeam;
  /** Flushes, ends every stream, closes the recording and stops the server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const wsUrl = rule<string>('a ws:// URL', 'value', (v) => typeof v === 'string' && /^ws:\/\/[^/]+/.test(v));
const port = rule<number>(
  'an integer port in [0, 65535]',
  'value',
  (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535,
);

/**
 * Starts a live inspector page for the monitored session it is given to.
 * @example
 * const inspector = liveInspector({ record: 'lifecycle.jsonl' });
 * const sess = await MonitoredSession.create({ graph, inspect: inspector });
 * console.log(await inspector.ready); // http://127.0.0.1:PORT/TOKEN/
 */
export function liveInspector(options?: LiveInspectorOptions): LiveInspector {
  const api = 'liveInspector';
  const opts = checkOptions(api, options, [
    'port',
    'record',
    'bufferSize',
    'sampleEveryMs',
    'print',
    'keepAlive',
    'stately',
  ]);
  const chosenPort = optional(api, 'port', opts.port, port) ?? 0;
  const record = optional(api, 'record', opts.record, is.nonEmptyString);
  const bufferSize = optional(api, 'bufferSize', opts.bufferSize, is.positiveInteger) ?? 10_000;
  const sampleEveryMs = optional(api, 'sampleEveryMs', opts.sampleEveryMs, is.nonNegativeNumber) ?? 500;
  const keepAlive = optional(api, 'keepAlive', opts.keepAlive, is.boolean) ?? false;
  const print =
    opts.print === false
      ? undefined
      : ((optional(api, 'print', opts.print, is.function) as ((url: string) => void) | undefined) ??
        ((url: string) => process.stderr.write(`Inspector: ${url}\n`)));

  const stately = optional(api, 'stately', opts.stately, wsUrl);

  const tap = new InspectionTap({ sampleEveryMs });
  const definition = statelyDefinition(lifecycleMachine);
  const server = new InspectorServer(tap.meta, { port: chosenPort, bufferSize, definition, keepAlive });
  tap.subscribe((records) => server.publish(records));
  const pushed = stately === undefined ? undefined : statelyClient(stately, definition);
  if (pushed !== undefined) tap.subscribe((records) => pushed.send(records));
  const closeRecording = record === undefined ? undefined : recordTo(record, tap.meta, (sink) => tap.subscribe(sink));
  let url = '';
  const ready = server.listen().then((u) => {
    url = u;
    print?.(u);
    return u;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      tap.stop();
      closeRecording?.();
      pushed?.close();
      await ready.catch(() => {});
      await server.close();
    })());
  return {
    ready,
    get url() {
      return url;
    },
    [INSPECTOR_SEAM]: tap[INSPECTOR_SEAM],
    next: (event) => tap.next(event),
    error: () => {},
    complete: () => {},
    close,
    [Symbol.asyncDispose]: close,
  };
}
