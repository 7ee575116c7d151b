import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Graph, Saver, Session } from '../../src/index.ts';
import { report } from './harness.ts';

const MB = 1024 * 1024;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Save and restore of 256 MB of Float32Array variables vs plain fs (write + fsync, read). */
export async function benchCheckpoint(totalMb = Number(process.env['BENCH_CKPT_MB'] ?? 256)): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-bench-ckpt-'));
  const parts = 4;
  const graph = new Graph();
  const arrays = Array.from({ length: parts }, (_, i) => new Float32Array((totalMb * MB) / 4 / parts).fill(i + 0.5));
  arrays.forEach((a, i) => graph.variable(() => a, { name: `w${i}` }));
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  const saver = new Saver({ maxToKeep: 1 });

  // The baseline does what a checkpoint must do at the least: a new file per save, its bytes
  // written and fsynced, and the previous file removed (retention).
  const plainWrite = async (round: number): Promise<void> => {
    const handle = await open(path.join(dir, `plain-${round}.bin`), 'w');
    for (const a of arrays) await handle.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    await handle.sync();
    await handle.close();
    if (round > 0) await rm(path.join(dir, `plain-${round - 1}.bin`));
  };
  const results = { save: [] as number[], plainW: [] as number[], restore: [] as number[], plainR: [] as number[] };
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    results.plainW.push(await timed(() => plainWrite(round)));
    results.save.push(await timed(() => saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: round, writeMetaGraph: false })));
    results.plainR.push(await timed(() => readFile(path.join(dir, `plain-${round}.bin`))));
    results.restore.push(await timed(() => saver.restore(new Session(graph), path.join(dir, `model.ckpt-${round}`))));
  }
  // Median of the rounds: the disk's own noise is large on shared machines.
  const best = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (secs: number) => totalMb / secs;
  const save = rate(best(results.save));
  const plainW = rate(best(results.plainW));
  const restore = rate(best(results.restore));
  const plainR = rate(best(results.plainR));
  report(`Saver.save ${totalMb} MB of Float32Array`, `${save.toFixed(0)} MB/s vs plain write+fsync ${plainW.toFixed(0)} MB/s  = ${((100 * save) / plainW).toFixed(0)}% (target >= 80%)`, save >= 0.8 * plainW);
  report(`Saver.restore ${totalMb} MB of Float32Array`, `${restore.toFixed(0)} MB/s vs plain read ${plainR.toFixed(0)} MB/s  = ${((100 * restore) / plainR).toFixed(0)}% (target >= 80%)`, restore >= 0.8 * plainR);
  await rm(dir, { recursive: true, force: true });
}
