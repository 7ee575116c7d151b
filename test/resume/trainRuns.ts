/** Helpers of the exact-resume tests: the Iris job in-process and as the real CLI, and its final weights. */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeValue } from '../../src/checkpoint/encoding.ts';
import { readCheckpoint } from '../../src/checkpoint/Saver.ts';
import { latestCheckpoint } from '../../src/checkpoint/state.ts';
import { train, type TrainReport } from '../../src/cli/train.ts';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The CLI compiled from the current sources (`tsc -p tsconfig.build.json` into `.tmp/`, once):
 * it starts in a fifth of the time tsx takes, which is most of a killed run's life. `RESUME_TSX=1`
 * runs the sources through tsx instead. Returns the command and a disposer.
 */
export async function compiledCli(): Promise<{ command: string[]; dispose: () => Promise<void> }> {
  if (process.env['RESUME_TSX'] === '1') return { command: ['--import', 'tsx', MAIN], dispose: async () => {} };
  const out = path.join(ROOT, '.tmp', `resume-cli-${process.pid}`);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out]);
  const dispose = () => rm(out, { recursive: true, force: true });
  return { command: [path.join(out, 'src', 'cli', 'main.js')], dispose };
}

/** A scratch directory, in memory when the host has one (fsync is free there: many saves stay fast). */
export function scratch(tag: string): Promise<string> {
  return mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `ms-${tag}-`));
}

/** The job's settings shared by every run of one comparison. */
export interface Job {
  steps: number;
  saveEvery: number;
  seed: number;
}

export function cliArgs(job: Job, dir: string, extra: string[] = []): string[] {
  const { steps, saveEvery, seed } = job;
  return [
    'train',
    '--steps',
    `${steps}`,
    '--save-checkpoint-steps',
    `${saveEvery}`,
    '--seed',
    `${seed}`,
    '--checkpoint-dir',
    dir,
    '--json',
    ...extra,
  ];
}

/** Runs the job in this process (no faults unless asked). */
export function trainHere(job: Job, dir: string, faultRate = 0): Promise<TrainReport> {
  return train({
    steps: job.steps,
    checkpointDir: dir,
    saveCheckpointSteps: job.saveEvery,
    faultRate,
    seed: job.seed,
    progress: { write: () => true },
  });
}

/** The trained values of the newest checkpoint in `dir`: step, weights and bias as raw bytes. */
export async function finalWeights(dir: string): Promise<{ step: number; weights: Buffer; bias: Buffer }> {
  const prefix = await latestCheckpoint(dir);
  if (prefix === undefined) throw new Error(`no checkpoint in ${dir}`);
  const { variables, tensors } = await readCheckpoint(prefix);
  const value = (name: string) => decodeValue(variables[name], tensors);
  const bytes = (name: string) => {
    const v = value(name) as Float32Array;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  };
  return { step: value('global_step') as number, weights: bytes('weights'), bias: bytes('bias') };
}

/** Where a kill lands: at a random time while steps run, as a save starts, or as a restore starts. */
export type KillMoment =
  { kind: 'step'; delayMs: number } | { kind: 'save'; nth: number } | { kind: 'restore'; delayMs: number };

/** One CLI run: killed with SIGKILL at `moment` unless it finishes first. */
export function runCli(
  job: Job,
  dir: string,
  moment: KillMoment | undefined,
  extra: string[] = [],
  command: string[] = ['--import', 'tsx', MAIN],
): Promise<{ killed: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MONITORED_SESSION_LOG: 'info', NO_COLOR: '1' };
    const child = spawn(process.execPath, [...command, ...cliArgs(job, dir, extra)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let saves = 0;
    const kill = (delayMs = 0) => {
      if (killed) return;
      killed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      const text = String(d);
      stderr += text;
      if (moment === undefined) return;
      const restoring = text.includes('Restoring parameters from');
      const saving = (text.match(/Saving checkpoints for/g) ?? []).length;
      saves += saving;
      if (moment.kind === 'restore' && (restoring || saving > 0)) kill(moment.delayMs);
      if (moment.kind === 'save' && saves >= moment.nth) kill();
      if (moment.kind === 'step' && saves >= 1) kill(moment.delayMs);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ killed: killed && code === null, code, stdout, stderr }));
  });
}
