/**
 * The inspector's server: only the token's URL on 127.0.0.1 answers, and nothing leaks to
 * another Host, Origin or site; records carry readable names and error messages; the same
 * stream speaks @statelyai/inspect's WebSocket protocol (checked with a minimal client here).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AbortedError, MonitoredSession, withSession, type Hook } from '../../src/index.ts';
import { liveInspector, type InspectorRecord, type LiveInspector } from '../../src/inspector/index.ts';
import { acceptWebSocket } from '../../src/inspector/websocket.ts';
import { gstepGraph } from '../helpers/tf.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        const done = (): void => resolve({ status: res.statusCode!, headers: res.headers, body });
        // An SSE stream never ends: take its first chunk.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.once('data', (chunk: string) => {
            body = chunk;
            res.destroy();
            done();
          });
          return;
        }
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens the Stately WebSocket with a handshake written by hand and collects text frames. */
function statelyMessages(port: number, path: string, count: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const out: Record<string, unknown>[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(head));
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
      }
      while (buffer.length >= 2) {
        let len = buffer[1]! & 0x7f;
        let offset = 2;
        if (len === 126) [len, offset] = [buffer.readUInt16BE(2), 4];
        else if (len === 127) [len, offset] = [Number(buffer.readBigUInt64BE(2)), 10];
        if (buffer.length < offset + len) return;
        assert.equal(buffer[1]! & 0x80, 0, 'a server never masks its frames');
        if ((buffer[0]! & 0x0f) === 1)
          out.push(JSON.parse(buffer.subarray(offset, offset + len).toString()) as Record<string, unknown>);
        buffer = buffer.subarray(offset + len);
        if (out.length >= count) {
          socket.destroy();
          return resolve(out);
        }
      }
    });
    socket.on('error', reject);
  });
}

describe('liveInspector server', () => {
  let inspector: LiveInspector;
  let port: number;
  let token: string;

  before(async () => {
    inspector = liveInspector({ print: false, sampleEveryMs: 0 });
    const url = new URL(await inspector.ready);
    port = Number(url.port);
    token = url.pathname.split('/')[1]!;
    const { graph, doStep } = gstepGraph();
    let failed = false;
    const flaky: Hook = {
      afterRun() {
        if (!failed) {
          failed = true;
          throw new AbortedError('the parameter server went away');
        }
      },
    };
    await withSession(
      MonitoredSession.create({ graph, inspect: inspector, hooks: [flaky], recovery: { backoff: { initialMs: 0 } } }),
      async (s) => {
        for (let i = 0; i < 3; i++) await s.run(doStep);
      },
    );
    await new Promise((r) => setImmediate(r));
  });
  after(() => inspector.close());

  it('listens on 127.0.0.1 with a long random token in the URL', () => {
    assert.match(inspector.url, /^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\/$/);
  });

  it('serves the page and its script from the package under the token', async () => {
    const page = await get(port, `/${token}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="dagre.js"><\/script>/);
    const dagre = await get(port, `/${token}/dagre.js`);
    assert.equal(dagre.status, 200);
    assert.match(dagre.body, /graphlib/);
  });

  const refused: [string, (t: string, p: number) => [string, Record<string, string>, string?], number][] = [
    ['no token', () => ['/', {}], 404],
    ['no token, an asset path', () => ['/app.js', {}], 404],
    ['a wrong token', () => [`/${'x'.repeat(32)}/`, {}], 404],
    ['a token one character short', (t) => [`/${t.slice(1)}/`, {}], 404],
    ['another Host (DNS rebinding)', (t, p) => [`/${t}/`, { host: `evil.example:${p}` }], 403],
    ['localhost on another port', (t, p) => [`/${t}/`, { host: `localhost:${p + 1}` }], 403],
    ['a page of another origin', (t, p) => [`/${t}/events`, { origin: `http://127.0.0.1:${p + 1}` }], 403],
    ['a cross-site fetch', (t) => [`/${t}/`, { 'sec-fetch-site': 'cross-site' }], 403],
    ['a same-site page on another port', (t) => [`/${t}/events`, { 'sec-fetch-site': 'same-site' }], 403],
    ['a POST', (t) => [`/${t}/`, {}, 'POST'], 404],
  ];
  for (const [name, make, status] of refused) {
    it(`gives ${name} an empty ${status}`, async () => {
      const [path, headers, method] = make(token, port);
      const reply = await get(port, path, headers, method);
      assert.equal(reply.status, status);
      assert.equal(reply.body, '');
      assert.equal(
        Object.keys(reply.headers).filter((h) => h.startsWith('access-control')).length,
        0,
        'no CORS header',
      );
    });
  }

  it('sends no CORS header on a good request either, and forbids framing', async () => {
    const reply = await get(port, `/${token}/`, { origin: `http://127.0.0.1:${port}` });
    assert.equal(reply.status, 200);
    assert.deepEqual(
      Object.keys(reply.headers).filter((h) => h.startsWith('access-control')),
      [],
    );
    assert.match(String(reply.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
  });

  it('streams a hello with the chart and records with readable names and error messages', async () => {
    const reply = await get(port, `/${token}/events`);
    assert.match(reply.body, /^event: hello\n/);
    // The hello may be split over chunks: read it whole from a second connection if needed.
    const hello = JSON.parse(reply.body.slice(reply.body.indexOf('data: ') + 6).split('\n\n')[0]!) as {
      meta: { chart: { nodes: { id: string }[] } };
      records: InspectorRecord[];
    };
    assert.ok(hello.meta.chart.nodes.some((n) => n.id === 'recovering.backingOff'));
    const records = hello.records;
    const text = JSON.stringify(records);
    assert.doesNotMatch(text, /\d\.monitoredSession\./, 'no anonymous invoke ids');
    const names = new Set(records.map((r) => r.actor));
    for (const name of ['monitoredSession', 'createSession', 'startCoordinator', 'closeSession', 'hook 0', 'inspector'])
      assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
    const recovery = records.find((r) => r.recovery !== undefined)?.recovery;
    assert.deepEqual(
      { ...recovery, seq: 0, t: 0 },
      {
        error: 'AbortedError',
        message: 'the parameter server went away',
        source: 'hook',
        attemptNumber: 1,
        delayMs: 0,
        seq: 0,
        t: 0,
      },
    );
    const recover = records.find((r) => r.event?.type === 'RECOVER');
    assert.equal((recover!.event!['error'] as { message: string }).message, 'the parameter server went away');
    assert.ok(
      records.some((r) => r.type === '@xstate.event' && r.event?.type === 'xstate.done.actor.createSession'),
      'done events name the invoked effect',
    );
    const states = records.filter((r) => r.kind === 'root' && r.type === '@xstate.snapshot').map((r) => r.state);
    assert.ok(states.includes('recovering.closingSession') && states.at(-1) === 'closed');
    assert.ok(records.some((r) => r.type === 'end' && r.reason === 'finished'));
  });

  it("speaks @statelyai/inspect's WebSocket protocol", async () => {
    const messages = await statelyMessages(port, `/${token}/stately`, 40);
    for (const m of messages) {
      assert.ok(['@xstate.actor', '@xstate.event', '@xstate.snapshot'].includes(m['type'] as string));
      for (const field of ['sessionId', 'rootId', 'createdAt', 'id', '_version'])
        assert.equal(typeof m[field], 'string', `${field} of ${String(m['type'])}`);
    }
    const root = messages.find((m) => m['type'] === '@xstate.actor' && m['name'] === 'monitoredSession')!;
    assert.equal((JSON.parse(root['definition'] as string) as { id: string }).id, 'monitoredSession');
    const snapshot = messages.find(
      (m) => m['type'] === '@xstate.snapshot' && (m['snapshot'] as { value?: unknown }).value !== undefined,
    )!;
    assert.equal((snapshot['snapshot'] as { status: string }).status, 'active');
    assert.equal(typeof (snapshot['event'] as { type: string }).type, 'string');
    const event = messages.find((m) => m['type'] === '@xstate.event')!;
    assert.equal(typeof (event['event'] as { type: string }).type, 'string');
  });

  it('refuses a WebSocket without the token', async () => {
    await assert.rejects(statelyMessages(port, '/stately', 1), /404/);
  });
});

describe('liveInspector({ stately })', () => {
  it("pushes the session to a Stately inspector server in its message format, as @statelyai/inspect's client does", async () => {
    const received: Record<string, unknown>[] = [];
    let closed: (() => void) | undefined;
    const done = new Promise<void>((resolve) => (closed = resolve));
    const stately = createServer();
    stately.on('upgrade', (req, socket: Duplex) => {
      acceptWebSocket(
        req,
        socket,
        () => {},
        (text) => {
          const message = JSON.parse(text) as Record<string, unknown>;
          received.push(message);
          if ((message['snapshot'] as { value?: unknown } | undefined)?.value === 'closed') closed?.();
        },
      );
    });
    await new Promise<void>((resolve) => stately.listen(0, '127.0.0.1', resolve));
    const inspector = liveInspector({
      print: false,
      sampleEveryMs: 0,
      stately: `ws://127.0.0.1:${(stately.address() as { port: number }).port}/`,
    });
    await inspector.ready;
    const { graph, doStep } = gstepGraph();
    await withSession(MonitoredSession.create({ graph, inspect: inspector }), (s) => s.run(doStep));
    await done;
    await inspector.close();
    stately.close();
    assert.equal(received[0]!['type'], '@xstate.actor');
    assert.equal(received[0]!['name'], 'monitoredSession');
    assert.equal((JSON.parse(received[0]!['definition'] as string) as { initial: string }).initial, 'beginning');
    for (const m of received)
      for (const field of ['sessionId', 'rootId', 'createdAt', 'id', '_version'])
        assert.equal(typeof m[field], 'string');
  });
});
