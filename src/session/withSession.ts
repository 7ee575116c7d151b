import { OutOfRangeError, StopIteration } from '../errors.ts';
import { expect, is, rule } from '../internal/validate.ts';
import { CLOSE_WITH, type AnyMonitoredSession } from './MonitoredSession.ts';

const monitored = rule<AnyMonitoredSession>(
  'a MonitoredSession or SingularMonitoredSession (or a promise of one)',
  'type',
  (v) => typeof v === 'object' && v !== null && typeof (v as Record<PropertyKey, unknown>)[CLOSE_WITH] === 'function',
);

const sessionOrPromise = rule<unknown>(
  'a MonitoredSession or a promise of one',
  'type',
  (v) => v instanceof Promise || monitored.test(v),
);

/**
 * Python's `with` block for a monitored session: runs `body(session)`, then closes. If `body`
 * throws exactly `OutOfRangeError` or `StopIteration` (the class itself, not a subclass), the
 * error is swallowed and hooks' `end` run; any other error skips `end` (hooks are told
 * `endOnError`), closes, and is rethrown.
 *
 * `await using session = await MonitoredSession.create(...)` is the other way to scope a session,
 * but its dispose cannot see the error that left the block: without a prior `close()` it is an
 * abort-close, with hooks' `end` skipped, so a failed run's state (diverged weights after a NaN
 * loss, say) is never published as the latest checkpoint. Use `withSession`, or end the block
 * with `await session.close()`, for a clean close.
 * @example
 * await withSession(MonitoredSession.create({ graph }), async (s) => { while (!s.shouldStop()) await s.run(train); });
 */
export async function withSession<S extends AnyMonitoredSession, R>(
  session: S | Promise<S>,
  body: (session: S) => R | Promise<R>,
): Promise<R | undefined> {
  const pending = expect('withSession', 'session', session, sessionOrPromise);
  const s = expect('withSession', 'session', await pending, monitored) as S;
  try {
    expect('withSession', 'body', body, is.function);
  } catch (misuse) {
    await s[CLOSE_WITH]('error', misuse); // the session handed over is closed, as a failed body would leave it
    throw misuse;
  }
  let result: R;
  try {
    result = await body(s);
  } catch (error) {
    const cls = (error as { constructor?: unknown } | null)?.constructor;
    if (cls === OutOfRangeError || cls === StopIteration) {
      await s[CLOSE_WITH]('clean', undefined, cls === OutOfRangeError ? 'endOfInput' : 'stopRequested');
      return undefined;
    }
    // A close error wins over the body's error (Python's semantics).
    await s[CLOSE_WITH]('error', error);
    throw error;
  }
  await s[CLOSE_WITH]('clean', undefined);
  return result;
}
