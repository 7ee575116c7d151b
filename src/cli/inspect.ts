/**
 * `train --inspect` and `train --record FILE`: the live inspector page (its URL printed on
 * stderr) and the flight recorder, as the inspect observer of the training session; and
 * `monitored-session replay FILE`, which serves the page to replay a recording.
 */
import { readFile } from 'node:fs/promises';
import { lifecycleMachine } from '../../machines/lifecycle.ts';
import { flightRecorder } from '../inspector/flightRecorder.ts';
import { liveInspector } from '../inspector/liveInspector.ts';
import type { InspectorMeta } from '../inspector/record.ts';
import { InspectorServer } from '../inspector/server.ts';
import { statelyDefinition } from '../inspector/stately.ts';
import type { InspectObserver } from '../session/MonitoredSession.ts';

/** What `--inspect` / `--record` start, and how to stop it. */
export interface Inspection {
  inspect: InspectObserver | undefined;
  close(): Promise<void>;
}

/** Starts the inspector and/or the recorder the flags ask for; prints the page's URL. */
export async function startInspection(
  flags: { inspect: boolean; record: string | undefined },
  stderr: NodeJS.WritableStream,
): Promise<Inspection> {
  if (flags.inspect) {
    const inspector = liveInspector({
      ...(flags.record !== undefined ? { record: flags.record } : {}),
      print: (url) => stderr.write(`Inspector: ${url}\n`),
    });
    await inspector.ready;
    return { inspect: inspector, close: () => inspector.close() };
  }
  if (flags.record !== undefined) {
    const recorder = flightRecorder(flags.record);
    return { inspect: recorder, close: async () => recorder.close() };
  }
  return { inspect: undefined, close: async () => {} };
}

/** `monitored-session replay FILE`: serves the page with FILE loaded until Ctrl-C. */
export async function replay(file: string, stderr: NodeJS.WritableStream): Promise<number> {
  const recording = await readFile(file);
  const first = recording.subarray(0, Math.max(0, recording.indexOf(10))).toString('utf8');
  let meta: InspectorMeta;
  try {
    meta = JSON.parse(first) as InspectorMeta;
    if (meta.type !== 'meta') throw new Error('no meta line');
  } catch {
    stderr.write(`monitored-session: ${file} is not an inspector recording (its first line is not the meta line)\n`);
    return 2;
  }
  const server = new InspectorServer(meta, {
    port: 0,
    bufferSize: 1,
    definition: statelyDefinition(lifecycleMachine),
    recording,
    keepAlive: true,
  });
  stderr.write(`Replay: ${await server.listen()}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  await server.close();
  return 0;
}
