import { inspect } from 'node:util';
import type { Logger, LogLevel } from '../logger.ts';

/** A failure the user can act on: printed as its one-line message, never with a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

/** `Name: message` of an error on one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Formats failures for the terminal: one line by default; with `verbose`, the full inspection
 * (stack and causes), at most once per error object, whoever prints it first.
 */
export class FailurePrinter {
  readonly #verbose: boolean;
  readonly #shown = new WeakSet<object>();

  constructor(verbose: boolean) {
    this.#verbose = verbose;
  }

  /** A detail as it should appear after a message: one line, or the stack once under --verbose. */
  detail(value: unknown): string {
    if (!(value instanceof Error)) return typeof value === 'string' ? value : inspect(value);
    if (!this.#verbose) return oneLine(value);
    if (this.#shown.has(value)) return `${oneLine(value)} (stack above)`;
    this.#shown.add(value);
    return inspect(value);
  }

  /** The final line(s) for a failed run. */
  failure(error: unknown): string {
    if (error instanceof CliError) {
      const line = `monitored-session: ${error.message}`;
      return this.#verbose ? `${line}\n${this.detail(error)}` : line;
    }
    if (!this.#verbose) return `monitored-session: training failed: ${oneLine(error)} (--verbose for the stack trace)`;
    return `monitored-session: training failed: ${this.detail(error)}`;
  }

  /** A stderr logger at `level` whose error details follow the same rules. */
  logger(level: LogLevel): Logger {
    const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
    const at =
      (l: LogLevel) =>
      (message: string, ...details: unknown[]) => {
        if (order[l] < order[level]) return;
        const rest = details.map((d) => ` ${this.detail(d)}`).join('');
        process.stderr.write(`[monitored-session] ${l.toUpperCase()} ${message}${rest}\n`);
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }
}
