// A corruption campaign: every file of the newest checkpoint and the state file, mutated many
// times over (truncated, bytes flipped, emptied, deleted, replaced with garbage, a directory, a
// FIFO, a symbolic link loop; one file or several at once). A trainer starting on the directory
// must never load wrong values, never silently restart at step 0, never hang, never throw a raw
// JS error. Seeded by FC_SEED; CAMPAIGN_RUNS sizes the random part for soaks.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChiefSessionCreator, Graph, OpError, Saver, Session, getOrCreateGlobalStep } from '../../src/index.ts';

const RUNS = Number(process.env['CAMPAIGN_RUNS'] ?? 64);
const SEED = Number(process.env['FC_SEED'] ?? Date.now() % 1_000_000);

function build(): { graph: Graph; weights: ReturnType<Graph['variable']> } {
  const graph = new Graph();
  getOrCreateGlobalStep(graph);
  const weights = graph.variable(() => new Float32Array(4096), { name: 'weights' });
  return { graph, weights };
}

const TARGETS = ['model.ckpt-3.index', 'model.ckpt-3.data-00000-of-00001', 'model.ckpt-3.meta', 'checkpoint'] as const;
const MUTATIONS = ['truncate', 'flip', 'empty', 'delete', 'garbage', 'directory', 'fifo', 'symlinkLoop'] as const;
type Mutation = (typeof MUTATIONS)[number];

async function mutate(file: string, how: Mutation, rand: () => number): Promise<void> {
  const size = (await stat(file)).size;
  switch (how) {
    case 'truncate':
      return truncate(file, Math.floor(rand() * size));
    case 'flip': {
      const bytes = await readFile(file);
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)]! ^= 1 + Math.floor(rand() * 255);
      return writeFile(file, bytes);
    }
    case 'empty':
      return writeFile(file, '');
    case 'delete':
      return rm(file);
    case 'garbage':
      return writeFile(file, Buffer.from(Array.from({ length: Math.max(1, size) }, () => Math.floor(rand() * 256))));
    case 'directory':
      await rm(file);
      return mkdir(file);
    case 'fifo':
      await rm(file);
      execFileSync('mkfifo', [file]);
      return;
    case 'symlinkLoop':
      await rm(file);
      return symlink(path.basename(file), file);
  }
}

type Outcome = 'latest' | 'fellBack' | 'refusedTyped' | 'restartedAtZero' | 'wrongValues' | 'rawError' | 'hang';

async function trial(pristine: string, plan: [string, Mutation][], rand: () => number): Promise<Outcome> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-campaign-'));
  try {
    await cp(pristine, dir, { recursive: true });
    for (const [target, how] of plan) await mutate(path.join(dir, target), how, rand);
    const { graph, weights } = build();
    const work = (async (): Promise<Outcome> => {
      try {
        const sess = await new ChiefSessionCreator({ graph, checkpointDir: dir }).createSession();
        const [step, w] = (await sess.run([graph.globalVariables()[0]!, weights])) as [number, Float32Array];
        if (!w.every((x) => x === step)) return 'wrongValues';
        return step === 0 ? 'restartedAtZero' : step === 3 ? 'latest' : 'fellBack';
      } catch (error) {
        return error instanceof OpError ? 'refusedTyped' : 'rawError';
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve('hang'), 10_000)));
    const outcome = await Promise.race([work, hang]);
    clearTimeout(timer);
    return outcome;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('corruption campaign', () => {
  it('mutating the newest checkpoint and the state file never loads wrong values, never restarts at step 0', { timeout: 600_000 }, async () => {
    const pristine = await mkdtemp(path.join(tmpdir(), 'ms-pristine-'));
    const { graph, weights } = build();
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const saver = new Saver();
    for (const s of [1, 2, 3]) {
      await sess.run([graph.assign(graph.globalVariables()[0]!, s), graph.assign(weights, new Float32Array(4096).fill(s))]);
      await saver.save(sess, path.join(pristine, 'model.ckpt'), { globalStep: s });
    }
    // Every (file, mutation) pair once, then random plans touching one or more files.
    const plans: [string, Mutation][][] = TARGETS.flatMap((t) => MUTATIONS.map((m): [string, Mutation][] => [[t, m]]));
    const planArb = fc.uniqueArray(fc.tuple(fc.constantFrom(...TARGETS), fc.constantFrom(...MUTATIONS)), {
      minLength: 1,
      maxLength: TARGETS.length,
      selector: ([t]) => t,
    });
    plans.push(...fc.sample(planArb, { numRuns: RUNS, seed: SEED }));
    const randoms = fc.sample(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { numRuns: plans.length, seed: SEED + 1 });
    const counts: Record<Outcome, number> = { latest: 0, fellBack: 0, refusedTyped: 0, restartedAtZero: 0, wrongValues: 0, rawError: 0, hang: 0 };
    const bad: string[] = [];
    for (const [i, plan] of plans.entries()) {
      let x = randoms[i]!;
      const rand = (): number => ((x = (x * 48271) % 2147483647) - 1) / 2147483646;
      const outcome = await trial(pristine, plan, rand);
      counts[outcome]++;
      if (outcome === 'restartedAtZero' || outcome === 'wrongValues' || outcome === 'rawError' || outcome === 'hang' || outcome === 'refusedTyped') {
        bad.push(`${outcome}: ${plan.map(([t, m]) => `${m} ${t}`).join(' + ')}`);
      }
    }
    console.log(`corruption campaign (FC_SEED=${SEED}, ${plans.length} trials): ${JSON.stringify(counts)}`);
    assert.deepEqual(bad, [], `FC_SEED=${SEED}`);
    assert.ok(counts.fellBack > 0 && counts.latest > 0);
  });
});
