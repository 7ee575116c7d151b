import { Graph, MonitoredSession, Session, getOrCreateGlobalStep, setLogger, silentLogger } from '../../src/index.ts';
import { fmtUs, report, sideBySide } from './harness.ts';

function trivialGraph(): Graph {
  const g = new Graph();
  g.variable(1.5, { name: 'w' });
  getOrCreateGlobalStep(g);
  return g;
}

/**
 * `MonitoredSession.create` + `close` with 0 hooks (the lifecycle chart, creator, init op,
 * coordinator) next to its floor: a raw `new Session(graph)` + `close`, side by side.
 */
export async function benchLifecycle(): Promise<void> {
  setLogger(silentLogger);
  const g = trivialGraph();
  const raw = trivialGraph();
  const [ours, floor] = await sideBySide(
    [
      'MonitoredSession.create + close, 0 hooks',
      async (n) => {
        for (let i = 0; i < n; i++) await (await MonitoredSession.create({ graph: g })).close();
      },
    ],
    [
      'new Session(graph) + close',
      async (n) => {
        for (let i = 0; i < n; i++) await new Session(raw).close();
      },
    ],
    500,
    9,
  );
  report(
    'session create + close, 0 hooks',
    `${fmtUs(ours.nsPerOp)} vs raw ${fmtUs(floor.nsPerOp)}  ratio ${(ours.nsPerOp / floor.nsPerOp).toFixed(1)}x (target <= 1000 µs)`,
    ours.nsPerOp <= 1_000_000,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await benchLifecycle();
