import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Graph,
  OutOfRangeError,
  Saver,
  Session,
  getOrCreateGlobalStep,
  monitoredTrainingSession,
} from '../../src/index.ts';
import { closeRedisConnections, markJobDone } from '../../src/redis/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

let server: RedisServer;
let dir: string;
let jobs = 0;
before(async () => {
  server = await startRedisServer();
  dir = mkdtempSync(path.join(tmpdir(), 'ms-cw-'));
});
after(async () => {
  await closeRedisConnections();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function model() {
  const g = new Graph();
  const step = getOrCreateGlobalStep(g);
  const w = g.variable(() => Float32Array.of(1, 2, 3), { name: 'w' });
  return { g, step, w, inc: g.assignAdd(step, 1) };
}

describe('chief and worker sessions on Redis', () => {
  it(
    'a waiting worker starts as soon as the chief is ready, not after recoveryWaitSecs (30 s)',
    { timeout: 20_000 },
    async () => {
      const master = server.target(`cw${++jobs}`);
      const worker = model();
      const workerStarted = (async () => {
        const sess = await monitoredTrainingSession({ graph: worker.g, master, isChief: false, recoveryWaitSecs: 30 });
        return { sess, at: Date.now() };
      })();
      await new Promise((r) => setTimeout(r, 300));
      const chief = model();
      const chiefSess = await monitoredTrainingSession({
        graph: chief.g,
        master,
        isChief: true,
        logStepCountSteps: null,
        saveSummariesSteps: null,
      });
      const readyAt = Date.now();
      const { sess, at } = await workerStarted;
      assert.ok(at - readyAt < 3000, `the worker started ${at - readyAt} ms after the chief was ready`);
      await chiefSess.run(chief.inc);
      await sess.run(worker.inc);
      assert.equal(await chiefSess.run(chief.step), 2);
      assert.deepEqual(await sess.run(worker.w), Float32Array.of(1, 2, 3));
      await sess.close();
      await chiefSess.close();
    },
  );

  it(
    'a worker that comes to a finished job ends with OutOfRangeError instead of waiting',
    { timeout: 20_000 },
    async () => {
      const master = server.target(`cw${++jobs}`);
      const chief = model();
      const chiefSess = await monitoredTrainingSession({
        graph: chief.g,
        master,
        isChief: true,
        logStepCountSteps: null,
        saveSummariesSteps: null,
      });
      await chiefSess.close();
      await markJobDone(master, 0);
      const worker = model();
      const started = Date.now();
      await rejectsWith(
        monitoredTrainingSession({ graph: worker.g, master, isChief: false, maxWaitSecs: 60 }),
        OutOfRangeError,
        'is complete',
      );
      assert.ok(Date.now() - started < 3000);
    },
  );

  it(
    'the chief restores from its checkpoint into a new run generation, in one round trip',
    { timeout: 20_000 },
    async () => {
      const master = server.target(`cw${++jobs}`);
      const ckpt = path.join(dir, `job${jobs}`);
      const first = model();
      const a = await monitoredTrainingSession({
        graph: first.g,
        master,
        isChief: true,
        checkpointDir: ckpt,
        logStepCountSteps: null,
        saveSummariesSteps: null,
      });
      for (let i = 0; i < 5; i++) await a.run(first.inc);
      await a.close(); // the final checkpoint, at step 5
      const second = model();
      const b = await monitoredTrainingSession({
        graph: second.g,
        master,
        isChief: true,
        checkpointDir: ckpt,
        logStepCountSteps: null,
        saveSummariesSteps: null,
      });
      assert.equal(await b.run(second.step), 5);
      await b.close();
      // Saver.restore issues its writes together (one pipelined round trip).
      const third = model();
      const sess = new Session(third.g, { target: `${master}&epoch=new` });
      const saver = new Saver();
      const { latestCheckpoint } = await import('../../src/checkpoint/state.ts');
      const prefix = (await latestCheckpoint(ckpt))!;
      await sess.run(third.step.initializer); // binds the session (starts its generation)
      let inFlight = 0;
      let maxInFlight = 0;
      const store = sess.store;
      const write = store.writeVariable.bind(store);
      store.writeVariable = (name: string, value: unknown) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return Promise.resolve(write(name, value)).finally(() => inFlight--);
      };
      await saver.restore(sess, prefix);
      assert.equal(maxInFlight, third.g.globalVariables().length, 'the restore did not send its writes together');
      assert.equal(await sess.run(third.step), 5);
      await sess.close();
    },
  );
});
