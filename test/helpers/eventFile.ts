/**
 * An event-file reader that shares no code with the writer: TFRecord framing checked with the
 * `crc-32` package's CRC-32C, records decoded by protobufjs from a hand-written .proto.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import CRC32C from 'crc-32/crc32c.js';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(new URL('../summary/fixtures/tensorboard.proto', import.meta.url).pathname);
const EventType = root.lookupType('tb.Event');

function masked(data: Uint8Array): number {
  const crc = CRC32C.buf(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: {
    value: {
      tag: string;
      simpleValue?: number;
      histo?: { num: number; sum: number; min: number; max: number; bucket: number[]; bucketLimit: number[] };
      tensor?: { dtype: number; tensorContent: Uint8Array };
      metadata?: { pluginData?: { pluginName: string } };
    }[];
  };
  sessionLog?: { status: string; checkpointPath?: string };
}

/** Decodes every record of an event file, checking both CRCs of each. */
export function decodeRecords(bytes: Uint8Array): DecodedEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedEvent[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(bytes.subarray(at, at + 8))) throw new Error(`bad length CRC at ${at}`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== masked(data)) throw new Error(`bad data CRC at ${at}`);
    const message = EventType.decode(data);
    out.push(EventType.toObject(message, { longs: Number, enums: String, defaults: false }) as DecodedEvent);
    at += 12 + length + 4;
  }
  return out;
}

/** Every record of every event file in `dir`, file by file in name order. */
export async function readEventDir(dir: string): Promise<{ file: string; events: DecodedEvent[] }[]> {
  const files = (await readdir(dir)).filter((f) => f.includes('tfevents')).sort();
  return Promise.all(files.map(async (f) => ({ file: f, events: decodeRecords(await readFile(path.join(dir, f))) })));
}
