import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SummaryWriter } from '../../src/index.ts';
import { fmtRate, report } from './harness.ts';

const RECORDS = 100_000;
/** The writer's default `maxQueue`: the floor writes in batches of the same size. */
const BATCH = 10_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Adds `RECORDS` scalars in a tight loop and closes: the writer's whole cost, encoding and
 * writes. Returns the time per record that reached the file (a writer that drops records does
 * not get credit for them).
 */
async function writerRun(dir: string): Promise<{ nsPerRecord: number; file: string; written: number }> {
  const writer = new SummaryWriter(dir);
  const start = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) writer.addSummary({ value: [{ tag: 'loss', simpleValue: i * 0.001 }] }, i);
  await writer.close();
  const ns = Number(process.hrtime.bigint() - start);
  const written = splitRecords(readFileSync(writer.filename)).length - 1;
  return { nsPerRecord: ns / written, file: writer.filename, written };
}

/**
 * A floor: append the very bytes the writer produced, then fsync. `batch` records per write:
 * 1 is appending each record as it comes; `BATCH` is the least a writer can do.
 */
function appendRun(file: string, records: Buffer[], batch: number): number {
  const start = process.hrtime.bigint();
  const fd = openSync(file, 'a');
  for (let i = 0; i < records.length; i += batch) {
    const chunk = batch === 1 ? records[i]! : Buffer.concat(records.slice(i, i + batch));
    for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at);
  }
  fsyncSync(fd);
  closeSync(fd);
  return Number(process.hrtime.bigint() - start) / records.length;
}

/** Splits an event file into its records (to replay the same bytes). */
function splitRecords(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 12 + Number(bytes.readBigUInt64LE(at)) + 4;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/**
 * SummaryWriter throughput next to its floor, appending the same bytes, in alternating rounds.
 * Set BENCH_JSON=1 to print one JSON line (for before/after runs across commits).
 */
export async function benchSummaryWriter(rounds = 7): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-bench-summary-'));
  const warm = await writerRun(dir);
  const records = splitRecords(readFileSync(warm.file));
  const ours: number[] = [];
  const perRecord: number[] = [];
  const batched: number[] = [];
  let written = 0;
  for (let r = 0; r < rounds; r++) {
    // Rotate which goes first, so none always follows another's page-cache state.
    const runs = [
      async () => {
        const run = await writerRun(dir);
        ours.push(run.nsPerRecord);
        written = run.written;
      },
      () => void perRecord.push(appendRun(path.join(dir, `floor1-${r}.bin`), records, 1)),
      () => void batched.push(appendRun(path.join(dir, `floorN-${r}.bin`), records, BATCH)),
    ];
    for (let k = 0; k < runs.length; k++) await runs[(r + k) % runs.length]!();
  }
  await rm(dir, { recursive: true, force: true });
  const [o, f1, fN] = [median(ours), median(perRecord), median(batched)];
  const json = { bench: 'summaryWriter', nsPerRecord: o, written, floorPerRecordNs: f1, floorBatchedNs: fN, ratio: f1 / o, ratioBatched: fN / o };
  if (process.env['BENCH_JSON'] === '1') console.log(JSON.stringify(json));
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  report(
    'SummaryWriter vs appending the same bytes',
    `${fmtRate(o)} scalars (${(o / 1000).toFixed(2)} µs, ${written}/${RECORDS} in the file) vs floor ${fmtRate(f1)} ` +
      `(each record appended as it comes): ${pct(json.ratio)} of floor (target >= 50%)`,
    json.ratio >= 0.5,
  );
  report(
    'SummaryWriter vs batched append of the same bytes',
    `${fmtRate(o)} vs ${fmtRate(fN)} (${BATCH} records per write, memcpy + syscall only): ${pct(json.ratioBatched)} (no target)`,
    undefined,
  );
}
