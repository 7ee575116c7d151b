// Checkpoint benchmarks, each against its floor, measured in pairs: every round runs the Saver
// and its floor back to back in an order drawn at random (BENCH_SEED), so neither always
// follows the other (a write that follows a Saver.save runs on a page cache that the save just
// filled, which once made "save faster than plain fs" an ordering artifact). Each line prints
// the figure, the floor next to it, the median of the per-round ratios and their spread; the
// verdict says "within noise" when the target lies inside that spread.
import { open, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Graph, Saver, Session } from '../../src/index.ts';
import { checksumKindFor, newChecksum } from '../../src/internal/checksum.ts';
import { median, paired, pairedVerdict } from './harness.ts';

const MB = 1024 * 1024;

/**
 * Prints one result: median times, the median per-round ratio subject/floor with its
 * interquartile spread, and a verdict against `maxRatio`: PASS or MISS when the whole spread is
 * on one side of the target, "within noise" when the target lies inside it.
 */
function verdict(
  title: string,
  times: { subject: number[]; floor: number[] },
  floorName: string,
  maxRatio: number,
  unit?: { mb: number },
): void {
  const ratios = times.subject.map((s, i) => s / times.floor[i]!);
  const { mark, note, lo, mid, hi } = pairedVerdict(ratios, maxRatio);
  const fmt = (ms: number): string => (unit ? `${(unit.mb / (ms / 1000)).toFixed(0)} MB/s` : `${ms.toFixed(2)} ms`);
  const figure = `${fmt(median(times.subject))} vs ${floorName} ${fmt(median(times.floor))}`;
  const target = unit
    ? `>= ${Math.round(100 / maxRatio)}% of the floor's rate, i.e. <= ${maxRatio.toFixed(2)}x`
    : `<= ${maxRatio}x`;
  const ratio = `time ratio ${mid.toFixed(2)}x (IQR ${lo.toFixed(2)}-${hi.toFixed(2)}; target ${target})`;
  console.log(`${mark.padEnd(5)} ${title.padEnd(44)} ${figure}, ${ratio}${note}`);
}

/** The least a crash-consistent checkpoint write can do: temporary, write, fsync, rename, directory fsync. */
async function atomicWrite(file: string, pieces: readonly Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  for (const p of pieces) await handle.write(p, 0, p.byteLength);
  await handle.sync();
  await handle.close();
  await rename(tmp, file);
  const d = await open(path.dirname(file), 'r');
  await d.sync();
  await d.close();
}

function modelOf(arrays: Float32Array[]): { graph: Graph; sess: Promise<Session> } {
  const graph = new Graph();
  arrays.forEach((a, i) => graph.variable(() => a, { name: `w${i}` }));
  graph.variable(0, { name: 'global_step' });
  const sess = new Session(graph);
  return { graph, sess: sess.run(graph.globalVariablesInitializer()).then(() => sess) };
}

/** An Iris-sized model (4→3 weights, bias, step), saved as CheckpointSaverHook does: state file, retention, meta graph. */
async function benchSmall(dir: string, rounds: number): Promise<void> {
  const { sess: ready } = modelOf([new Float32Array(12).fill(0.25), new Float32Array(3)]);
  const sess = await ready;
  const saver = new Saver({ maxToKeep: 5 });
  const bytes = [Buffer.from(JSON.stringify({ w0: Array(12).fill(0.25), w1: [0, 0, 0], step: 0 })), new Uint8Array(64)];
  await saver.save(sess, path.join(dir, 'small', 'model.ckpt'), { globalStep: 0 });
  await atomicWrite(path.join(dir, 'small', 'floor.bin'), bytes);
  const times = await paired(
    rounds,
    (r) => saver.save(sess, path.join(dir, 'small', 'model.ckpt'), { globalStep: r + 1 }),
    () => atomicWrite(path.join(dir, 'small', 'floor.bin'), bytes),
  );
  verdict('small (Iris) checkpoint save', times, 'minimal atomic write', 1.5);
}

/** Save and restore of `totalMb` of Float32Array variables vs plain fs (write + fsync; read). */
async function benchLarge(dir: string, totalMb: number, rounds: number, saveToo: boolean): Promise<void> {
  const parts = 4;
  const arrays = Array.from({ length: parts }, (_, i) => new Float32Array((totalMb * MB) / 4 / parts).fill(i + 0.5));
  const { graph, sess: ready } = modelOf(arrays);
  const sess = await ready;
  const saver = new Saver({ maxToKeep: 1 });
  const prefix = (r: number): string => path.join(dir, `large-${totalMb}`, `model.ckpt-${r}`);
  // The floor does what a checkpoint must do at the least: a new file per save, its bytes
  // written and fsynced, and the previous one removed.
  const plainWrite = async (r: number): Promise<void> => {
    const handle = await open(path.join(dir, `large-${totalMb}`, `plain-${r}.bin`), 'w');
    for (const a of arrays) await handle.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    await handle.sync();
    await handle.close();
    if (r > 0) await rm(path.join(dir, `large-${totalMb}`, `plain-${r - 1}.bin`), { force: true });
  };
  await saver.save(sess, path.join(dir, `large-${totalMb}`, 'model.ckpt'), { globalStep: 0 });
  await plainWrite(0);
  if (saveToo) {
    const save = await paired(
      rounds,
      (r) => saver.save(sess, path.join(dir, `large-${totalMb}`, 'model.ckpt'), { globalStep: r + 1 }),
      (r) => plainWrite(r + 1),
    );
    verdict(`Saver.save ${totalMb} MB`, save, 'plain write+fsync', 1 / 0.9, { mb: totalMb });
  }
  const last = saveToo ? rounds : 0;
  const plainFile = path.join(dir, `large-${totalMb}`, `plain-${last}.bin`);
  const restore = await paired(
    rounds,
    () => saver.restore(new Session(graph), prefix(last)),
    () => readFile(plainFile),
  );
  verdict(`Saver.restore ${totalMb} MB`, restore, 'plain read', 1 / 0.9, { mb: totalMb });
  if (!saveToo) {
    // Recovery restores a checkpoint it must trust: the floor that also verifies is a read, then
    // the same checksum the checkpoint carries (xxHash64 at this size) over the whole file.
    const kind = checksumKindFor(totalMb * MB);
    const verified = await paired(
      rounds,
      () => saver.restore(new Session(graph), prefix(last)),
      async () => {
        const bytes = await readFile(plainFile);
        const checksum = await newChecksum(kind);
        checksum.update(bytes);
        return checksum.digest();
      },
    );
    verdict(`Saver.restore ${totalMb} MB (verified)`, verified, `read+${kind}`, 1.1);
  }
}

/** Small-checkpoint save, 256 MB save and restore, and the 16 MB restore that a recovery pays. */
export async function benchCheckpoint(totalMb = Number(process.env['BENCH_CKPT_MB'] ?? 256)): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-bench-ckpt-'));
  try {
    await benchSmall(dir, Number(process.env['BENCH_SMALL_ROUNDS'] ?? 41));
    await benchLarge(dir, 16, 21, false);
    await benchLarge(dir, totalMb, Number(process.env['BENCH_LARGE_ROUNDS'] ?? 10), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCheckpoint();
