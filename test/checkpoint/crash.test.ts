import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Graph, Saver, Session, getOrCreateGlobalStep, latestCheckpoint } from '../../src/index.ts';

const KILLS = Number(process.env['CRASH_KILLS'] ?? 50);
const child = fileURLToPath(new URL('../helpers/crashChild.ts', import.meta.url));

/** Starts the training child; resolves with it and the step it restored, once it trains. */
function start(
  dir: string,
  mode: 'sync' | 'async',
  length: number,
): Promise<{ kill: () => Promise<void>; restoredStep: number }> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', child, dir, mode, String(length)];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d));
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /started (\d+)\n/.exec(out);
      if (m) {
        const exited = new Promise<void>((done) => proc.once('exit', () => done()));
        resolve({
          restoredStep: Number(m[1]),
          kill: async () => {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`training child exited early (${code}): ${err}`)));
  });
}

async function temporaries(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.tmp-'));
}

/** Loads a checkpoint the way a restore does, and returns its global step. */
async function loadStep(prefix: string, length: number): Promise<number> {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  graph.variable(() => new Float32Array(length), { name: 'weights' });
  const sess = new Session(graph);
  await new Saver().restore(sess, prefix);
  return sess.run(step);
}

const ASYNC_KILLS = Number(process.env['CRASH_ASYNC_KILLS'] ?? 20);
const LARGE_KILLS = Number(process.env['CRASH_LARGE_KILLS'] ?? 15);

describe('checkpoints survive kill -9', () => {
  for (const [mode, kills, length] of [
    ['sync', KILLS, 50_000],
    ['async', ASYNC_KILLS, 50_000],
    // Data files of 1.6 MB: over 1 MiB, so checksummed with xxHash64 while in flight.
    ['async', LARGE_KILLS, 400_000],
  ] as const) {
    const what =
      (mode === 'async' ? ' (checkpoints written in the background, so mostly mid-write)' : '') +
      (length > 50_000 ? ', data files of 1.6 MB (xxHash64)' : '');
    it(
      `${kills} SIGKILLs at random moments${what}: the latest checkpoint always loads, never goes back, temporaries are cleaned`,
      { timeout: 600_000 },
      async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'ms-crash-'));
        const seed = Number(process.env['FC_SEED'] ?? Date.now() % 1_000_000);
        const delays = fc.sample(fc.integer({ min: 0, max: 120 }), { numRuns: kills, seed });
        let previous = -1;
        let leftover: string[] = [];
        let midWrite = 0;
        try {
          for (const [i, delay] of delays.entries()) {
            const run = await start(dir, mode, length);
            // The start restored the newest checkpoint, and no temporary of the killed run survived it.
            assert.equal(
              run.restoredStep,
              Math.max(previous, 0),
              `kill ${i}: restored ${run.restoredStep}, latest was ${previous}`,
            );
            const still = (await temporaries(dir)).filter((f) => leftover.includes(f));
            assert.deepEqual(still, [], `kill ${i}: temporaries survived the start`);
            await new Promise((r) => setTimeout(r, delay));
            await run.kill();
            leftover = await temporaries(dir);
            if (leftover.length > 0) midWrite++;
            const latest = await latestCheckpoint(dir);
            // In the background, the first checkpoint (at the session's creation) may not be written yet.
            if (latest === undefined && mode === 'async' && previous === -1) continue;
            assert.ok(latest !== undefined, `kill ${i}: no checkpoint`);
            const step = await loadStep(latest, length);
            assert.ok(step >= previous, `kill ${i}: step went back from ${previous} to ${step}`);
            previous = step;
          }
        } catch (error) {
          console.error(`crash test (${mode}) failed with FC_SEED=${seed}`);
          throw error;
        }
        assert.ok(previous > 0, 'training made progress');
        // Temporaries left behind show kills that landed in the middle of a write.
        if (mode === 'async' && kills >= 10) assert.ok(midWrite > 0, 'no kill landed during a background write');
      },
    );
  }
});
