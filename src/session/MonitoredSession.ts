import type { Session } from '../graph/Session.ts';
import { BaseMonitoredSession, CREATE } from './BaseMonitoredSession.ts';
import {
  resolveMonitoredSessionOptions,
  resolveSingularOptions,
  type MonitoredSessionOptions,
  type ResolvedSessionOptions,
  type SingularMonitoredSessionOptions,
} from './sessionOptions.ts';

export { CLOSE_WITH } from './BaseMonitoredSession.ts';
export type { InspectObserver, MonitoredSessionOptions, SingularMonitoredSessionOptions } from './sessionOptions.ts';

/**
 * TensorFlow's `MonitoredSession`: creates (or restores) a session, runs hooks around every run,
 * and recovers from lost sessions by creating a new one and re-issuing the run.
 * @example
 * const sess = await MonitoredSession.create({ graph, hooks: [new StopAtStepHook({ lastStep: 1000 })] });
 * await withSession(sess, async (s) => { while (!s.shouldStop()) await s.run(train); });
 */
export class MonitoredSession extends BaseMonitoredSession {
  /** @internal Use {@link MonitoredSession.create}. */
  constructor(token: never, options: ResolvedSessionOptions) {
    super(token, options ?? { api: 'MonitoredSession' }, false);
  }

  /** Calls hooks' `begin`, then creates the first session (retrying lost sessions). */
  static async create(options: MonitoredSessionOptions = {}): Promise<MonitoredSession> {
    const session = new MonitoredSession(CREATE as never, resolveMonitoredSessionOptions(options));
    await session.start();
    return session;
  }
}

/**
 * TensorFlow's `SingularMonitoredSession`: like `MonitoredSession` with a chief session creator,
 * but without recovery (every error reaches the caller), and with access to the raw session.
 */
export class SingularMonitoredSession extends BaseMonitoredSession {
  /** @internal Use {@link SingularMonitoredSession.create}. */
  constructor(token: never, options: ResolvedSessionOptions) {
    super(token, options ?? { api: 'SingularMonitoredSession' }, true);
  }

  static async create(options: SingularMonitoredSessionOptions): Promise<SingularMonitoredSession> {
    const session = new SingularMonitoredSession(CREATE as never, resolveSingularOptions(options));
    await session.start();
    return session;
  }

  /** The raw session (runs bypass hooks); `undefined` after close. */
  rawSession(): Session | undefined {
    return this.currentRaw();
  }
}

/** Either kind of monitored session. */
export type AnyMonitoredSession = MonitoredSession | SingularMonitoredSession;
