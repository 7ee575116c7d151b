import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { UnknownError, getCheckpointState } from '../../src/index.ts';
import { newChecksum } from '../../src/internal/checksum.ts';
import { TempFile } from '../../src/internal/durableFile.ts';
import { callsFor, inline, threadPool, type FileCalls } from '../../src/internal/fileCalls.ts';

/** File calls whose `writev` moves at most `most` bytes per call (a short write), as a kernel may. */
function shortWrites(base: FileCalls, most: number): FileCalls & { calls: number } {
  const calls = {
    ...base,
    calls: 0,
    writev(fd: number, pieces: Uint8Array[]): Promise<number> {
      calls.calls++;
      const out: Uint8Array[] = [];
      let left = most;
      for (const p of pieces) {
        if (left === 0) break;
        out.push(p.subarray(0, Math.min(left, p.byteLength)));
        left -= out[out.length - 1]!.byteLength;
      }
      return base.writev(fd, out);
    },
  };
  return calls;
}

/** A whole temporary file's life: write `pieces`, sync, close, commit; the CRC-32 of what was written (fed while in flight). */
async function writeDurably(file: string, pieces: Uint8Array[], calls?: FileCalls): Promise<number> {
  const temp = await TempFile.create(file, 'test', calls);
  const checksum = await newChecksum('crc32');
  await temp.write(pieces, checksum);
  await temp.sync();
  await temp.close();
  await temp.commit();
  return checksum.digest() as number;
}

describe('durable files', () => {
  for (const [name, base] of [
    ['thread pool', threadPool],
    ['inline', inline],
  ] as const) {
    it(`writes every byte in order through short writes (${name} calls)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ms-durable-'));
      const pieces = [Buffer.from('hello, '), new Uint8Array(0), Buffer.from('checkpoint'), Buffer.alloc(20, 7)];
      const calls = shortWrites(base, 3);
      const file = path.join(dir, 'f.bin');
      const crc = await writeDurably(file, pieces, calls);
      const expected = Buffer.concat(pieces);
      assert.deepEqual(await readFile(file), expected);
      assert.equal(crc, crc32(expected));
      assert.equal(calls.calls, Math.ceil(expected.byteLength / 3));
    });
  }

  it('writes many pieces (more than one writev holds) in order, empty ones among them, with their CRC-32', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-durable-'));
    // 2,500 pieces of 0 to 9 bytes: three writev batches of at most 1,024 buffers.
    const pieces = Array.from({ length: 2500 }, (_, i) => Uint8Array.from({ length: i % 10 }, (_, j) => (i + j) % 256));
    const file = path.join(dir, 'data');
    const crc = await writeDurably(file, pieces);
    const expected = Buffer.concat(pieces);
    assert.deepEqual(await readFile(file), expected);
    assert.equal(crc, crc32(expected));
  });

  it('a write that moves no bytes is an error naming the file, and discard leaves nothing behind', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-durable-'));
    const stuck: FileCalls = { ...threadPool, writev: () => Promise.resolve(0) };
    const temp = await TempFile.create(path.join(dir, 'g.bin'), 'test', stuck);
    await assert.rejects(
      temp.write([Buffer.from('x')]),
      (e: unknown) => e instanceof UnknownError && /g\.bin/.test(String(e)),
    );
    await temp.discard();
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dir), []);
  });

  it('makes inline calls on a local disk and thread-pool calls where the file system is unknown', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-durable-'));
    if (process.platform === 'linux') assert.equal(await callsFor(dir), inline);
    assert.equal(await callsFor(path.join(dir, 'missing', 'deeper')), threadPool);
    // A path the file system API refuses at once (FC_SEED=999581910 of the API fuzz) is no answer, not a raw TypeError.
    assert.equal(await callsFor(`${dir}\0`), threadPool);
    assert.equal(await getCheckpointState('\0'), undefined);
  });
});
