/**
 * Encodes protobuf fields and TFRecord framing straight into one reusable buffer: no per-field
 * arrays, no intermediate messages. A length-delimited field reserves one byte for its length
 * and moves its content only in the rare case that the length needs more. The CRCs of a record
 * are computed over the buffer itself. @internal
 */
import { maskedCrc32cRange } from './crc32c.ts';

const TWO_32 = 2 ** 32;

export class RecordEncoder {
  /** The bytes so far are `buffer[0, length)`. */
  buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Forgets the bytes, keeping the buffer. */
  reset(): void {
    this.length = 0;
  }

  /** The bytes so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes + 1024));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** A raw varint (uint64; negative numbers as their two's complement, as protobuf does). */
  rawVarint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === 'number' && value < 0x80 && value >= 0 && (value | 0) === value) {
      this.buffer[this.length++] = value;
      return;
    }
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.buffer[this.length++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buffer[this.length++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An int64/enum field; skipped when zero (proto3 default). */
  varint(field: number, value: number | bigint): void {
    if (value === 0 || value === 0n) return;
    this.tag(field, 0);
    this.rawVarint(value);
  }

  /** A `double` field; skipped when +0 unless `always`. */
  double(field: number, value: number, always = false): void {
    if (!always && value === 0 && !Object.is(value, -0)) return;
    this.tag(field, 1);
    this.reserve(8);
    this.length = this.buffer.writeDoubleLE(value, this.length);
  }

  /** A `float` field; skipped when +0 unless `always`. */
  float(field: number, value: number, always = false): void {
    if (!always && value === 0 && !Object.is(value, -0)) return;
    this.tag(field, 5);
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(value, this.length);
  }

  /** A `bytes` field; skipped when undefined. */
  bytesField(field: number, value: Uint8Array | undefined): void {
    if (value === undefined) return;
    this.tag(field, 2);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  /** A `string` field; skipped when undefined or empty. */
  string(field: number, value: string | undefined): void {
    if (value === undefined || value === '') return;
    const n = value.length;
    if (n < 0x80) {
      // Short ASCII, the usual tag or path: bytes written directly, the length known up front.
      const before = this.length;
      this.tag(field, 2);
      this.reserve(n + 1);
      const buf = this.buffer;
      const at = this.length + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) {
        buf[this.length] = n;
        this.length = at + n;
        return;
      }
      this.length = before; // not ASCII: undo the tag and take the general path
    }
    const start = this.begin(field);
    this.reserve(value.length * 3);
    this.length += this.buffer.write(value, this.length, 'utf8');
    this.end(start);
  }

  /** A packed `repeated double`; skipped when empty. */
  packedDoubles(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    this.tag(field, 2);
    this.rawVarint(values.length * 8);
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++) this.length = this.buffer.writeDoubleLE(values[i]!, this.length);
  }

  /** Starts a length-delimited field (an embedded message); returns the mark for {@link end}. */
  begin(field: number): number {
    this.tag(field, 2);
    this.reserve(1);
    return this.length++;
  }

  /** Ends the field started at `mark`: writes its length, moving the content if it needs more than a byte. */
  end(mark: number): void {
    const size = this.length - mark - 1;
    if (size < 0x80) {
      this.buffer[mark] = size;
      return;
    }
    let extra = 0;
    for (let v = size; v >= 0x80; v = Math.floor(v / 0x80)) extra++;
    this.reserve(extra);
    this.buffer.copyWithin(mark + 1 + extra, mark + 1, this.length);
    const end = this.length + extra;
    this.length = mark;
    this.rawVarint(size);
    this.length = end;
  }

  /** Starts a TFRecord: room for the length and its CRC. Returns the mark for {@link endRecord}. */
  beginRecord(): number {
    this.reserve(12);
    const mark = this.length;
    this.length += 12;
    return mark;
  }

  /** Ends the record started at `mark`: its length, the length's masked CRC, the data's masked CRC. */
  endRecord(mark: number): void {
    const size = this.length - mark - 12;
    this.#u32(size % TWO_32, mark);
    this.#u32(Math.floor(size / TWO_32), mark + 4);
    this.#u32(maskedCrc32cRange(this.buffer, mark, mark + 8), mark + 8);
    const crc = maskedCrc32cRange(this.buffer, mark + 12, this.length);
    this.reserve(4);
    this.#u32(crc, this.length);
    this.length += 4;
  }

  #u32(value: number, at: number): void {
    const buf = this.buffer;
    buf[at] = value & 0xff;
    buf[at + 1] = (value >>> 8) & 0xff;
    buf[at + 2] = (value >>> 16) & 0xff;
    buf[at + 3] = value >>> 24;
  }
}
