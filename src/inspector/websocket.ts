/**
 * The server side of RFC 6455, as little as the inspector needs: the opening handshake, text
 * frames out (unmasked, as a server sends them), and close/ping handling for frames in (masked,
 * as clients send them). Messages from clients are read and ignored.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Past this many unsent bytes a client is too slow and is dropped. */
const MAX_BACKLOG = 4 * 1024 * 1024;

/** One accepted WebSocket connection. */
export interface WebSocketPeer {
  send(text: string): void;
  close(): void;
  readonly closed: boolean;
}

/** A frame: FIN, opcode, payload length (7, 16 or 64 bits), masked with `mask` when given (clients must mask). */
export function encodeFrame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  if (mask === undefined) return Buffer.concat([head, payload]);
  head[1] = head[1]! | 0x80;
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, masked]);
}

/** Completes the handshake on `socket`, or returns undefined (and destroys it) for a bad request. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  onClose: () => void,
  onText?: (text: string) => void,
): WebSocketPeer | undefined {
  const key = req.headers['sec-websocket-key'];
  if (
    typeof key !== 'string' ||
    req.headers['sec-websocket-version'] !== '13' ||
    !/websocket/i.test(req.headers.upgrade ?? '')
  ) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let closed = false;
  let buffered = Buffer.alloc(0);
  const peer: WebSocketPeer = {
    get closed() {
      return closed;
    },
    send(text) {
      if (closed) return;
      if (((socket as { writableLength?: number }).writableLength ?? 0) > MAX_BACKLOG) return peer.close();
      socket.write(encodeFrame(0x1, Buffer.from(text, 'utf8')));
    },
    close() {
      if (closed) return;
      closed = true;
      socket.end(encodeFrame(0x8, Buffer.from([0x03, 0xe8])));
      onClose();
    },
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0]! & 0x0f;
      const masked = (buffered[1]! & 0x80) !== 0;
      let len = buffered[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        len = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      if (len > 1024 * 1024) return peer.close();
      const total = offset + (masked ? 4 : 0) + len;
      if (buffered.length < total) return;
      const mask = masked ? buffered.subarray(offset, offset + 4) : undefined;
      const payload = Buffer.from(buffered.subarray(total - len, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
      buffered = buffered.subarray(total);
      if (opcode === 0x8) return peer.close();
      if (opcode === 0x9 && !closed) socket.write(encodeFrame(0xa, payload));
      if (opcode === 0x1) onText?.(payload.toString('utf8'));
    }
  });
  socket.on('close', () => {
    closed = true;
    onClose();
  });
  socket.on('error', () => socket.destroy());
  return peer;
}
