/**
 * The inspector's HTTP server: 127.0.0.1 only, a random port, and an unguessable token as the
 * first path segment. Anything else gets an empty 403 or 404: a wrong Host (DNS rebinding), an
 * Origin or `Sec-Fetch-Site` from another origin, a wrong or missing token. No CORS headers.
 * Records stream to pages over SSE (`events`) and in Stately's format over WebSocket (`stately`).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import { loadAssets } from './assets.ts';
import type { InspectorMeta, InspectorRecord } from './record.ts';
import { RingBuffer } from './RingBuffer.ts';
import { toStately } from './stately.ts';
import { Summary } from './Summary.ts';
import { acceptWebSocket, type WebSocketPeer } from './websocket.ts';

/** Options of {@link InspectorServer}. */
export interface InspectorServerOptions {
  /** 0 for a random free port. */
  port: number;
  /** Records kept for pages that connect later. */
  bufferSize: number;
  /** Stately's definition of the root machine (JSON). */
  definition: string;
  /** A recording to serve for replay (the page loads it at once). */
  recording?: Buffer;
  /** Keep the process alive while the server runs. @default false */
  keepAlive?: boolean;
}

const MAX_CLIENTS = 16;
/** Past this many unsent bytes an SSE client is too slow: it is dropped and reconnects with a fresh hello. */
const MAX_BACKLOG = 4 * 1024 * 1024;

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export class InspectorServer {
  readonly token = nanoid(32);
  readonly #meta: InspectorMeta;
  readonly #options: InspectorServerOptions;
  readonly #buffer: RingBuffer<InspectorRecord>;
  readonly #summary = new Summary();
  readonly #sse = new Set<ServerResponse>();
  readonly #ws = new Set<WebSocketPeer>();
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  constructor(meta: InspectorMeta, options: InspectorServerOptions) {
    this.#meta = meta;
    this.#options = options;
    this.#buffer = new RingBuffer(options.bufferSize);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.#upgrade(req, socket));
    this.#server.on('connection', (socket: Socket) => {
      if (!options.keepAlive) socket.unref();
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts listening on 127.0.0.1; resolves the page's URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, '127.0.0.1', () => resolve());
    });
    if (!this.#options.keepAlive) this.#server.unref();
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : 0;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/${this.token}/`;
  }

  /** Buffers a batch and streams it to every page and Stately client. */
  publish(records: readonly InspectorRecord[]): void {
    for (const r of records) {
      this.#buffer.push(r);
      this.#summary.apply(r);
    }
    if (this.#sse.size > 0) {
      const chunk = `data: ${JSON.stringify(records)}\n\n`;
      for (const res of this.#sse) {
        if (res.writableLength > MAX_BACKLOG) res.destroy();
        else res.write(chunk);
      }
    }
    if (this.#ws.size > 0) {
      for (const r of records) {
        const message = toStately(r, this.#options.definition);
        if (message === undefined) continue;
        const text = JSON.stringify(message);
        for (const peer of this.#ws) peer.send(text);
      }
    }
  }

  /** Ends every stream and stops listening. */
  async close(): Promise<void> {
    // Let the pages get the last records (bounded), then drop whatever is left.
    const ended = [...this.#sse].map((res) => new Promise<void>((resolve) => res.end(resolve)));
    for (const peer of this.#ws) peer.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(ended), new Promise<void>((resolve) => (timer = setTimeout(resolve, 500)))]);
    clearTimeout(timer);
    // Upgraded and half-closed sockets too: the server's close waits for every one of them.
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Status 0 (and the path after the token) when the request may go on; else the status to refuse it with. */
  #refusal(req: IncomingMessage): { status: number; rest?: string } {
    const port = this.#port;
    const host = req.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return { status: 403 };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`)
      return { status: 403 };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403 };
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 404 };
    const url = req.url ?? '';
    const [, first = '', ...rest] = url.split('?')[0]!.split('/');
    const given = Buffer.from(first);
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || rest.length === 0)
      return { status: 404 };
    return { status: 0, rest: rest.join('/') };
  }

  #refuse(res: ServerResponse, status: number): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Length': '0', Connection: 'close' });
    res.end();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const { status, rest } = this.#refusal(req);
    if (status !== 0) return this.#refuse(res, status);
    if (rest === 'events') return this.#events(res);
    if (rest === 'recording.jsonl' && this.#options.recording !== undefined) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/x-ndjson' });
      res.end(this.#options.recording);
      return;
    }
    const asset = loadAssets().get(rest!);
    if (asset === undefined) return this.#refuse(res, 404);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': asset.type,
      'Content-Length': String(asset.body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  #events(res: ServerResponse): void {
    if (this.#sse.size >= MAX_CLIENTS) return this.#refuse(res, 503);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    const hello = {
      meta: this.#meta,
      replay: this.#options.recording !== undefined,
      dropped: this.#buffer.dropped,
      summary: this.#summary.data(),
      records: this.#buffer.toArray(),
    };
    res.write(`event: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    this.#sse.add(res);
    res.on('close', () => this.#sse.delete(res));
  }

  #upgrade(req: IncomingMessage, socket: Duplex): void {
    const { status, rest } = this.#refusal(req);
    if (status !== 0 || rest !== 'stately' || this.#ws.size >= MAX_CLIENTS) {
      socket.end(
        `HTTP/1.1 ${status === 403 ? '403 Forbidden' : '404 Not Found'}\r\n` +
          'Content-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    const peer = acceptWebSocket(req, socket, () => this.#ws.delete(peer!));
    if (peer === undefined) return;
    this.#ws.add(peer);
    // A late Stately client first gets what is still buffered.
    for (const r of this.#buffer.toArray()) {
      const message = toStately(r, this.#options.definition);
      if (message !== undefined) peer.send(JSON.stringify(message));
    }
  }
}
