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
import { uninitialized } from './jobErrors.ts';

const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

type Ctor = (typeof DTYPES)[DType];
type Typed = { set(source: ArrayLike<unknown>): void; length: number };
type AnyCtor = new (...args: unknown[]) => Typed;

/**
 * Whole-buffer typed views of the last buffer written to (the shared pool of small `Buffer`s),
 * by dtype: consecutive small values are copied in at an element offset, not through a new view each. Only buffers up to {@link VIEWED_MAX} are
 * kept (a view keeps its buffer alive).
 */
class Views {
  #buffer: ArrayBufferLike | undefined;
  readonly #views: (AnyTypedArray | undefined)[] = [];

  /** A view of all of `buffer` as `C` (index `dtype`), or `undefined` when `buffer` is too large to keep. */
  of(buffer: ArrayBufferLike, C: Ctor, dtype: number): AnyTypedArray | undefined {
    if (buffer !== this.#buffer) {
      if (buffer.byteLength > VIEWED_MAX) return undefined;
      this.#buffer = buffer;
      this.#views.fill(undefined);
    }
    return (this.#views[dtype] ??= new (C as Ctor & AnyCtor)(
      buffer,
      0,
      Math.floor(buffer.byteLength / C.BYTES_PER_ELEMENT),
    ) as unknown as AnyTypedArray);
  }
}
const VIEWED_MAX = 64 * 1024;
const encodeViews = new Views();

/**
 * Copies `t`'s elements into `out` at byte `at` through a typed view of `out`'s memory, so that
 * `t.buffer` is never touched: that would move a small typed array (kept on the JS heap) into
 * memory of its own, which costs more than the copy and makes garbage collection more frequent.
 */
function copyInto(out: Buffer, at: number, t: ArrayBufferView, dtype = DTYPE_INDEX.get(t.constructor)): void {
  const C = t.constructor as Ctor & AnyCtor;
  const start = out.byteOffset + at;
  if (start % C.BYTES_PER_ELEMENT !== 0) {
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    return;
  }
  const view = dtype === undefined ? undefined : encodeViews.of(out.buffer, C, dtype);
  if (view !== undefined) (view as { set(t: unknown, at: number): void }).set(t, start / C.BYTES_PER_ELEMENT);
  else new C(out.buffer, start, t.byteLength / C.BYTES_PER_ELEMENT).set(t as never);
}

/** Reused for unaligned small values while decoding (decoding is synchronous). */
let scratch = new Uint8Array(1024);
const SCRATCH_MAX = 64 * 1024;

/**
 * A typed array of `length` elements read from `raw` at byte `start`, in memory of its own (a
 * small one stays on the JS heap): a typed view of the bytes, copied into a new array.
 */
function ownCopy(C: Ctor, raw: Buffer, start: number, length: number): AnyTypedArray {
  const bytes = length * C.BYTES_PER_ELEMENT;
  let source: ArrayBufferLike = raw.buffer;
  let at = raw.byteOffset + start;
  if (at % C.BYTES_PER_ELEMENT !== 0) {
    if (bytes > SCRATCH_MAX) {
      const buffer = new ArrayBuffer(bytes);
      new Uint8Array(buffer).set(raw.subarray(start, start + bytes));
      return new C(buffer) as AnyTypedArray;
    }
    if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, 2 * scratch.length));
    scratch.set(raw.subarray(start, start + bytes));
    source = scratch.buffer;
    at = 0;
  }
  const out = new (C as Ctor & AnyCtor)(length);
  out.set(new (C as Ctor & AnyCtor)(source, at, length) as never);
  return out as unknown as AnyTypedArray;
}

/** The index in `DTYPES` of each typed array class. */
const DTYPE_INDEX = new Map<unknown, number>(DTYPE_NAMES.map((name, i) => [DTYPES[name], i]));

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
  const text = storedText(value);
  return text === undefined ? encodeBinary(value, where) : Buffer.from(text);
}

/**
 * {@link encodeStored} as a command argument: a number or bigint as its (ASCII) text, which the
 * client writes as the same bytes with no `Buffer` of its own (and one chunk less to write).
 * @internal
 */
export function encodeArg(value: unknown, where: string): string | Buffer {
  return storedText(value) ?? encodeBinary(value, where);
}

/** How a number or bigint is stored; `undefined` for anything else. */
function storedText(value: unknown): string | undefined {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `b${value.toString()}`;
  return undefined;
}

/**
 * The stored form of a bare typed array of up to {@link VIEWED_MAX} bytes, kept to be rewritten in
 * place by the next value of the same dtype and length (a variable's next write): no `Buffer` per
 * write. Whoever keeps one must not rewrite it before the command that carried it was answered.
 * @internal
 */
export class ReusableEncoding {
  readonly buffer: Buffer;
  readonly #view: Typed & { constructor: unknown };

  /** `undefined` unless `value` is a bare typed array of up to {@link VIEWED_MAX} bytes. */
  static of(value: unknown): ReusableEncoding | undefined {
    if (!ArrayBuffer.isView(value) || value.byteLength > VIEWED_MAX) return undefined;
    const dtype = DTYPE_INDEX.get(value.constructor);
    return dtype === undefined ? undefined : new ReusableEncoding(value as unknown as Typed, dtype);
  }

  private constructor(t: Typed, dtype: number) {
    const C = t.constructor as Ctor & AnyCtor;
    this.buffer = Buffer.allocUnsafeSlow(8 + t.length * C.BYTES_PER_ELEMENT);
    this.buffer.fill(0, 0, 8);
    this.buffer[0] = 0x74; // 't', as encodeStored writes it
    this.buffer[1] = dtype;
    this.#view = new C(this.buffer.buffer, this.buffer.byteOffset + 8, t.length) as Typed & { constructor: unknown };
    this.#view.set(t as unknown as ArrayLike<unknown>);
  }

  /** Copies `value` in when it has this encoding's dtype and length; `false` otherwise. */
  write(value: unknown): boolean {
    const view = this.#view;
    if ((value as Typed | null)?.constructor !== view.constructor || (value as Typed).length !== view.length)
      return false;
    view.set(value as ArrayLike<unknown>);
    return true;
  }
}

/** {@link encodeStored} of anything but a number or bigint. */
function encodeBinary(value: unknown, where: string): Buffer {
  const dtype = ArrayBuffer.isView(value) ? DTYPE_INDEX.get(value.constructor) : undefined;
  if (dtype !== undefined) {
    // A bare typed array (the common variable): `t`, its dtype, padding to 8, the raw bytes.
    const t = value as ArrayBufferView;
    const out = Buffer.allocUnsafe(8 + t.byteLength);
    out[0] = 0x74; // 't'
    out[1] = dtype;
    out[2] = out[3] = out[4] = out[5] = out[6] = out[7] = 0;
    copyInto(out, 8, t, dtype);
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
  for (let i = 0; i < tensors.length; i++) copyInto(out, start + entries[i]!.offset, tensors[i]!);
  return out;
}

/** Decodes what {@link encodeStored} made; the typed arrays get their own memory. @internal */
export function decodeStored(raw: Buffer, where: string): unknown {
  const tag = raw[0];
  if (tag === 0x62) return BigInt(raw.toString('latin1', 1));
  if (tag === 0x74 && raw.length >= 8 && raw[1]! < DTYPE_NAMES.length) {
    const C = DTYPES[DTYPE_NAMES[raw[1]!]!];
    return ownCopy(C, raw, 8, (raw.length - 8) / C.BYTES_PER_ELEMENT);
  }
  if (tag !== 0x6a) return decimal(raw) ?? Number(raw.toString('latin1'));
  if (raw.length < 5) throw new DataLossError(`${where}: the stored value is not in a known format`);
  const headerLength = raw.readUInt32LE(1);
  const header = JSON.parse(raw.toString('utf8', 5, 5 + headerLength)) as { v: unknown; t?: TensorEntry[] };
  const start = Math.ceil((5 + headerLength) / 8) * 8;
  // Copies into fresh memory: aligned for the view, and not shared with the reply buffer.
  const tensors = (header.t ?? []).map((e) => ownCopy(DTYPES[e.dtype], raw, start + e.offset, e.length));
  return decodeValue(header.v, tensors);
}

/**
 * A stored integer of up to 15 digits (an optional `-`, then digits): exactly what `Number` makes
 * of its text, without making the text. `undefined` for anything else (`Number` then decides).
 */
function decimal(raw: Buffer): number | undefined {
  const length = raw.length;
  const negative = raw[0] === 0x2d; // '-'
  let i = negative ? 1 : 0;
  if (length === i || length - i > 15) return undefined;
  let n = 0;
  for (; i < length; i++) {
    const digit = raw[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/** No fallback: an uninitialized variable is `FailedPreconditionError`. @internal */
export const MISSING = Symbol('missing');

/** A stored value decoded, or `fallback` for a missing one (`FailedPreconditionError` if {@link MISSING}). @internal */
export function decodeOr(raw: unknown, name: string, fallback: unknown, what: string): unknown {
  if (raw !== null && raw !== undefined) return decodeStored(raw as Buffer, what);
  if (fallback === MISSING) throw uninitialized(name);
  return fallback;
}
