// Recovery latency (issue 16): a run that fails with AbortedError makes MonitoredSession close
// its session, create a new one that restores the newest checkpoint, and run again. The floor is
// the restore alone (`Saver.restore` of the same 16 MB checkpoint into a fresh session); the
// target is recovery <= restore + 2 ms, judged on the 95% confidence interval of the median
// paired difference (each round runs both, in a random order).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AbortedError,
  ChiefSessionCreator,
  Graph,
  MonitoredSession,
  Saver,
  Scaffold,
  Session,
  SessionRunHook,
  getOrCreateGlobalStep,
  setLogger,
  silentLogger,
  type Logger,
} from '../../src/index.ts';
import { intervalVerdict, median, medianWithCi, paired } from './harness.ts';

/**
 * A full garbage collection before each timed operation (untimed), so that each starts from a
 * collected heap: both sides allocate 16 MB, and a collection that external memory pressure
 * starts inside one of them (5 ms and more here) would otherwise decide the pair.
 */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Throws AbortedError from the next `beforeRun` once armed: the recoverable failure of one step. */
class AbortNext extends SessionRunHook {
  armed = false;
  override beforeRun(): undefined {
    if (this.armed) {
      this.armed = false;
      throw new AbortedError('bench: the step was aborted');
    }
    return undefined;
  }
}

export async function benchRecovery(
  totalMb = 16,
  rounds = Number(process.env['BENCH_RECOVERY_ROUNDS'] ?? 301),
): Promise<void> {
  const dir = await mkdtemp(path.join(process.env['BENCH_DIR'] ?? tmpdir(), 'ms-bench-recovery-'));
  const previous: Logger = setLogger(silentLogger);
  try {
    const graph = new Graph();
    const step = getOrCreateGlobalStep(graph);
    const parts = 4;
    for (let i = 0; i < parts; i++) {
      graph.variable(() => new Float32Array((totalMb * 1024 * 1024) / 4 / parts).fill(i + 0.5), { name: `w${i}` });
    }
    const train = graph.assignAdd(step, 1);
    const saver = new Saver({ maxToKeep: 1 });
    const init = new Session(graph);
    await init.run(graph.globalVariablesInitializer());
    const prefix = await saver.save(init, path.join(dir, 'model.ckpt'), { globalStep: 0 });
    await init.close();

    const abort = new AbortNext();
    const scaffold = new Scaffold({ saver });
    const session = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph, scaffold, checkpointDir: dir }),
      hooks: [abort],
    });
    const recover = async (): Promise<void> => {
      abort.armed = true;
      await session.run(train);
    };
    const restore = async (): Promise<void> => {
      const fresh = new Session(graph);
      await saver.restore(fresh, prefix);
      await fresh.close();
    };
    for (let i = 0; i < 3; i++) {
      await recover();
      await restore();
    }
    const times = await paired(rounds, recover, restore, collect);
    await session.close();
    const extra = medianWithCi(times.subject.map((t, i) => t - times.floor[i]!));
    const { mark, note } = intervalVerdict(extra.lo, extra.hi, 2);
    const ms = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)} ms`;
    console.log(
      `${mark.padEnd(5)} ${`recovery with a ${totalMb} MB restore`.padEnd(52)} ` +
        `${median(times.subject).toFixed(2)} ms vs Saver.restore alone ${median(times.floor).toFixed(2)} ms: ` +
        `${ms(extra.mid)} (95% CI ${ms(extra.lo)} to ${ms(extra.hi)}, ${rounds} pairs; target <= +2 ms)${note}`,
    );
  } finally {
    setLogger(previous);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRecovery();
