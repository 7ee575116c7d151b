import { request } from 'node:http';
import { buildIrisModel } from '../../src/cli/iris.ts';
import { MonitoredSession, setLogger, silentLogger } from '../../src/index.ts';
import { liveInspector } from '../../src/inspector/index.ts';
import { fmtUs, report, sideBySide } from './harness.ts';

/** Connects to the inspector's event stream as a page does, reading (and counting) what it sends. */
function connectPage(url: string): Promise<{ bytes: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${url}events`);
    let bytes = 0;
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`inspector answered ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      resolve({ bytes: () => bytes, close: () => req.destroy() });
    });
    req.on('error', () => {});
    req.end();
  });
}

/** One Iris training step with the live inspector attached and a page connected, next to the same step without. */
export async function benchInspector(): Promise<void> {
  setLogger(silentLogger);
  const inspector = liveInspector({ print: false });
  const url = await inspector.ready;
  const page = await connectPage(url);
  const watched = buildIrisModel({ seed: 1, faultRate: 0 });
  const plain = buildIrisModel({ seed: 1, faultRate: 0 });
  const a = await MonitoredSession.create({ graph: watched.graph, inspect: inspector });
  const b = await MonitoredSession.create({ graph: plain.graph });
  const [ours, base] = await sideBySide(
    [
      'Iris step, inspector + page',
      async (n) => {
        for (let i = 0; i < n; i++) await a.run(watched.train);
      },
    ],
    [
      'Iris step, no inspector',
      async (n) => {
        for (let i = 0; i < n; i++) await b.run(plain.train);
      },
    ],
    2_000,
    21,
  );
  const overhead = ours.nsPerOp / base.nsPerOp - 1;
  report(
    'Inspector attached + page connected, per Iris step',
    `${fmtUs(ours.nsPerOp)} vs ${fmtUs(base.nsPerOp)}  overhead ${(100 * overhead).toFixed(2)}% (target <= 2%; ${page.bytes()} bytes streamed)`,
    overhead <= 0.02,
  );
  await a.close();
  await b.close();
  page.close();
  await inspector.close();
}
