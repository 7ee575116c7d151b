/**
 * Fuzz of the whole public API (issue 11, "Bad input"): every class and function exported by
 * `src/index.ts` (and each static, namespace member and instance method) is called with hostile
 * and plausible arguments, and each outcome is classified. A call may return, throw one of the
 * package's typed errors, or hand back the fuzz's own thrown error unchanged; it may never throw a
 * raw JS error (TypeError/RangeError outside the family, a stack overflow, a Node `ERR_*`), leave
 * an uncaught exception or an unhandled rejection, or hang.
 *
 * Knobs: `FC_SEED` (replay), `FC_RUNS_FACTOR` / `FC_RUNS` (soak), `FUZZ_TIME_LIMIT_MS` (wall-clock
 * budget of the run phase, 25 s by default, times `FC_RUNS_FACTOR`), `FUZZ_CALL_TIMEOUT_MS` (the
 * bound on one async call, 1,000 ms), `FUZZ_PRINT_RAW=1` (print each distinct raw error once, with
 * an input that caused it and where it was thrown), `FUZZ_ONLY=<regexp>` (fuzz matching targets), `FUZZ_TRACE_TIMERS=1` (where timers left running were created).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as api from '../../src/index.ts';
import { SummaryWriterCache, setLogger, silentLogger } from '../../src/index.ts';
import { numRuns, seed } from '../helpers/property.ts';
import { Tally, classify, type Outcome } from './outcome.ts';
import {
  BLOCKING_BY_DESIGN,
  closeQuietly,
  discoverMethodTargets,
  discoverTargets,
  methodsOf,
  type Target,
} from './targets.ts';
import { argsArb, fuzzRoot, makeEnv, type Gen } from './values.ts';

const CALL_TIMEOUT_MS = Number(process.env['FUZZ_CALL_TIMEOUT_MS'] ?? 1000);
/** How much longer a call past {@link CALL_TIMEOUT_MS} may take before it is counted as a hang. */
const SLOW_CALL_TIMEOUT_MS = 10 * CALL_TIMEOUT_MS;
/** APIs that block by contract get a short bound: waiting longer teaches nothing. */
const BLOCKING_TIMEOUT_MS = 100;
const TIME_LIMIT_MS = Number(process.env['FUZZ_TIME_LIMIT_MS'] ?? 25_000) * Number(process.env['FC_RUNS_FACTOR'] ?? 1);
const ONLY = process.env['FUZZ_ONLY'] === undefined ? undefined : new RegExp(process.env['FUZZ_ONLY']);

const TIMED_OUT = Symbol('timed out');

/**
 * Timers created while the suite runs, with the API that was running: APIs that wait by contract
 * (e.g. `SessionManager.waitForSession`, 7,200 s by default) leave timers behind, and so does a
 * leak. Both are reported; all are unref'd at the end so that the file can exit.
 */
const timers = new Map<NodeJS.Timeout, { api: string; stack: string }>();
const originalTimers = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };

function trackTimers(): void {
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const original = originalTimers[name] as unknown as (...a: unknown[]) => NodeJS.Timeout;
    (globalThis as Record<string, unknown>)[name] = (...args: unknown[]): NodeJS.Timeout => {
      const t = original(...args);
      const stack =
        process.env['FUZZ_TRACE_TIMERS'] === '1' ? (new Error().stack ?? '').split('\n').slice(2, 9).join('\n') : '';
      if (typeof t === 'object') timers.set(t, { api: current.api, stack });
      return t;
    };
  }
}

/** The timers still pending, by the API that created them; each is unref'd. */
function releaseTimers(): Map<string, number> {
  const byApi = new Map<string, number>();
  for (const [t, { api, stack }] of timers) {
    if ((t as unknown as { _destroyed?: boolean })._destroyed === true || !t.hasRef()) continue;
    byApi.set(api, (byApi.get(api) ?? 0) + 1);
    if (stack !== '') console.log(`timer left running by ${api}, created at:\n${stack}`);
    t.unref();
  }
  timers.clear();
  Object.assign(globalThis, originalTimers);
  return byApi;
}

/** Waits for `value` if it is a promise, at most `ms`; `TIMED_OUT` when it did not settle. */
async function bounded(value: unknown, ms: number): Promise<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  let then: unknown;
  try {
    then = (value as { then?: unknown }).then;
  } catch {
    return value;
  }
  if (typeof then !== 'function') return value;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      value as Promise<unknown>,
      new Promise((resolve) => (timer = setTimeout(resolve, ms, TIMED_OUT))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeInput(args: readonly Gen[]): string {
  return `(${args.map((a) => a.label).join(', ')})`.slice(0, 400);
}

const tally = new Tally();
/** The call running (or last run) when a stray exception or rejection fires. */
let current = { api: '(none)', input: '' };

/** Runs one call and records its outcome; returns the value it produced (awaited), if any. */
async function judge(api: string, input: string, call: () => unknown): Promise<unknown> {
  current = { api, input };
  let outcome: Outcome = 'ok';
  let error: unknown;
  let value: unknown;
  try {
    const blocking = BLOCKING_BY_DESIGN.has(api.replace(/^.*→/, ''));
    const pending = call();
    value = await bounded(pending, blocking ? BLOCKING_TIMEOUT_MS : CALL_TIMEOUT_MS);
    // A call past its bound gets a longer second wait before it is called a hang: I/O (a writer's
    // fsyncs at close) can take seconds on a loaded machine and still settle; a hang never does.
    if (value === TIMED_OUT && !blocking) value = await bounded(pending, SLOW_CALL_TIMEOUT_MS);
    if (value === TIMED_OUT) outcome = blocking ? 'blocking' : 'hang';
  } catch (e) {
    error = e;
    outcome = classify(e);
  }
  tally.record(api, outcome, input, error);
  return outcome === 'ok' ? value : undefined;
}

describe('public API fuzz', () => {
  const saved = { unhandled: process.listeners('unhandledRejection'), cwd: process.cwd() };
  const onUncaught = (error: unknown): void => tally.stray('uncaught', current.api, current.input, error);
  const onUnhandled = (reason: unknown): void => tally.stray('unhandled', current.api, current.input, reason);

  before(() => {
    // Counted, not fatal, while the suite runs (test/helpers/setup.ts makes them fatal elsewhere).
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
    // Relative paths the fuzz passes land in the suite's temporary directory, nowhere else.
    process.chdir(fuzzRoot());
    trackTimers();
  });

  after(() => {
    releaseTimers();
    process.chdir(saved.cwd);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    for (const l of saved.unhandled) process.on('unhandledRejection', l);
    rmSync(fuzzRoot(), { recursive: true, force: true });
    // Writes a call started before it was abandoned may land later: sweep once more, off the event loop's hold.
    setTimeout(() => rmSync(fuzzRoot(), { recursive: true, force: true }), 2000).unref();
  });

  it(
    'every export, called with hostile arguments: 0 raw errors, 0 uncaught, 0 unhandled, 0 hangs',
    { timeout: TIME_LIMIT_MS * 4 + 120_000 },
    async () => {
      const methodTargets = await discoverMethodTargets(await makeEnv());
      const targets: Target[] = [...discoverTargets(), ...methodTargets].filter(
        (t) => ONLY === undefined || ONLY.test(t.name),
      );
      assert.ok(targets.length > 0, 'no target matches FUZZ_ONLY');
      const started = Date.now();

      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          argsArb,
          fc.nat(),
          argsArb,
          async (target, args, pick, followArgs) => {
            const env = await makeEnv();
            const opened: unknown[] = [];
            const input = describeInput(args);
            const value = await judge(target.name, input, async () => {
              const done = await target.invoke(
                env,
                args.map((a) => a(env)),
              );
              opened.push(...done.opened);
              return done.result;
            });
            // Follow up on what the call produced (a session, a hook, a writer): one of its methods, fuzzed.
            if (isPackageObject(value)) {
              opened.push(value);
              const methods = safeMethods(value);
              const method = methods[pick % Math.max(1, methods.length)];
              if (method !== undefined) {
                const name = `${target.name}→${value.constructor?.name ?? 'Object'}#${method}`;
                await judge(name, describeInput(followArgs), () =>
                  (value as Record<string, (...a: unknown[]) => unknown>)[method]!(...followArgs.map((a) => a(env))),
                );
              }
            }
            for (const o of opened) await bounded(closeQuietly(o), CALL_TIMEOUT_MS);
            await bounded(closeQuietly(env.session), CALL_TIMEOUT_MS);
            setLogger(silentLogger);
            current = { api: `(after ${target.name})`, input };
            return true;
          },
        ),
        {
          seed,
          numRuns: numRuns(6000),
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: false,
          endOnFailure: true,
        },
      );
      // Let late rejections and timers of the last calls surface before counting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await bounded(SummaryWriterCache.clear(), CALL_TIMEOUT_MS);

      const leftRunning = releaseTimers();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `API fuzz: seed=${seed} targets=${targets.length} (${methodTargets.length} methods) in ${seconds}s\n${tally.report()}`,
      );
      console.log(
        `timers left running after the calls (unref'd; FUZZ_TRACE_TIMERS=1 shows where): ${JSON.stringify(Object.fromEntries(leftRunning))}`,
      );
      if (process.env['FUZZ_PRINT_RAW'] === '1') console.log(tally.details());
      const summary = {
        raw: tally.total('raw'),
        uncaught: tally.uncaught.length,
        unhandled: tally.unhandled.length,
        hangs: tally.total('hang'),
      };
      assert.deepEqual(
        summary,
        { raw: 0, uncaught: 0, unhandled: 0, hangs: 0 },
        `replay with FC_SEED=${seed}; FUZZ_PRINT_RAW=1 lists each one\n${tally.details().slice(0, 6000)}`,
      );
    },
  );
});

const exportedPrototypes = new Set<object>(
  Object.values(api).flatMap((v) =>
    typeof v === 'function' && typeof (v as { prototype?: unknown }).prototype === 'object'
      ? [(v as { prototype: object }).prototype]
      : [],
  ),
);

/** True for an instance of one of the package's exported classes (not an array, a plain object or a promise). */
function isPackageObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  try {
    for (
      let p = Object.getPrototypeOf(value) as object | null;
      p !== null;
      p = Object.getPrototypeOf(p) as object | null
    ) {
      if (exportedPrototypes.has(p)) return true;
    }
  } catch {
    // a proxy handed back unchanged
  }
  return false;
}

function safeMethods(value: object): string[] {
  try {
    return methodsOf(value).filter((m) => m !== 'then');
  } catch {
    return [];
  }
}
