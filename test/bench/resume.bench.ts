import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Coordinator,
  GraphKeys,
  ProgressHook,
  Saver,
  Session,
  StepCounterHook,
  startQueueRunners,
} from '../../src/index.ts';
import { buildIrisModel } from '../../src/cli/iris.ts';
import { trackHooks } from '../../src/resume/ResumeState.ts';
import { intervalVerdict, median, medianWithCi, paired } from './harness.ts';

/**
 * The cost of exact resume's checkpoint state on the Iris job: `Saver.save` of the job as the CLI
 * runs it (variables plus input position, random state, hook state and the resume flag) vs a save
 * of the same variables alone, as checkpoints were before. Alternating rounds, medians.
 */
export async function benchResumeState(rounds = Number(process.env['BENCH_RESUME_ROUNDS'] ?? 2001)): Promise<void> {
  const dir = await mkdtemp(path.join(process.env['BENCH_DIR'] ?? tmpdir(), 'ms-bench-resume-'));
  const model = buildIrisModel({ seed: 1, faultRate: 0 });
  trackHooks(model.graph, [
    new StepCounterHook({ everyNSteps: 100, summaryWriter: { addSummary: () => {} } }),
    new ProgressHook({ stream: { write: () => true } }),
  ]);
  const sess = new Session(model.graph);
  await sess.run(model.graph.globalVariablesInitializer());
  const coord = new Coordinator();
  startQueueRunners(sess, coord);
  for (let i = 0; i < 50; i++) await sess.run(model.train);

  // The floor: the same job's save with its resume state taken away. The same session and
  // variables, with the graph's saveables (input position, random state, hook state, the resume
  // flag) out of its collection for the length of the save, so that only the extra state differs.
  // Both sides make the same collection calls, and both write into one directory (under two
  // prefixes), so that neither is favoured by the bookkeeping or by where its directory landed
  // on disk: separate directories gave one run +5.7% and the next -0.7% with tight intervals.
  const saveables = model.graph.getCollection(GraphKeys.SAVEABLE_OBJECTS);
  const save = async (saver: Saver, r: number, withState: boolean): Promise<void> => {
    model.graph.clearCollection(GraphKeys.SAVEABLE_OBJECTS);
    const restore = (): void => {
      for (const entry of saveables) model.graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, entry);
    };
    if (withState) restore();
    try {
      const prefix = path.join(dir, withState ? 'with.ckpt' : 'without.ckpt');
      await saver.save(sess, prefix, { globalStep: r, writeMetaGraph: false });
    } finally {
      if (!withState) restore();
    }
  };
  const withState = new Saver({ maxToKeep: 2 });
  const without = new Saver({ maxToKeep: 2 });
  // Warm-up, unmeasured: both paths compiled before the first timed pair.
  for (let r = 0; r < 40; r++) {
    await save(withState, r, true);
    await save(without, r, false);
  }
  const times = await paired(
    rounds,
    (r) => save(withState, r, true),
    (r) => save(without, r, false),
  );
  coord.requestStop();
  await coord.join({ stopGracePeriodSecs: 5, ignoreLiveThreads: true });
  await sess.close();
  // The paired difference (each round's two saves saw the same machine), as a share of the
  // variables-only save, with the 95% confidence interval of its median: saves are fsync-bound,
  // and a shared disk's fsync varies far more than the few microseconds being measured.
  const base = median(times.floor);
  const diff = medianWithCi(times.subject.map((x, i) => x - times.floor[i]!));
  const [lo, mid, hi] = [diff.lo, diff.mid, diff.hi].map((d) => (100 * d) / base) as [number, number, number];
  const { mark, note } = intervalVerdict(lo, hi, 5);
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
  console.log(
    `${mark.padEnd(5)} ${'Iris job Saver.save with exact-resume state'.padEnd(52)} ` +
      `${median(times.subject).toFixed(2)} ms vs variables only ${base.toFixed(2)} ms  = ${pct(mid)} ` +
      `(95% CI ${pct(lo)} to ${pct(hi)}, ${rounds} pairs; target < 5%)${note}`,
  );
  await rm(dir, { recursive: true, force: true });
}
