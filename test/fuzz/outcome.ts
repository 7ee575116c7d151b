/**
 * How the API fuzz judges one call: it returned (ok), failed with one of the package's typed
 * errors (typed), passed the fuzz's own hostile error back (propagated), or failed with anything
 * else (raw: a TypeError/RangeError not of the family, a stack overflow, a Node `ERR_*` error).
 * The tally keeps counts per API and each distinct raw error once, with an input that caused it.
 */
import { InjectedError } from '../../src/testing/index.ts';
import {
  NanLossDuringTrainingError,
  OpError,
  RuntimeError,
  StopIteration,
  UsageError,
  ValueError,
} from '../../src/index.ts';
import { HostileError } from './values.ts';

export type Outcome = 'ok' | 'typed' | 'propagated' | 'raw' | 'hang' | 'blocking';

/** The typed errors a caller may see: OpErrors, misuse, and the documented Python-style errors. */
export function isTyped(error: unknown): boolean {
  return (
    error instanceof OpError ||
    error instanceof UsageError ||
    error instanceof StopIteration ||
    error instanceof RuntimeError ||
    error instanceof ValueError ||
    error instanceof NanLossDuringTrainingError ||
    error instanceof InjectedError
  );
}

/** True when `error` is the fuzz's own hostile error, unchanged (a user's error propagates as is). */
function isHostile(error: unknown): boolean {
  return error instanceof HostileError;
}

export function classify(error: unknown): Outcome {
  if (isTyped(error)) return 'typed';
  if (isHostile(error)) return 'propagated';
  return 'raw';
}

/** A short, stable signature of a raw error: class, code and message with numbers and names blurred. */
export function signature(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error ${typeof error}`;
  const code = (error as { code?: unknown }).code;
  // The value received varies with the input: keep what the message says about the API, not the value.
  const message = error.message
    .replace(/\bgot .*$/s, 'got …')
    .replace(/\d+/g, 'N')
    .replace(/'[^']*'|"[^"]*"/g, '…')
    .slice(0, 140);
  return `${error.constructor?.name ?? error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${message}`;
}

interface ApiCounts {
  calls: number;
  ok: number;
  typed: number;
  propagated: number;
  raw: number;
  hang: number;
  blocking: number;
}

export interface RawRecord {
  readonly api: string;
  readonly signature: string;
  readonly input: string;
  readonly where: string;
  count: number;
}

/** Counts per API, and the distinct raw errors, hangs, uncaught exceptions and unhandled rejections. */
export class Tally {
  readonly byApi = new Map<string, ApiCounts>();
  readonly raws = new Map<string, RawRecord>();
  readonly uncaught: RawRecord[] = [];
  readonly unhandled: RawRecord[] = [];

  record(api: string, outcome: Outcome, input: string, error?: unknown): void {
    let c = this.byApi.get(api);
    if (c === undefined)
      this.byApi.set(api, (c = { calls: 0, ok: 0, typed: 0, propagated: 0, raw: 0, hang: 0, blocking: 0 }));
    c.calls++;
    c[outcome]++;
    if (outcome === 'raw' || outcome === 'hang') {
      const sig = outcome === 'hang' ? 'hang (did not settle within the bound)' : signature(error);
      const key = `${api} ${sig}`;
      const known = this.raws.get(key);
      if (known) known.count++;
      else this.raws.set(key, { api, signature: sig, input, where: topFrame(error), count: 1 });
    }
  }

  /** An uncaught exception or unhandled rejection, attributed to the call running (or last run) when it fired. */
  stray(kind: 'uncaught' | 'unhandled', api: string, input: string, error: unknown): void {
    const list = kind === 'uncaught' ? this.uncaught : this.unhandled;
    const sig = isTyped(error) ? `typed ${signature(error)}` : signature(error);
    const known = list.find((r) => r.api === api && r.signature === sig);
    if (known) known.count++;
    else list.push({ api, signature: sig, input, where: topFrame(error), count: 1 });
  }

  total(field: keyof ApiCounts): number {
    let n = 0;
    for (const c of this.byApi.values()) n += c[field];
    return n;
  }

  /** The per-API table, worst first, and the totals. */
  report(): string {
    const rows = [...this.byApi.entries()].sort(
      (a, b) => b[1].raw + b[1].hang - (a[1].raw + a[1].hang) || a[0].localeCompare(b[0]),
    );
    const lines = [`${'api'.padEnd(44)} calls    ok typed  prop   raw  hang block`];
    for (const [api, c] of rows) {
      const cells = [c.calls, c.ok, c.typed, c.propagated, c.raw, c.hang, c.blocking].map((n) => String(n).padStart(5));
      lines.push(`${api.padEnd(44)}${cells.join(' ')}`);
    }
    const totals = (['calls', 'ok', 'typed', 'propagated', 'raw', 'hang', 'blocking'] as const).map(
      (f) => `${f}=${this.total(f)}`,
    );
    lines.push(
      `totals: ${totals.join(' ')} uncaught=${this.uncaught.length} unhandled=${this.unhandled.length} distinctRaw=${this.raws.size}`,
    );
    return lines.join('\n');
  }

  /** Each distinct raw error (and hang, uncaught, unhandled) once, with an input that caused it. */
  details(): string {
    const lines: string[] = [];
    const show = (title: string, records: Iterable<RawRecord>): void => {
      for (const r of records)
        lines.push(`${title} ${r.api} ×${r.count}: ${r.signature}\n    input: ${r.input}\n    at: ${r.where}`);
    };
    show(
      'RAW',
      [...this.raws.values()].sort((a, b) => a.api.localeCompare(b.api)),
    );
    show('UNCAUGHT', this.uncaught);
    show('UNHANDLED', this.unhandled);
    return lines.join('\n');
  }
}

/** The first stack frame in the package's sources (where to look), else the first frame. */
function topFrame(error: unknown): string {
  if (!(error instanceof Error) || error.stack === undefined) return '?';
  const frames = error.stack.split('\n').filter((l) => l.trimStart().startsWith('at '));
  const own = frames.find((l) => /\/(src|machines)\//.test(l) && !l.includes('/test/'));
  return (own ?? frames[0] ?? '?')
    .trim()
    .replace(/^at /, '')
    .replace(/\(?\/work\/wt\/[^/]+\//, '(')
    .slice(0, 160);
}
