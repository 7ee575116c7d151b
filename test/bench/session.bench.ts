import { Graph, MonitoredSession, Session, SessionRunHook, getOrCreateGlobalStep, setLogger, silentLogger, type Hook } from '../../src/index.ts';
import { fmtUs, report, sideBySide } from './harness.ts';

/** A hook that implements beforeRun and afterRun and does nothing in them. */
class NoOpHook extends SessionRunHook {
  override beforeRun(): undefined {
    return undefined;
  }
  override afterRun(): void {}
}

function trivialGraph() {
  const g = new Graph();
  const w = g.variable(1.5, { name: 'w' });
  const step = getOrCreateGlobalStep(g);
  return { g, fetches: [w, g.assignAdd(step, 1)] as const };
}

/** MonitoredSession.run vs raw Session.run on the same trivial graph, with 0 and 5 no-op hooks. */
export async function benchMonitoredSession(): Promise<void> {
  setLogger(silentLogger);
  const raw = trivialGraph();
  const rawSess = new Session(raw.g);
  await rawSess.run(raw.g.globalVariablesInitializer());

  for (const hookCount of [0, 5]) {
    const m = trivialGraph();
    const hooks: Hook[] = Array.from({ length: hookCount }, () => new NoOpHook());
    const sess = await MonitoredSession.create({ graph: m.g, hooks });
    const [ours, base] = await sideBySide(
      [`MonitoredSession.run, ${hookCount} hooks`, async (n) => { for (let i = 0; i < n; i++) await sess.run(m.fetches); }],
      ['Session.run', async (n) => { for (let i = 0; i < n; i++) await rawSess.run(raw.fetches); }],
      100_000,
    );
    const overhead = ours.nsPerOp - base.nsPerOp;
    const target = hookCount === 5 ? overhead <= 10_000 : undefined;
    report(
      `MonitoredSession.run overhead, ${hookCount} no-op hooks`,
      `${fmtUs(ours.nsPerOp)} vs raw ${fmtUs(base.nsPerOp)}  overhead ${fmtUs(overhead)}  ratio ${(ours.nsPerOp / base.nsPerOp).toFixed(2)}x${hookCount === 5 ? ' (target <= 10 µs)' : ''}`,
      target,
    );
    await sess.close();
  }
}

/**
 * Per-step cost of `monitoredTrainingSession`'s default hooks (StepCounterHook and
 * SummarySaverHook every 100 steps, CheckpointSaverHook), writing real event files and
 * checkpoints in a temporary directory, next to the same steps with no hooks. The firing steps
 * (a summary, a steps/sec record) are amortized in, as in training.
 */
export async function benchDefaultHooks(): Promise<void> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { monitoredTrainingSession, summary, SummaryWriterCache } = await import('../../src/index.ts');
  setLogger(silentLogger);
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-bench-hooks-'));
  const withHooks = trivialGraph();
  summary.scalar(withHooks.g, 'w', withHooks.fetches[0] as never);
  const a = { sess: await monitoredTrainingSession({ graph: withHooks.g, checkpointDir: dir }), fetches: withHooks.fetches };
  const bare = trivialGraph();
  const b = { sess: await MonitoredSession.create({ graph: bare.g }), fetches: bare.fetches };
  const [ours, base] = await sideBySide(
    ['default hooks', async (n) => { for (let i = 0; i < n; i++) await a.sess.run(a.fetches); }],
    ['no hooks', async (n) => { for (let i = 0; i < n; i++) await b.sess.run(b.fetches); }],
    50_000,
  );
  const perStep = ours.nsPerOp - base.nsPerOp;
  if (process.env['BENCH_JSON'] === '1') console.log(JSON.stringify({ bench: 'defaultHooks', nsPerStep: ours.nsPerOp, floorNsPerStep: base.nsPerOp }));
  report(
    'monitoredTrainingSession default hooks (real files)',
    `${fmtUs(perStep)} per step over no hooks (${fmtUs(ours.nsPerOp)} vs ${fmtUs(base.nsPerOp)}, ratio ${(ours.nsPerOp / base.nsPerOp).toFixed(2)}x) (target <= 3 µs)`,
    perStep <= 3000,
  );
  await a.sess.close();
  await b.sess.close();
  await SummaryWriterCache.clear();
  await rm(dir, { recursive: true, force: true });
}
