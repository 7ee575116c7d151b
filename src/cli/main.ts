#!/usr/bin/env node
import { runDemo } from './demo.ts';

const USAGE = `Usage: monitored-session [demo] [--steps N]

Commands:
  demo        fit y = 3x + 2 with gradient descent on the embedded dataflow backend (default)

Options:
  --steps N   training steps (default 200)
  -h, --help  show this help`;

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  if (args.includes('-h') || args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  if (args[0] === 'demo') args.shift();
  let steps = 200;
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--steps') {
      const value = Number(args.shift());
      if (!Number.isInteger(value) || value <= 0) {
        console.error(`monitored-session: expected --steps to be a positive integer, got ${JSON.stringify(String(value))}`);
        return 2;
      }
      steps = value;
    } else {
      console.error(`monitored-session: unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`);
      return 2;
    }
  }
  const result = await runDemo({ steps, batchSize: 32, log: (line) => console.log(line) });
  console.log(`done: step ${result.step}, w = ${result.w.toFixed(4)} (true 3), b = ${result.b.toFixed(4)} (true 2), loss ${result.loss.toFixed(6)}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
