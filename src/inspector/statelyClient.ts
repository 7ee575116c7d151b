/**
 * Pushes the inspector's records, in @statelyai/inspect's format, to a Stately inspector server
 * (`createInspectorServer()` of `@statelyai/inspect/server`, `ws://localhost:8080` by default),
 * as its own `createWebSocketInspector` would: Stately's page then shows the session too.
 * A minimal RFC 6455 client: handshake, masked text frames out; messages in are ignored.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../logger.ts';
import type { InspectorRecord } from './record.ts';
import { toStately } from './stately.ts';
import { encodeFrame } from './websocket.ts';

/** Messages kept while connecting (Stately's own adapter keeps a bounded deferred queue too). */
const MAX_DEFERRED = 1000;

/** Connects to `url` (ws://host:port/path); returns the record sink and its closer. */
export function statelyClient(
  url: string,
  definition: string,
): { send(records: readonly InspectorRecord[]): void; close(): void } {
  const target = new URL(url);
  let socket: Socket | undefined;
  let closed = false;
  const deferred: string[] = [];
  const write = (text: string): void => {
    socket?.write(encodeFrame(0x1, Buffer.from(text, 'utf8'), randomBytes(4)));
  };
  const req = request({
    host: target.hostname,
    port: target.port || 80,
    path: `${target.pathname}${target.search}`,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    },
  });
  req.on('upgrade', (_res, s: Socket) => {
    if (closed) return void s.destroy();
    socket = s;
    s.unref();
    s.on('data', () => {});
    s.on('error', () => s.destroy());
    for (const text of deferred.splice(0)) write(text);
  });
  req.on('response', (res) => {
    logger.warn(`liveInspector: the Stately inspector at ${url} answered ${res.statusCode}; not sending to it.`);
    res.resume();
  });
  req.on('error', (error) =>
    logger.warn(`liveInspector: cannot reach the Stately inspector at ${url}: ${error.message}`),
  );
  req.on('socket', (s) => s.unref());
  req.end();
  return {
    send(records) {
      for (const r of records) {
        const message = toStately(r, definition);
        if (message === undefined) continue;
        const text = JSON.stringify(message);
        if (socket !== undefined) write(text);
        else if (deferred.push(text) > MAX_DEFERRED) deferred.shift();
      }
    },
    close() {
      closed = true;
      if (socket !== undefined) socket.end(encodeFrame(0x8, Buffer.from([0x03, 0xe8]), randomBytes(4)));
      else req.destroy();
    },
  };
}
