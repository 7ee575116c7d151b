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

const DTYPE_OF = new Map<unknown, DType>(Object.entries(DTYPES).map(([name, ctor]) => [ctor, name as DType]));

function dtypeOf(value: ArrayBufferView): DType | undefined {
  return DTYPE_OF.get(value.constructor);
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
 * start with `$`. `where` names the value in errors (`weights`, `hooks.StepCounterHook`).
 *
 * Copy on change: a part that JSON already holds as it is (a plain object or array of finite
 * numbers, strings, booleans and null) is returned itself, not copied, so the result may share
 * objects with `value`; stringify it before `value` can change.
 */
export function encodeValue(value: unknown, tensors: ArrayBufferView[], where: string): Encoded {
  return encode(value, tensors, { parent: undefined, key: where });
}

/**
 * Where a value sits inside the one being encoded: its parent's place and its own key. Spelled
 * out (`weights.layers[2]`) only for an error, so that encoding a value never builds the name of
 * each of its parts.
 */
interface Place {
  readonly parent: Place | undefined;
  readonly key: string | number;
}

function nameOf(place: Place): string {
  const key = place.key;
  if (place.parent === undefined) return String(key);
  return typeof key === 'number' ? `${nameOf(place.parent)}[${key}]` : `${nameOf(place.parent)}.${key}`;
}

function encode(value: unknown, tensors: ArrayBufferView[], place: Place): Encoded {
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
        if (dtypeOf(value) === undefined) throw unsupported(place, value);
        tensors.push(value);
        return { $t: tensors.length - 1 };
      }
      if (Array.isArray(value)) return encodeArray(value, tensors, place);
      if (value instanceof Date) return { $d: value.toISOString() };
      if (value instanceof Map)
        return {
          $m: [...value].map(([k, v], i) => [
            encode(k, tensors, { parent: place, key: `key${i}` }),
            encode(v, tensors, { parent: place, key: `value${i}` }),
          ]),
        };
      if (value instanceof Set)
        return { $s: [...value].map((v, i) => encode(v, tensors, { parent: place, key: `item${i}` })) };
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw unsupported(place, value);
      return encodeRecord(value as Record<string, unknown>, tensors, place);
    }
    default:
      throw unsupported(place, value);
  }
}

/** An array's parts encoded; the array itself when none changed (holes stay holes: JSON null). */
function encodeArray(value: readonly unknown[], tensors: ArrayBufferView[], place: Place): Encoded {
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) continue;
    const item = value[i];
    const encoded = encode(item, tensors, { parent: place, key: i });
    if (out === undefined && encoded !== item) out = value.slice(0, i);
    if (out !== undefined) out[i] = encoded;
  }
  if (out === undefined) return value;
  out.length = value.length;
  return out;
}

/**
 * A plain object's own enumerable entries encoded; the object itself when none changed. A copy
 * has no prototype, so that a key such as `__proto__` stays a key.
 */
function encodeRecord(value: Record<string, unknown>, tensors: ArrayBufferView[], place: Place): Encoded {
  const keys = Object.keys(value);
  let out: Record<string, Encoded> | undefined;
  let tagged = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const item = value[k];
    const encoded = encode(item, tensors, { parent: place, key: k });
    if (k.startsWith('$')) tagged = true;
    if (out === undefined && (encoded !== item || tagged)) {
      out = Object.create(null) as Record<string, Encoded>;
      for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!];
    }
    if (out !== undefined) out[k] = encoded;
  }
  if (out === undefined) return value;
  return tagged ? { $o: out } : out;
}

function unsupported(place: Place, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `Saver.save: variable value at ${nameOf(place)} cannot be checkpointed: ${describeValue(value)} ` +
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
