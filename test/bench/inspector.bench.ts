import { request } from 'node:http';
import { buildIrisModel } from '../../src/cli/iris.ts';
import { MonitoredSession, setLogger, silentLogger } from '../../src/index.ts';
import { liveInspector } from '../../src/inspector/index.ts';
import { fmtUs, median, paired, pairedVerdict } from './harness.ts';

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
  // Paired rounds in a random order (BENCH_SEED): each round times 5,000 steps with the inspector
  // and 5,000 without, back to back, so both see the same machine; the verdict reads the spread of
  // the per-round ratios (NOISE when the target lies inside it).
  const steps = Number(process.env['BENCH_INSPECTOR_STEPS'] ?? 5_000);
  const warm = async (s: typeof a, t: typeof watched.train) => {
    for (let i = 0; i < steps; i++) await s.run(t);
  };
  await warm(a, watched.train);
  await warm(b, plain.train);
  const times = await paired(
    Number(process.env['BENCH_INSPECTOR_ROUNDS'] ?? 41),
    () => warm(a, watched.train),
    () => warm(b, plain.train),
  );
  const { mark, note, lo, mid, hi } = pairedVerdict(
    times.subject.map((x, i) => x / times.floor[i]!),
    1.02,
  );
  const perStep = (ms: number): string => fmtUs((ms * 1e6) / steps);
  console.log(
    `${mark.padEnd(5)} ${'Inspector attached + page connected, per Iris step'.padEnd(52)} ` +
      `${perStep(median(times.subject))} vs ${perStep(median(times.floor))}, overhead ${(100 * (mid - 1)).toFixed(2)}% ` +
      `(IQR ${(100 * (lo - 1)).toFixed(2)}% to ${(100 * (hi - 1)).toFixed(2)}%; target <= 2%; ${page.bytes()} bytes streamed)${note}`,
  );
  await a.close();
  await b.close();
  page.close();
  await inspector.close();
}
