/**
 * Hostile arguments the public-API fuzz (test/fuzz) found raising raw JS errors in the session,
 * queue and resume APIs: each is now refused with the UsageError family, naming the API and option.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChiefSessionCreator,
  Coordinator,
  Graph,
  MonitoredSession,
  QueueRunner,
  RandomGenerator,
  Scaffold,
  Session,
  SessionManager,
  SourceQueueRunner,
  StepContext,
  UsageError,
  UsageTypeError,
  UsageValueError,
  WorkerSessionCreator,
  isRecoverable,
  monitoredTrainingSession,
  addQueueRunner,
  randomGenerator,
  startQueueRunners,
  withSession,
} from '../../src/index.ts';

/** A proxy that throws on every inspection. */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Asserts `fn` throws or rejects with a UsageError naming `api` and `option`. */
async function refuses(fn: () => unknown, api: string, option: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e) => e instanceof UsageError && (e as { api: string }).api === api && (e as { option: string }).option === option,
  );
}

function model(): Graph {
  const graph = new Graph();
  graph.variable(0, { name: 'v' });
  return graph;
}

describe('hostile arguments found by the API fuzz', () => {
  it('queue runners: addQueueRunner, startQueueRunners, new QueueRunner, new SourceQueueRunner', async () => {
    const graph = model();
    const q = graph.fifoQueue({ capacity: 2 });
    await refuses(() => addQueueRunner(graph, {} as never), 'addQueueRunner', 'queueRunner');
    await refuses(() => addQueueRunner(null as never, {} as never), 'addQueueRunner', 'graph');
    await refuses(() => startQueueRunners('local://none'), 'startQueueRunners', 'session');
    await refuses(() => new QueueRunner({ queue: {} as never, enqueueOps: [q.enqueue(1)] }), 'QueueRunner', 'queue');
    await refuses(() => new QueueRunner({ queue: q, enqueueOps: [1 as never] }), 'QueueRunner', 'enqueueOps');
    await refuses(() => new SourceQueueRunner({} as never, q.enqueue(1), {} as never, 'k'), 'QueueRunner', 'queue');
    const qr = new QueueRunner({ queue: q, enqueueOps: [q.enqueue(1)] });
    await refuses(() => qr.createThreads(revoked() as never), 'QueueRunner.createThreads', 'session');
  });

  it('creators: a method called before openSession, or with junk, is refused', async () => {
    const chief = new ChiefSessionCreator({ graph: model() });
    await refuses(() => chief.restoreSession(undefined as never), 'ChiefSessionCreator.restoreSession', 'session');
    const api = 'ChiefSessionCreator.initializeSession';
    await refuses(() => chief.initializeSession(undefined as never, false), api, 'session');
    const worker = new WorkerSessionCreator({ graph: model() });
    await refuses(() => worker.initializeSession('\\0' as never), 'WorkerSessionCreator.initializeSession', 'session');
    await refuses(() => new ChiefSessionCreator({ graph: {} as never }), 'ChiefSessionCreator', 'graph');
  });

  it('a creator step on a session opened elsewhere works without openSession first', async () => {
    const graph = model();
    const chief = new ChiefSessionCreator({ graph });
    const session = new Session(graph);
    assert.equal(await chief.restoreSession(session), false);
    await chief.initializeSession(session, false);
    assert.equal(await session.run(graph.getTensorByName('v')), 0);
    await session.close();
  });

  it('SessionManager methods check their arguments', async () => {
    const manager = new SessionManager({ graph: model() });
    await refuses(() => manager.initialize(undefined as never, false, {}), 'SessionManager.initialize', 'session');
    await refuses(() => manager.restore(undefined as never, {}), 'SessionManager.restore', 'session');
    const session = manager.openSession();
    await refuses(() => manager.restore(session, undefined as never), 'SessionManager.restore', 'options');
    await refuses(() => manager.initialize(session, false, revoked() as never), 'SessionManager.initialize', 'options');
    await refuses(() => manager.waitForSession(revoked() as never), 'SessionManager.waitForSession', 'options');
    await refuses(() => manager.prepareSession({ initFn: 1 as never }), 'SessionManager.prepareSession', 'initFn');
    await session.close();
  });

  it('Scaffold: finalize and defaultLocalInitOp need a Graph', async () => {
    await refuses(() => new Scaffold().finalize(undefined as never), 'Scaffold.finalize', 'graph');
    await refuses(() => Scaffold.defaultLocalInitOp(revoked() as never), 'Scaffold.defaultLocalInitOp', 'graph');
    await assert.rejects(async () => new Scaffold({ copyFromScaffold: revoked() as never }), UsageTypeError);
  });

  it('StepContext, withSession and runStepFn refuse junk', async () => {
    await refuses(() => new StepContext(new Session(model()), 1 as never), 'StepContext', 'runWithHooks');
    await refuses(() => withSession(undefined as never, () => 1), 'withSession', 'session');
    const session = await MonitoredSession.create({ graph: model() });
    await refuses(() => session.runStepFn(undefined as never), 'runStepFn', 'stepFn');
    await refuses(() => withSession(session, undefined as never), 'withSession', 'body');
    // withSession closes the session it was handed even when the body is junk.
    await assert.rejects(session.run(new Graph().constant(1)), /already closed/);
  });

  it('RandomGenerator: new with junk, and state/uniform with junk', async () => {
    await refuses(() => new RandomGenerator(-0 as never, Symbol.iterator as never, 1), 'RandomGenerator', 'graph');
    await refuses(() => new RandomGenerator(new Graph(), Symbol.iterator as never, 1), 'RandomGenerator', 'name');
    const generator = randomGenerator(new Graph(), { seed: 1 });
    await refuses(() => generator.state(undefined as never), 'randomGenerator.state', 'session');
    await refuses(() => generator.uniform(1 as never), 'randomGenerator.uniform', 'name');
  });

  it('a worker on the private target fails at once instead of waiting 2 h for a chief that cannot exist', async () => {
    await assert.rejects(
      monitoredTrainingSession({ graph: model(), isChief: false }),
      (e) =>
        e instanceof UsageValueError && (e as { option: string }).option === 'master' && /not ready/.test(e.message),
    );
    const graph = model();
    const manager = new SessionManager({ graph, readyOp: graph.reportUninitializedVariables() });
    await refuses(() => manager.waitForSession(), 'SessionManager.waitForSession', 'master');
  });

  it('values that throw when inspected: isRecoverable, startQueueRunners, withSession', async () => {
    assert.equal(isRecoverable(revoked()), false);
    await refuses(() => startQueueRunners(revoked()), 'startQueueRunners', 'session');
    await refuses(() => withSession(revoked() as never, () => 1), 'withSession', 'session');
  });

  it('Coordinator: requestStop with a revoked proxy records it; registerThread refuses junk', async () => {
    const coord = new Coordinator();
    coord.requestStop(revoked());
    assert.equal(coord.shouldStop(), true);
    await refuses(() => coord.registerThread(revoked() as never), 'Coordinator.registerThread', 'task');
  });
});
