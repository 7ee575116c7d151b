import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, shuffled } from './harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Wall-clock seconds of one whole process, from spawn to exit; throws when it fails. */
function wall(command: string, args: string[], cwd = root): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env });
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
 * The floor of the difference is npm's own cost of running a script: `npm run` of a script that
 * does nothing (`true`), in a package of its own, measured in the same rounds.
 */
export async function benchStartup(rounds = Number(process.env['BENCH_STARTUP_ROUNDS'] ?? 5)): Promise<void> {
  if (!existsSync(path.join(root, 'dist/src/cli/main.js')) || process.env['BENCH_BUILD'] !== '0') {
    await wall(npm, ['run', '--silent', 'build']);
  }
  const work = await mkdtemp(path.join(tmpdir(), 'ms-bench-start-'));
  const steps = ['--steps', '2000'];
  let runs = 0;
  const dir = () => path.join(work, `run-${runs++}`);
  const empty = path.join(work, 'empty-package');
  await mkdir(empty);
  await writeFile(path.join(empty, 'package.json'), JSON.stringify({ name: 'empty', scripts: { start: 'true' } }));
  const variants: Record<'npm' | 'node' | 'npmAlone', () => Promise<number>> = {
    npm: () => wall(npm, ['start', '--silent', '--', '--checkpoint-dir', dir(), ...steps]),
    node: () => wall(process.execPath, ['dist/src/cli/main.js', 'train', '--checkpoint-dir', dir(), ...steps]),
    npmAlone: () => wall(npm, ['start', '--silent'], empty),
  };
  const samples = { npm: [] as number[], node: [] as number[], npmAlone: [] as number[] };
  await variants.node(); // warm the file cache
  for (let r = 0; r < rounds; r++) {
    const order = shuffled(Object.keys(variants) as (keyof typeof variants)[]);
    for (const name of order) samples[name].push(await variants[name]());
  }
  await rm(work, { recursive: true, force: true });
  const [npmStart, node, npmAlone] = [median(samples.npm), median(samples.node), median(samples.npmAlone)];
  const ratio = npmStart / node;
  const detail = `${npmStart.toFixed(2)} s vs node dist ${node.toFixed(2)} s (${ratio.toFixed(2)}x, target <= 1.2x)`;
  report(`npm start, 2000 Iris steps (median of ${rounds})`, detail, ratio <= 1.2);
  const over = npmStart - node;
  const floor =
    `npm start - node dist = ${over.toFixed(2)} s vs npm's own cost of running a no-op script ${npmAlone.toFixed(2)} s ` +
    `(the target allows ${(0.2 * node).toFixed(2)} s: below npm's own cost whenever node dist takes under ` +
    `${(npmAlone / 0.2).toFixed(2)} s)`;
  report('  floor of the difference', floor, undefined);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStartup();
