import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReusableEncoding, decodeStored, encodeArg, encodeStored } from '../../src/redis/codec.ts';

const ARRAYS = [
  Float32Array.of(1.5, -2.25, Number.NaN),
  Float64Array.of(Math.PI, -0),
  Int8Array.of(-128, 127, 5),
  Int16Array.of(-32768, 1),
  Int32Array.of(-(2 ** 31), 7),
  Uint8Array.of(0, 255),
  Uint8ClampedArray.of(3, 250),
  Uint16Array.of(65535),
  Uint32Array.of(2 ** 32 - 1),
  BigInt64Array.of(-(2n ** 63n)),
  BigUint64Array.of(2n ** 64n - 1n),
];

/** `bytes` copied into a bigger buffer at `offset`, as a reply inside a socket chunk is. */
function at(bytes: Buffer, offset: number): Buffer {
  const chunk = Buffer.alloc(offset + bytes.length + 5, 0xee);
  bytes.copy(chunk, offset);
  return chunk.subarray(offset, offset + bytes.length);
}

describe('Redis codec: typed arrays', () => {
  it('decodes a typed array from a reply at any byte offset, into memory of its own', () => {
    for (const array of ARRAYS) {
      const encoded = encodeStored(array, 'v');
      for (let offset = 0; offset < 8; offset++) {
        const raw = at(encoded, offset);
        const decoded = decodeStored(raw, 'v') as typeof array;
        assert.equal(decoded.constructor, array.constructor);
        assert.deepEqual(decoded, array, `${array.constructor.name} at offset ${offset}`);
        assert.notEqual(decoded.buffer, raw.buffer, 'shares memory with the reply');
        raw.fill(0);
        assert.deepEqual(decoded, array, 'changed with the reply buffer');
      }
    }
  });

  it('decodes a large unaligned typed array (beyond the reused scratch space)', () => {
    const big = Float64Array.from({ length: 20_000 }, (_, i) => i / 3);
    const decoded = decodeStored(at(encodeStored(big, 'big'), 3), 'big') as Float64Array;
    assert.deepEqual(decoded, big);
  });

  it('encodes views with an offset, and small arrays, byte for byte', () => {
    const backing = Float32Array.of(9, 1, 2, 3, 9);
    const view = backing.subarray(1, 4);
    assert.deepEqual(decodeStored(encodeStored(view, 'view'), 'view'), Float32Array.of(1, 2, 3));
    const small = Float32Array.of(0.5, 0.25);
    const encoded = encodeStored(small, 'small');
    assert.deepEqual([...encoded.subarray(8)], [...new Uint8Array(Float32Array.of(0.5, 0.25).buffer)]);
    // Typed arrays inside JSON values too.
    const nested = { w: Int16Array.of(-1, 2, -3), list: [Float64Array.of(1e300)] };
    assert.deepEqual(decodeStored(at(encodeStored(nested, 'nested'), 5), 'nested'), nested);
  });
});

describe('Redis codec: numbers and consecutive small arrays', () => {
  it('decodes stored numbers exactly as Number() reads their text', () => {
    const texts = ['0', '-0', '007', '42', '-17', '123456789012345', '-123456789012345', '1234567890123456'];
    texts.push('9007199254740993', '1.5', '-2.25', '1e3', '', '-', 'Infinity', '-Infinity', 'NaN', ' 5', '5 ', '0x10');
    for (const text of texts) {
      const decoded = decodeStored(at(Buffer.from(text), 3), 'n');
      assert.ok(Object.is(decoded, Number(text)), `${JSON.stringify(text)}: ${String(decoded)}`);
    }
    for (const n of [0, -0, 1, -1, 3241602947, 2 ** 53 - 1, -(2 ** 53) + 1, 0.1, 1e21, -5e-324]) {
      assert.ok(Object.is(decodeStored(encodeStored(n, 'n'), 'n'), n), String(n));
    }
  });

  it('encodes many small arrays in a row (across buffer pools) byte for byte', () => {
    type Made = ArrayLike<unknown> & object;
    const encoded: Buffer[] = [];
    const arrays = Array.from({ length: 600 }, (_, i): Made => {
      const C = ARRAYS[i % ARRAYS.length]!.constructor as new (length: number) => Made & Record<number, unknown>;
      const array = new C(1 + (i % 5));
      const big = typeof array[0] === 'bigint';
      for (let k = 0; k < array.length; k++) array[k] = big ? BigInt(i + k) : i + k;
      encoded.push(encodeStored(array, 'a'));
      // Other small buffers from the same pools in between must not disturb them.
      if (i % 7 === 0) Buffer.from('interleaved');
      return array;
    });
    arrays.forEach((array, i) => assert.deepEqual(decodeStored(encoded[i]!, 'a'), array, `array ${i}`));
  });
});

describe('Redis codec: command arguments', () => {
  it('sends a number or bigint as the text of its stored bytes', () => {
    for (const value of [0, -0, 3241602947, -1.5, Number.NaN, 2n ** 70n, -5n]) {
      const arg = encodeArg(value, 'n');
      assert.equal(typeof arg, 'string');
      assert.ok(Buffer.from(arg as string).equals(encodeStored(value, 'n')), String(value));
    }
    assert.ok((encodeArg(Float32Array.of(1), 'a') as Buffer).equals(encodeStored(Float32Array.of(1), 'a')));
  });

  it('rewrites a reusable encoding in place with the bytes encodeStored makes', () => {
    for (const array of ARRAYS) {
      const encoding = ReusableEncoding.of(array)!;
      assert.ok(encoding.buffer.equals(encodeStored(array, 'v')));
      const next = array.slice().reverse();
      assert.ok(encoding.write(next));
      assert.ok(encoding.buffer.equals(encodeStored(next, 'v')));
      assert.equal(encoding.write(array.slice(1)), false, 'another length');
    }
    assert.equal(ReusableEncoding.of(1), undefined);
    assert.equal(ReusableEncoding.of({ a: Float32Array.of(1) }), undefined);
    assert.equal(ReusableEncoding.of(new Float64Array(10_000)), undefined, 'too large to keep');
    assert.equal(ReusableEncoding.of(Float32Array.of(1))!.write(Int32Array.of(1)), false, 'another dtype');
  });
});
