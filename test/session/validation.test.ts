/** Bad input to the session family (issue 11): refused eagerly, with this API's option names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  Coordinator,
  Graph,
  MonitoredSession,
  QueueRunner,
  Scaffold,
  SessionManager,
  SingularMonitoredSession,
  UnknownOptionError,
  UsageTypeError,
  UsageValueError,
  WorkerSessionCreator,
  monitoredTrainingSession,
} from '../../src/index.ts';

/** Asserts `fn` throws (or rejects with) an unknown-option error for `option`, suggesting `suggestion`. */
async function refusesUnknown(fn: () => unknown, option: string, suggestion: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e) =>
      e instanceof UnknownOptionError &&
      e.option === option &&
      e.suggestion === suggestion &&
      e.message.includes(`\`${suggestion}\``),
  );
}

const bad = { type: UsageTypeError, value: UsageValueError };

async function refuses(fn: () => unknown, kind: keyof typeof bad, option: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e) => e instanceof bad[kind] && (e as { option: string }).option === option && e.message.includes(`\`${option}\``),
  );
}

describe('the session family refuses bad options', () => {
  it('monitoredTrainingSession({ checkpoint_dir }) is refused, naming checkpointDir', async () => {
    await refusesUnknown(
      () => monitoredTrainingSession({ graph: new Graph(), checkpoint_dir: '/tmp/x' } as never),
      'checkpoint_dir',
      'checkpointDir',
    );
    await refuses(
      () => monitoredTrainingSession({ graph: new Graph(), saveCheckpointSteps: -1 }),
      'value',
      'saveCheckpointSteps',
    );
    await refuses(() => monitoredTrainingSession({ graph: new Graph(), isChief: 'yes' as never }), 'type', 'isChief');
    await refuses(
      () => monitoredTrainingSession({ graph: new Graph(), chiefOnlyHooks: [3 as never] }),
      'type',
      'chiefOnlyHooks[0]',
    );
    await refuses(() => monitoredTrainingSession({ graph: new Graph(), clock: {} as never }), 'type', 'clock');
  });

  it('MonitoredSession.create and SingularMonitoredSession.create refuse unknown options', async () => {
    await refusesUnknown(() => MonitoredSession.create({ graph: new Graph(), hook: [] } as never), 'hook', 'hooks');
    await refusesUnknown(
      () => MonitoredSession.create({ graph: new Graph(), recovery: { max_retries: 1 } } as never),
      'max_retries',
      'maxRetries',
    );
    await refusesUnknown(
      () => SingularMonitoredSession.create({ graph: new Graph(), checkpoint_dir: '/tmp/x' } as never),
      'checkpoint_dir',
      'checkpointDir',
    );
  });

  it('clock and inspect are checked when passed, not inside xstate', async () => {
    await refuses(
      () => MonitoredSession.create({ graph: new Graph(), clock: { now: () => 0 } as never }),
      'type',
      'clock',
    );
    await refuses(() => MonitoredSession.create({ graph: new Graph(), inspect: 42 as never }), 'type', 'inspect');
    await refuses(
      () => MonitoredSession.create({ graph: new Graph(), inspect: { next: 'x' } as never }),
      'type',
      'inspect',
    );
    await refuses(
      () => SingularMonitoredSession.create({ graph: new Graph(), clock: 'now' as never }),
      'type',
      'clock',
    );
    await refuses(
      () => SingularMonitoredSession.create({ graph: new Graph(), stopGracePeriodSecs: -3 }),
      'value',
      'stopGracePeriodSecs',
    );
  });

  it('creators, SessionManager, Coordinator, QueueRunner and Scaffold refuse unknown options', async () => {
    const graph = new Graph();
    await refusesUnknown(
      () => new ChiefSessionCreator({ graph, checkpoint_dir: 'x' } as never),
      'checkpoint_dir',
      'checkpointDir',
    );
    await refusesUnknown(
      () => new WorkerSessionCreator({ graph, max_wait_secs: 1 } as never),
      'max_wait_secs',
      'maxWaitSecs',
    );
    await refusesUnknown(
      () => new SessionManager({ graph, recovery_wait_secs: 1 } as never),
      'recovery_wait_secs',
      'recoveryWaitSecs',
    );
    await refusesUnknown(
      () => new Coordinator({ clean_stop_exception_types: [] } as never),
      'clean_stop_exception_types',
      'cleanStopExceptionTypes',
    );
    await refusesUnknown(
      () => new Coordinator().join({ stop_grace_period_secs: 1 } as never),
      'stop_grace_period_secs',
      'stopGracePeriodSecs',
    );
    await refusesUnknown(() => new Scaffold({ init_op: 1 } as never), 'init_op', 'initOp');
    const q = graph.fifoQueue<number>({ capacity: 1, name: 'q' });
    const op = graph.op('one', [], () => 1);
    await refusesUnknown(
      () => new QueueRunner({ queue: q, enqueueOps: [q.enqueue(op)], close_op: op } as never),
      'close_op',
      'closeOp',
    );
  });

  it('their clocks and option values are checked too', async () => {
    const graph = new Graph();
    await refuses(() => new ChiefSessionCreator({ graph, clock: {} as never }), 'type', 'clock');
    await refuses(() => new ChiefSessionCreator({ graph, master: 3 as never }), 'type', 'master');
    await refuses(() => new SessionManager({ graph, clock: 1 as never }), 'type', 'clock');
    await refuses(() => new SessionManager({ graph, recoveryWaitSecs: -1 }), 'value', 'recoveryWaitSecs');
    await refuses(() => new Coordinator({ clock: 1 as never }), 'type', 'clock');
    await refuses(() => new Coordinator({ cleanStopExceptionTypes: [1 as never] }), 'type', 'cleanStopExceptionTypes');
    await refuses(() => new Scaffold({ initFn: 'init' as never }), 'type', 'initFn');
  });
});

describe('"forever" waits', () => {
  it('SessionManager refuses an infinite recoveryWaitSecs (a poll every millisecond once clamped)', async () => {
    await refuses(
      () => new SessionManager({ graph: new Graph(), recoveryWaitSecs: Infinity }),
      'value',
      'recoveryWaitSecs',
    );
  });
});
