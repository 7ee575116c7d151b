/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing uses it. */

const TABLES: Uint32Array[] = (() => {
  // Slicing-by-8 tables: 8 bytes per step instead of 1.
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    tables[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0]![n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[0]![c & 0xff]! ^ (c >>> 8);
      tables[t]![n] = c >>> 0;
    }
  }
  return tables;
})();

/** The CRC-32C of `data`. `crc32c(Buffer.from('123456789')) === 0xe3069283`. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return crc32cRange(data, 0, data.length, initial);
}

const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** The CRC-32C of `data[start, end)`, without a view of it. */
export function crc32cRange(data: Uint8Array, start: number, end: number, initial = 0): number {
  let crc = ~initial >>> 0;
  let i = start;
  const end8 = end - ((end - start) % 8);
  for (; i < end8; i += 8) {
    const a = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TFRecord's masked CRC: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  return mask(crc32c(data));
}

/** TFRecord's masked CRC of `data[start, end)`. */
export function maskedCrc32cRange(data: Uint8Array, start: number, end: number): number {
  return mask(crc32cRange(data, start, end));
}

function mask(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
