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

/** Per-step cost of the logging and summary hooks at their defaults, on steps where they do not fire. */
export async function benchDefaultHooks(): Promise<void> {
  const { LoggingTensorHook, StepCounterHook, SummarySaverHook, summary } = await import('../../src/index.ts');
  const sink = { addSummary() {}, addSessionLog() {}, flush: async () => {} };
  const make = async (withHooks: boolean) => {
    const m = trivialGraph();
    const step = m.g.globalVariables().find((v) => v.name === 'global_step')!;
    const op = summary.scalar(m.g, 'w', m.fetches[0] as never);
    const hooks: Hook[] = withHooks
      ? [
          new StepCounterHook({ summaryWriter: sink }),
          new SummarySaverHook({ saveSteps: 100, summaryOp: op, summaryWriter: sink }),
          new LoggingTensorHook({ tensors: [step], everyNIter: 100, log: () => {} }),
        ]
      : [];
    return { sess: await MonitoredSession.create({ graph: m.g, hooks }), fetches: m.fetches };
  };
  const a = await make(true);
  const b = await make(false);
  // 99 of every 100 steps fire nothing; the firing step is amortized in, which only overstates the cost.
  const [ours, base] = await sideBySide(
    ['3 default hooks', async (n) => { for (let i = 0; i < n; i++) await a.sess.run(a.fetches); }],
    ['no hooks', async (n) => { for (let i = 0; i < n; i++) await b.sess.run(b.fetches); }],
    50_000,
  );
  const perHook = (ours.nsPerOp - base.nsPerOp) / 3;
  report('StepCounter+SummarySaver+LoggingTensor hooks, per hook', `${fmtUs(perHook)} per hook per step (3 hooks: ${fmtUs(ours.nsPerOp)} vs ${fmtUs(base.nsPerOp)}) (target <= 1 µs)`, perHook <= 1000);
  await a.sess.close();
  await b.sess.close();
}
