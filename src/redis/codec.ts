import {
  DTYPES,
  decodeValue,
  encodeValue,
  layoutTensors,
  type AnyTypedArray,
  type DType,
  type TensorEntry,
} from '../checkpoint/encoding.ts';
import { DataLossError } from '../errors.ts';

const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

function dtypeName(value: ArrayBufferView): DType | undefined {
  for (const name of DTYPE_NAMES) if (value.constructor === DTYPES[name]) return name;
  return undefined;
}

/**
 * How a value is stored in Redis, by its first byte:
 * - a number: its decimal text, as is (so `INCRBY` and Lua's atomic add work on it);
 * - `b` + a bigint's decimal text;
 * - `t` + the dtype's index in `DTYPES` + padding to 8 bytes + the raw bytes (a bare typed array);
 * - `j` + a 4-byte header length + the checkpoint codec's JSON (typed arrays as `$t` references
 *   to tensor entries) + padding + the typed arrays' raw bytes, 8-byte aligned, as in a
 *   checkpoint's data file. Every kind the `Saver` handles round-trips.
 * @internal
 */
export function encodeStored(value: unknown, where: string): Buffer {
  if (typeof value === 'number') return Buffer.from(Object.is(value, -0) ? '-0' : String(value));
  if (typeof value === 'bigint') return Buffer.from(`b${value.toString()}`);
  const dtype = ArrayBuffer.isView(value) ? DTYPE_NAMES.indexOf(dtypeName(value)!) : -1;
  if (dtype >= 0) {
    // A bare typed array (the common variable): `t`, its dtype, padding to 8, the raw bytes.
    const t = value as ArrayBufferView;
    const out = Buffer.allocUnsafe(8 + t.byteLength);
    out.fill(0, 0, 8);
    out[0] = 0x74; // 't'
    out[1] = dtype;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), 8);
    return out;
  }
  const tensors: ArrayBufferView[] = [];
  const encoded = encodeValue(value, tensors, where);
  const { entries, totalBytes } = layoutTensors(tensors);
  const header = Buffer.from(JSON.stringify(tensors.length === 0 ? { v: encoded } : { v: encoded, t: entries }));
  const start = Math.ceil((5 + header.length) / 8) * 8;
  const out = Buffer.alloc(start + totalBytes);
  out[0] = 0x6a; // 'j'
  out.writeUInt32LE(header.length, 1);
  header.copy(out, 5);
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), start + entries[i]!.offset);
  }
  return out;
}

/** Decodes what {@link encodeStored} made; the typed arrays get their own memory. @internal */
export function decodeStored(raw: Buffer, where: string): unknown {
  const tag = raw[0];
  if (tag === 0x62) return BigInt(raw.toString('latin1', 1));
  if (tag === 0x74 && raw.length >= 8 && raw[1]! < DTYPE_NAMES.length) {
    const Ctor = DTYPES[DTYPE_NAMES[raw[1]!]!];
    const buffer = new ArrayBuffer(raw.length - 8);
    new Uint8Array(buffer).set(raw.subarray(8));
    return new Ctor(buffer);
  }
  if (tag !== 0x6a) return Number(raw.toString('latin1'));
  if (raw.length < 5) throw new DataLossError(`${where}: the stored value is not in a known format`);
  const headerLength = raw.readUInt32LE(1);
  const header = JSON.parse(raw.toString('utf8', 5, 5 + headerLength)) as { v: unknown; t?: TensorEntry[] };
  const start = Math.ceil((5 + headerLength) / 8) * 8;
  const tensors = (header.t ?? []).map((e) => {
    const Ctor = DTYPES[e.dtype];
    const bytes = raw.subarray(start + e.offset, start + e.offset + e.byteLength);
    // A copy into fresh memory: aligned for the view, and not shared with the reply buffer.
    const buffer = new ArrayBuffer(e.byteLength);
    new Uint8Array(buffer).set(bytes);
    return new Ctor(buffer, 0, e.length) as AnyTypedArray;
  });
  return decodeValue(header.v, tensors);
}
