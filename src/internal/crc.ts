import { crc32 } from 'node:zlib';

/**
 * The CRC-32 of `bytes` continued from `crc`. Node's `zlib.crc32` returns 0 for empty input
 * whatever the running value (Node 20), which would reset a running checksum at an empty
 * piece (an empty tensor): an empty piece leaves the checksum as it is.
 */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  return bytes.byteLength === 0 ? crc : crc32(bytes, crc);
}
