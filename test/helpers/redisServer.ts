import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A `redis-server` of a test: loopback only, a free port, no persistence, stopped by PID. */
export interface RedisServer {
  readonly port: number;
  /** The TLS port, when started with `tls`. */
  readonly tlsPort: number | undefined;
  readonly pid: number;
  /** A target for a job on this server: `redis://127.0.0.1:PORT/0?job=NAME`. */
  target(job: string, extra?: string): string;
  /** `kill -9` of the server. */
  kill9(): Promise<void>;
  /** Starts it again on the same port (after {@link kill9}). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Fails plainly when redis-server is missing: these tests must not pass silently. */
export function requireRedisServer(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed: the Redis tests need it. ' +
        'Install it with `apt-get install -y redis-server` (Debian/Ubuntu).',
    );
  }
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(200);
    let reply = '';
    socket.on('connect', () => socket.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (data) => {
      reply += data.toString();
      // With a password the answer is two replies (+OK, then +PONG); an error ends it at once.
      if (!reply.includes('+PONG') && !reply.includes('-')) return;
      socket.destroy();
      resolve(reply.includes('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** What else a test's server has: a password (`requirepass`), a TLS port with these files. */
export interface RedisServerOptions {
  password?: string;
  tls?: { cert: string; key: string; ca: string };
}

/** Starts `redis-server --bind 127.0.0.1 --port <free> --save '' --appendonly no --dir <tmp>`. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireRedisServer();
  const port = await freePort();
  const tlsPort = options.tls === undefined ? undefined : await freePort();
  const extra = [
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.tls === undefined
      ? []
      : ['--tls-port', String(tlsPort), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key]),
    ...(options.tls === undefined ? [] : ['--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no']),
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-redis-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
        ...extra,
      ],
      {
        stdio: 'ignore',
      },
    );
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await ping(port, options.password))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode} on port ${port}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid!, signal);
    await exited;
  };
  await launch();
  return {
    port,
    tlsPort,
    get pid() {
      return child!.pid!;
    },
    target: (job, extra = '') => `redis://127.0.0.1:${port}/0?job=${job}${extra}`,
    kill9: () => kill('SIGKILL'),
    restart: launch,
    stop: async () => {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
