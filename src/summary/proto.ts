/**
 * A minimal protobuf (proto3) encoder for the messages TensorBoard reads: varints, fixed
 * 32/64-bit numbers, length-delimited fields. Nothing here decodes; the tests decode with an
 * independent library.
 */
export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #scratch = new DataView(new ArrayBuffer(8));
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.#push(Uint8Array.from(out));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** An int64/int32/enum/bool field; skipped when zero (proto3 default) unless `always`. */
  varint(field: number, value: number | bigint | boolean, always = false): this {
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (!always && (v === 0 || v === 0n)) return this;
    this.#tag(field, 0);
    this.#varint(v);
    return this;
  }

  /** A `double` field; skipped when 0 unless `always`. */
  double(field: number, value: number, always = false): this {
    return this.#fixed(field, value, always, 8);
  }

  /** A `float` field; skipped when 0 unless `always`. */
  float(field: number, value: number, always = false): this {
    return this.#fixed(field, value, always, 4);
  }

  /** A little-endian IEEE float of 8 bytes (wire type 1) or 4 bytes (wire type 5). */
  #fixed(field: number, value: number, always: boolean, width: 4 | 8): this {
    if (!always && value === 0 && !Object.is(value, -0)) return this;
    this.#tag(field, width === 8 ? 1 : 5);
    if (width === 8) this.#scratch.setFloat64(0, value, true);
    else this.#scratch.setFloat32(0, value, true);
    this.#push(new Uint8Array(this.#scratch.buffer.slice(0, width)));
    return this;
  }

  /** A `bytes` field (also embedded messages); skipped when undefined. */
  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#push(value);
    return this;
  }

  /** A `string` field; skipped when undefined or empty. */
  string(field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** An embedded message, written even when empty (TensorBoard relies on present-but-empty shapes). */
  message(field: number, build: ((w: ProtoWriter) => void) | undefined): this {
    if (build === undefined) return this;
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed `repeated double` field; skipped when empty. */
  packedDoubles(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const buf = new DataView(new ArrayBuffer(values.length * 8));
    values.forEach((v, i) => buf.setFloat64(i * 8, v, true));
    return this.bytes(field, new Uint8Array(buf.buffer));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
