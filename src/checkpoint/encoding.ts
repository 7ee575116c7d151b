import { InvalidArgumentError, describeValue } from '../errors.ts';

/** Typed array kinds a checkpoint stores as raw little-endian bytes. */
export const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint8clamped: Uint8ClampedArray,
  uint16: Uint16Array,
  uint32: Uint32Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as const;

export type DType = keyof typeof DTYPES;
export type AnyTypedArray = InstanceType<(typeof DTYPES)[DType]>;

function dtypeOf(value: ArrayBufferView): DType | undefined {
  for (const [name, ctor] of Object.entries(DTYPES)) if (value.constructor === ctor) return name as DType;
  return undefined;
}

/** A typed array stored in the data file. */
export interface TensorEntry {
  dtype: DType;
  /** Element count (the shape of a flat typed array). */
  length: number;
  /** Byte offset in the data file (8-byte aligned). */
  offset: number;
  byteLength: number;
}

/** A value in the index: JSON with tags for what JSON cannot hold. */
export type Encoded = unknown;

/**
 * Encodes a variable's value as JSON-safe data; typed arrays (anywhere inside) are appended to
 * `tensors` (not copied) and referenced by index. Tags: `$n` non-finite number, `$b` bigint,
 * `$u` undefined, `$t` typed array, `$d` Date, `$m` Map, `$s` Set, `$o` an object whose keys
 * start with `$`.
 */
export function encodeValue(value: unknown, tensors: ArrayBufferView[], where: string): Encoded {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : { $n: String(value) };
    case 'bigint':
      return { $b: value.toString() };
    case 'undefined':
      return { $u: 1 };
    case 'string':
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        if (dtypeOf(value) === undefined) throw unsupported(where, value);
        tensors.push(value);
        return { $t: tensors.length - 1 };
      }
      if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, tensors, `${where}[${i}]`));
      if (value instanceof Date) return { $d: value.toISOString() };
      if (value instanceof Map)
        return {
          $m: [...value].map(([k, v], i) => [
            encodeValue(k, tensors, `${where}.key${i}`),
            encodeValue(v, tensors, `${where}.value${i}`),
          ]),
        };
      if (value instanceof Set) return { $s: [...value].map((v, i) => encodeValue(v, tensors, `${where}.item${i}`)) };
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw unsupported(where, value);
      const out: Record<string, Encoded> = {};
      let tagged = false;
      for (const [k, v] of Object.entries(value)) {
        if (k.startsWith('$')) tagged = true;
        out[k] = encodeValue(v, tensors, `${where}.${k}`);
      }
      return tagged ? { $o: out } : out;
    }
    default:
      throw unsupported(where, value);
  }
}

function unsupported(where: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `Saver.save: variable value at ${where} cannot be checkpointed: ${describeValue(value)} ` +
      '(supported: numbers, booleans, strings, bigint, null, plain objects and arrays, Date, Map, Set, typed arrays)',
  );
}

/** Decodes what {@link encodeValue} made; `tensors` holds the restored typed arrays by index. */
export function decodeValue(encoded: Encoded, tensors: readonly AnyTypedArray[]): unknown {
  if (encoded === null || typeof encoded !== 'object') return encoded;
  if (Array.isArray(encoded)) return encoded.map((v) => decodeValue(v, tensors));
  const obj = encoded as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const v = obj[key];
    switch (key) {
      case '$n':
        return Number(v);
      case '$b':
        return BigInt(v as string);
      case '$u':
        return undefined;
      case '$t':
        return tensors[v as number];
      case '$d':
        return new Date(v as string);
      case '$m':
        return new Map((v as [Encoded, Encoded][]).map(([k, x]) => [decodeValue(k, tensors), decodeValue(x, tensors)]));
      case '$s':
        return new Set((v as Encoded[]).map((x) => decodeValue(x, tensors)));
      case '$o':
        return Object.fromEntries(
          Object.entries(v as Record<string, Encoded>).map(([k, x]) => [k, decodeValue(x, tensors)]),
        );
    }
  }
  return Object.fromEntries(keys.map((k) => [k, decodeValue(obj[k], tensors)]));
}

/** Lays out typed arrays in a data file, each at an 8-byte aligned offset. */
export function layoutTensors(tensors: readonly ArrayBufferView[]): { entries: TensorEntry[]; totalBytes: number } {
  let offset = 0;
  const entries = tensors.map((t) => {
    offset = Math.ceil(offset / 8) * 8;
    const entry: TensorEntry = {
      dtype: dtypeOf(t)!,
      length: (t as AnyTypedArray).length,
      offset,
      byteLength: t.byteLength,
    };
    offset += t.byteLength;
    return entry;
  });
  return { entries, totalBytes: offset };
}
