// A password, an ACL user and TLS against a real redis-server: the right credentials train, the
// wrong ones are refused at once with their own error (not "unreachable", which the session
// would retry forever).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { Graph, PermissionDeniedError, Session, UnauthenticatedError, getOrCreateGlobalStep } from '../../src/index.ts';
import { closeRedisConnections } from '../../src/redis/index.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

const run = promisify(execFile);
const fixtures = new URL('./fixtures/tls/', import.meta.url).pathname;
const tls = { cert: `${fixtures}server.crt`, key: `${fixtures}server.key`, ca: `${fixtures}ca.crt` };
const PASSWORD = 's3cret-for-tests';

let server: RedisServer;
before(async () => {
  server = await startRedisServer({ password: PASSWORD, tls });
  const admin = createClient({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}/0` });
  await admin.connect();
  // alice may do everything on the job's keys; bob may touch no key of it.
  await admin.sendCommand(['ACL', 'SETUSER', 'alice', 'on', '>alice-pw', '~ms:*', '+@all']);
  await admin.sendCommand(['ACL', 'SETUSER', 'bob', 'on', '>bob-pw', '~other:*', '+@all']);
  admin.destroy();
});
after(async () => {
  await closeRedisConnections();
  await server.stop();
});

let jobs = 0;
/** One step on `target` in a session of its own: the global step it reached. */
async function oneStep(target: string): Promise<number> {
  const g = new Graph();
  const step = getOrCreateGlobalStep(g);
  const inc = g.assignAdd(step, 1);
  const sess = new Session(g, { target: `${target}/0?job=auth${process.pid}x${jobs++}&epoch=new` });
  try {
    await sess.store.startEpoch!();
    await sess.run(g.globalVariablesInitializer());
    return (await sess.run(inc)) as number;
  } finally {
    await sess.close();
  }
}

describe('Redis credentials and TLS', () => {
  it('the password in the URL (default user, and an ACL user) trains', async () => {
    assert.equal(await oneStep(`redis://:${PASSWORD}@127.0.0.1:${server.port}`), 1);
    assert.equal(await oneStep(`redis://alice:alice-pw@127.0.0.1:${server.port}`), 1);
  });

  it('a wrong or missing password is UnauthenticatedError, not an unreachable server', async () => {
    await rejectsWith(oneStep(`redis://:wrong@127.0.0.1:${server.port}`), UnauthenticatedError, /WRONGPASS/);
    await rejectsWith(oneStep(`redis://alice:wrong@127.0.0.1:${server.port}`), UnauthenticatedError, /WRONGPASS/);
    await rejectsWith(oneStep(`redis://127.0.0.1:${server.port}`), UnauthenticatedError, /NOAUTH/);
  });

  it("an ACL user without access to the job's keys is PermissionDeniedError", async () => {
    await rejectsWith(oneStep(`redis://bob:bob-pw@127.0.0.1:${server.port}`), PermissionDeniedError, /NOPERM/);
  });

  it('rediss:// with the CA trusted (NODE_EXTRA_CA_CERTS) trains; without it, UnauthenticatedError names the certificate', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-tls-'));
    const script = path.join(dir, 'tls.mts');
    const src = (file: string): string => JSON.stringify(new URL(`../../src/${file}`, import.meta.url).pathname);
    await writeFile(
      script,
      `import ${src('redis/index.ts')};
import { closeRedisConnections } from ${src('redis/index.ts')};
import { Graph, Session, getOrCreateGlobalStep } from ${src('index.ts')};
const g = new Graph();
const inc = g.assignAdd(getOrCreateGlobalStep(g), 1);
const sess = new Session(g, { target: process.argv[2] });
try {
  await sess.store.startEpoch();
  await sess.run(g.globalVariablesInitializer());
  process.stdout.write(JSON.stringify({ step: await sess.run(inc) }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error.name, message: error.message }));
} finally {
  await sess.close();
  await closeRedisConnections();
}
`,
    );
    const target = `rediss://:${PASSWORD}@127.0.0.1:${server.tlsPort}/0?job=tls${process.pid}&epoch=new`;
    const child = async (env: NodeJS.ProcessEnv): Promise<{ step?: number; error?: string; message?: string }> => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, target], { env, timeout: 30_000 });
      return JSON.parse(stdout) as { step?: number; error?: string; message?: string };
    };
    assert.deepEqual(await child({ ...process.env, NODE_EXTRA_CA_CERTS: tls.ca }), { step: 1 });
    const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
    const refused = await child(without);
    assert.equal(refused.error, 'UnauthenticatedError', JSON.stringify(refused));
    assert.match(refused.message!, /TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS/);
  });
});
