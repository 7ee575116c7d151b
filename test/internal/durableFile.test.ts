import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { TempFile, writeBatch } from '../../src/internal/durableFile.ts';

test('TempFile.write writes many pieces (more than one writev holds) in order, with their CRC-32', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'durable-'));
  try {
    // 2,500 pieces of 0 to 9 bytes: three writev batches, empty pieces among them.
    const pieces = Array.from({ length: 2500 }, (_, i) => Uint8Array.from({ length: i % 10 }, (_, j) => (i + j) % 256));
    const file = path.join(dir, 'data');
    const temp = await TempFile.create(file, 'test');
    const crc = await temp.write(pieces);
    await temp.sync();
    await temp.commit();
    const expected = Buffer.concat(pieces);
    assert.deepEqual(await readFile(file), expected);
    assert.equal(crc, crc32(expected));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a short writev is completed piece by piece, nothing lost or written twice', async () => {
  const out: number[] = [];
  const handle = {
    // Writes only the first 5 bytes of the batch, as a file system may.
    writev: async (buffers: readonly Uint8Array[]) => {
      const all = Buffer.concat(buffers).subarray(0, 5);
      out.push(...all);
      return { bytesWritten: all.byteLength, buffers };
    },
    // One byte at a time.
    write: async (buffer: Uint8Array) => {
      out.push(buffer[0]!);
      return { bytesWritten: 1, buffer };
    },
  } as unknown as Pick<FileHandle, 'write' | 'writev'>;
  const pieces = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6, 7), new Uint8Array(0), Uint8Array.of(8, 9)];
  await writeBatch(handle, pieces);
  assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
