/**
 * The one logger every part of the runtime writes through. Replace it (`setLogger`) to route
 * messages elsewhere, or silence it (`setLogger(silentLogger)`).
 */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** A logger writing to stderr at `level` and above. @default level 'info' */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  const at =
    (l: LogLevel) =>
    (message: string, ...details: unknown[]) => {
      if (ORDER[l] >= ORDER[level]) console.error(`[monitored-session] ${l.toUpperCase()} ${message}`, ...details);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

function initialLevel(): LogLevel {
  const env = typeof process === 'undefined' ? undefined : process.env['MONITORED_SESSION_LOG'];
  return env !== undefined && env in ORDER ? (env as LogLevel) : 'warn';
}

let current: Logger = consoleLogger(initialLevel());

/** The logger in use. @default warnings and errors to stderr (`MONITORED_SESSION_LOG=info` for more) */
export const logger: Logger = {
  debug: (m, ...d) => current.debug(m, ...d),
  info: (m, ...d) => current.info(m, ...d),
  warn: (m, ...d) => current.warn(m, ...d),
  error: (m, ...d) => current.error(m, ...d),
};

/** Replaces the logger; returns the previous one. */
export function setLogger(next: Logger): Logger {
  const previous = current;
  current = next;
  return previous;
}
