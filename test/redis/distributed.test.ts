import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { Saver, readCheckpoint } from '../../src/checkpoint/Saver.ts';
import { latestCheckpoint } from '../../src/checkpoint/state.ts';
import { buildIrisModel } from '../../src/cli/iris.ts';
import { Session } from '../../src/index.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const LAST_STEP = 6000;
const TASK_TIMEOUT_MS = 90_000;

interface Task {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly result: Promise<{ code: number | null; signal: string | null; report: any; stderr: string }>;
}

let server: RedisServer;
const dirs: string[] = [];
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spawnTask(name: string, master: string, role: string[], checkpointDir: string, steps = LAST_STEP): Task {
  const args = [
    '--import',
    'tsx',
    MAIN,
    'train',
    '--master',
    master,
    ...role,
    '--steps',
    String(steps),
    '--checkpoint-dir',
    checkpointDir,
    '--save-checkpoint-steps',
    '200',
    '--json',
  ];
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MONITORED_SESSION_LOG: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  // Nothing may hang: a task that outlives its bound is killed and the test fails on its code.
  const timer = setTimeout(() => proc.kill('SIGKILL'), TASK_TIMEOUT_MS);
  const result = new Promise<{ code: number | null; signal: string | null; report: any; stderr: string }>((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      let report: unknown;
      try {
        report = JSON.parse(stdout);
      } catch {
        report = undefined;
      }
      resolve({ code, signal, report, stderr });
    });
  });
  return { name, proc, result };
}

/** The job's global step as stored in Redis now (or -1 when there is none). */
async function globalStep(job: string): Promise<number> {
  const client = createClient({ url: `redis://127.0.0.1:${server.port}/0` });
  client.on('error', () => {});
  try {
    await client.connect();
    const epoch = await client.get(`ms:${job}:epoch`);
    if (epoch === null) return -1;
    const raw = await client.get(`ms:${job}:${epoch}:v:global_step`);
    return raw === null ? -1 : Number(raw);
  } catch {
    return -1;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

async function waitForStep(job: string, step: number, tasks: Task[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await globalStep(job)) < step) {
    for (const t of tasks) assert.equal(t.proc.exitCode, null, `${t.name} exited before step ${step}`);
    assert.ok(Date.now() < deadline, `the job did not reach step ${step} within 60 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Clients connected to the server now, other than the one asking. */
async function otherClients(): Promise<number> {
  const client = createClient({ url: `redis://127.0.0.1:${server.port}/0` });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.clientList()).length - 1;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

function job(): { name: string; master: string; dir: string } {
  const name = `iris${process.pid}x${Math.floor(Math.random() * 1e9)}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-dist-'));
  dirs.push(dir);
  return { name, master: server.target(name), dir };
}

function startJob(j: { master: string; dir: string }, steps = LAST_STEP): Task[] {
  return [
    spawnTask('chief', j.master, ['--chief'], j.dir, steps),
    spawnTask('worker 1', j.master, ['--worker', '1'], path.join(j.dir, 'w1'), steps),
    spawnTask('worker 2', j.master, ['--task-index', '2'], path.join(j.dir, 'w2'), steps),
  ];
}

async function expectFinished(task: Task, lastStep = LAST_STEP): Promise<any> {
  const { code, signal, report, stderr } = await task.result;
  assert.equal(code, 0, `${task.name} exited with ${code ?? signal}: ${stderr.slice(-2000)}`);
  assert.equal(report.status, 'completed', `${task.name}: ${JSON.stringify(report)}`);
  assert.ok(report.finalStep >= lastStep, `${task.name} ended at ${report.finalStep}`);
  return report;
}

/** The final checkpoint restores into a fresh session, at the last step. */
async function expectFinalCheckpoint(dir: string, lastStep = LAST_STEP): Promise<void> {
  const latest = await latestCheckpoint(dir);
  assert.ok(latest !== undefined, 'no checkpoint was written');
  const { variables } = await readCheckpoint(latest);
  assert.ok(
    (variables['global_step'] as number) >= lastStep,
    `final checkpoint at ${String(variables['global_step'])}`,
  );
  const model = buildIrisModel({ seed: 1, faultRate: 0 });
  const sess = new Session(model.graph);
  await new Saver().restore(sess, latest);
  assert.ok((await sess.run(model.step)) >= lastStep);
  assert.ok((await sess.run(model.accuracy)) > 0.8);
  await sess.close();
}

describe('distributed Iris on Redis: chief and two workers as processes', { timeout: 150_000 }, () => {
  it('survives kill -9 of redis-server mid-run: all recover, the chief restores, the job finishes', async () => {
    const j = job();
    const tasks = startJob(j);
    await waitForStep(j.name, 1200, tasks);
    await server.kill9();
    await new Promise((r) => setTimeout(r, 300));
    await server.restart();
    const [chief, ...workers] = await Promise.all(tasks.map(expectFinished));
    // The chief restored from its last checkpoint (a step > 0) after the restart.
    assert.ok(
      chief.restoredSteps.length >= 2 && chief.restoredSteps.at(-1) > 0,
      `chief sessions: ${JSON.stringify(chief.restoredSteps)}`,
    );
    for (const w of workers) assert.ok(w.recoveries >= 1, `a worker did not recover: ${JSON.stringify(w)}`);
    await expectFinalCheckpoint(j.dir);
  });

  it('kill -9 of a worker does not disturb the others', async () => {
    const j = job();
    const tasks = startJob(j);
    await waitForStep(j.name, 1200, tasks);
    tasks[1]!.proc.kill('SIGKILL');
    assert.equal((await tasks[1]!.result).signal, 'SIGKILL');
    const chief = await expectFinished(tasks[0]!);
    const worker = await expectFinished(tasks[2]!);
    assert.equal(chief.recoveries, 0);
    // A worker's report: where the job was when it joined, and no summary directory of its own.
    assert.equal(worker.startStep, worker.restoredSteps[0]);
    assert.equal(worker.summaryDir, null);
    assert.equal(chief.summaryDir, j.dir);
    await expectFinalCheckpoint(j.dir);
  });

  it('kill -9 of the chief and a restart: workers get AbortedError, wait, and resume', async () => {
    // Longer, so that the workers are still training when the new chief starts a new generation.
    const lastStep = 12_000;
    const j = job();
    const tasks = startJob(j, lastStep);
    await waitForStep(j.name, 800, tasks);
    tasks[0]!.proc.kill('SIGKILL');
    await tasks[0]!.result;
    const restarted = spawnTask('restarted chief', j.master, ['--chief'], j.dir, lastStep);
    const chief = await expectFinished(restarted, lastStep);
    assert.ok(chief.restoredSteps[0] > 0, `the new chief did not restore: ${JSON.stringify(chief.restoredSteps)}`);
    for (const t of tasks.slice(1)) {
      const { stderr } = await t.result;
      const report = await expectFinished(t, lastStep);
      assert.ok(report.recoveries >= 1, `${t.name} did not recover: ${JSON.stringify(report)}`);
      assert.match(stderr, /AbortedError|run generation/, `${t.name} saw no AbortedError`);
    }
    await expectFinalCheckpoint(j.dir, lastStep);
  });

  it('a signal to a worker waiting for its chief quits at once; to a training worker, it stops without promising a checkpoint', async () => {
    const j = job();
    const waiting = spawnTask('waiting worker', j.master, ['--worker', '1'], path.join(j.dir, 'w1'));
    // Connected and polling for readiness (there is no chief): no step can run here.
    while ((await otherClients()) < 1) {
      assert.equal(waiting.proc.exitCode, null, 'the worker exited before its chief came');
      await new Promise((r) => setTimeout(r, 25));
    }
    waiting.proc.kill('SIGTERM');
    const quit = await waiting.result;
    assert.equal(quit.code, 143, `exited with ${quit.code ?? quit.signal}: ${quit.stderr.slice(-2000)}`);
    assert.match(quit.stderr, /Terminated \(SIGTERM\) before the first step: nothing to save/);

    const tasks = [
      spawnTask('chief', j.master, ['--chief'], j.dir),
      spawnTask('worker 2', j.master, ['--worker', '2'], path.join(j.dir, 'w2')),
    ];
    await waitForStep(j.name, 500, tasks);
    tasks[1]!.proc.kill('SIGTERM');
    const stopped = await tasks[1]!.result;
    assert.equal(stopped.code, 143, `exited with ${stopped.code ?? stopped.signal}: ${stopped.stderr.slice(-2000)}`);
    assert.equal(stopped.report.status, 'interrupted');
    assert.match(stopped.stderr, /Terminated \(SIGTERM\): stopping at the next step \(a second signal/);
    await expectFinished(tasks[0]!);
  });

  it('SIGTERM while a step waits for a lost server quits within --stop-grace-secs, the latest checkpoint intact', async () => {
    const j = job();
    const chief = spawnTask('chief', j.master, ['--chief', '--stop-grace-secs', '1'], j.dir);
    try {
      await waitForStep(j.name, 500, [chief]);
      await server.kill9(); // and not back: the step cannot finish, nor a final checkpoint be saved
      chief.proc.kill('SIGTERM');
      const { code, signal, stderr } = await chief.result;
      assert.equal(code, 143, `exited with ${code ?? signal}: ${stderr.slice(-2000)}`);
      assert.match(stderr, /stopping did not finish within --stop-grace-secs 1 .* exiting without a final checkpoint/);
      const latest = await latestCheckpoint(j.dir);
      assert.ok(latest !== undefined, 'no checkpoint on disk');
      await readCheckpoint(latest); // intact: verifies
    } finally {
      await server.restart();
    }
  });
});
