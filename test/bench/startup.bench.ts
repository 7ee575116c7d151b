import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Wall-clock seconds of one whole process, from spawn to exit; throws when it fails. */
function wall(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolve(secs);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `npm start` (2000 Iris steps) against `node dist/src/cli/main.js train` of the same command, as
 * whole processes, alternating in a random order each round, fresh checkpoint directories, median.
 * npm's own start-up (`npm --version`) is printed as the floor of the difference.
 */
export async function benchStartup(rounds = Number(process.env['BENCH_STARTUP_ROUNDS'] ?? 5)): Promise<void> {
  if (!existsSync(path.join(root, 'dist/src/cli/main.js')) || process.env['BENCH_BUILD'] !== '0') {
    await wall(npm, ['run', '--silent', 'build']);
  }
  const work = await mkdtemp(path.join(tmpdir(), 'ms-bench-start-'));
  const steps = ['--steps', '2000'];
  let runs = 0;
  const dir = () => path.join(work, `run-${runs++}`);
  const variants: Record<'npm' | 'node' | 'npmAlone', () => Promise<number>> = {
    npm: () => wall(npm, ['start', '--silent', '--', '--checkpoint-dir', dir(), ...steps]),
    node: () => wall(process.execPath, ['dist/src/cli/main.js', 'train', '--checkpoint-dir', dir(), ...steps]),
    npmAlone: () => wall(npm, ['--version']),
  };
  const samples = { npm: [] as number[], node: [] as number[], npmAlone: [] as number[] };
  await variants.node(); // warm the file cache
  for (let r = 0; r < rounds; r++) {
    const order = (Object.keys(variants) as (keyof typeof variants)[]).sort(() => Math.random() - 0.5);
    for (const name of order) samples[name].push(await variants[name]());
  }
  await rm(work, { recursive: true, force: true });
  const [npmStart, node, npmAlone] = [median(samples.npm), median(samples.node), median(samples.npmAlone)];
  const ratio = npmStart / node;
  const detail = `${npmStart.toFixed(2)} s vs node dist ${node.toFixed(2)} s (${ratio.toFixed(2)}x, target <= 1.2x)`;
  report(`npm start, 2000 Iris steps (median of ${rounds})`, detail, ratio <= 1.2);
  const floor = `npm's own start-up ${npmAlone.toFixed(2)} s; npm start - node dist = ${(npmStart - node).toFixed(2)} s`;
  report('  floor of the difference', floor, undefined);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStartup();
