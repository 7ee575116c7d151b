import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { DataLossError, Graph, Saver, Session, UnimplementedError, getCheckpointState } from '../../src/index.ts';
import { checksumKindFor, newChecksum, type ChecksumKind } from '../../src/internal/checksum.ts';
import { SMALL_FILE } from '../../src/internal/fileCalls.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { params } from '../helpers/property.ts';
import { referenceXxh64 } from '../helpers/xxh64.ts';

const enc = new TextEncoder();
const run = promisify(execFile);

async function digestOf(kind: ChecksumKind, pieces: readonly Uint8Array[]): Promise<number | string> {
  const checksum = await newChecksum(kind);
  for (const p of pieces) checksum.update(p);
  return checksum.digest();
}

/** A graph with one Float32Array variable of `length` elements and a step, initialized. */
async function model(length: number): Promise<{ graph: Graph; sess: Session; w: Float32Array }> {
  const w = new Float32Array(length).map((_, i) => Math.sin(i) * 1e3);
  const graph = new Graph();
  graph.variable(() => w.slice(), { name: 'w' });
  graph.variable(7, { name: 'global_step' });
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  return { graph, sess, w };
}

interface Index {
  version: unknown;
  dataCrc32?: unknown;
  dataXxh64?: unknown;
  [k: string]: unknown;
}

async function readIndexJson(prefix: string): Promise<Index> {
  const [body] = (await readFile(`${prefix}.index`, 'utf8')).split('\ncrc32:');
  return JSON.parse(body!) as Index;
}

/** Rewrites the index of `prefix` as `index`, with a valid checksum of its own. */
async function writeIndexJson(prefix: string, index: Index): Promise<void> {
  const body = JSON.stringify(index);
  await writeFile(`${prefix}.index`, `${body}\ncrc32:${crc32(body).toString(16)}\n`);
}

const dataFile = (prefix: string): string => `${prefix}.data-00000-of-00001`;

describe('checkpoint data checksums', () => {
  it('xxHash64 gives the specification test vectors and agrees with an independent implementation', async () => {
    assert.equal(await digestOf('xxh64', []), 'ef46db3751d8e999');
    assert.equal(await digestOf('xxh64', [enc.encode('abc')]), '44bc2cf5ad770999');
    assert.equal(referenceXxh64(enc.encode('abc')), '44bc2cf5ad770999');
    for (const n of [1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 65, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
      assert.equal(await digestOf('xxh64', [bytes]), referenceXxh64(bytes), `${n} bytes`);
    }
  });

  it('a running checksum of pieces equals the checksum of the whole, empty pieces included (both kinds)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 6 }),
        async (bytes, cuts) => {
          const at = [0, ...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length];
          const pieces = at.slice(1).map((end, i) => bytes.subarray(at[i], end));
          assert.equal(await digestOf('crc32', pieces), bytes.length === 0 ? 0 : crc32(bytes));
          assert.equal(await digestOf('xxh64', pieces), referenceXxh64(bytes));
        },
      ),
      params(100),
    );
  });

  it('checksums open at the same time do not mix, and a finished one is reused clean', async () => {
    const a = await newChecksum('xxh64');
    const b = await newChecksum('xxh64');
    a.update(enc.encode('ab'));
    b.update(enc.encode('xy'));
    a.update(enc.encode('c'));
    assert.equal(a.digest(), '44bc2cf5ad770999');
    const c = await newChecksum('xxh64'); // a's hasher, reused
    c.update(enc.encode('abc'));
    assert.equal(c.digest(), '44bc2cf5ad770999');
    b.update(enc.encode('z'));
    assert.equal(b.digest(), referenceXxh64(enc.encode('xyz')));
  });

  it('pieces gathered below 64 KiB and passed through above it hash as one whole', async () => {
    const sizes = [60_000, 10_000, 70_000, 5, 0, 65_536, 3, 65_535, 1];
    const pieces = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + k) & 255));
    const whole = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const p of pieces) {
      whole.set(p, at);
      at += p.byteLength;
    }
    assert.equal(await digestOf('xxh64', pieces), referenceXxh64(whole));
  });

  it('the kind is decided by the data file size: CRC-32 up to 1 MiB, xxHash64 above', () => {
    assert.equal(checksumKindFor(0), 'crc32');
    assert.equal(checksumKindFor(SMALL_FILE), 'crc32');
    assert.equal(checksumKindFor(SMALL_FILE + 1), 'xxh64');
  });

  for (const background of [false, true]) {
    it(`a large checkpoint (${background ? 'saveInBackground, on the writer thread' : 'save'}) records its data's xxHash64 (index version 2) and restores bit for bit`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
      const { graph, sess, w } = await model(400_000); // 1.6 MB
      const saver = new Saver();
      let prefix: string;
      if (background) {
        const save = await saver.saveInBackground(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
        await save.written;
        prefix = save.prefix;
      } else {
        prefix = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
      }
      const index = await readIndexJson(prefix);
      assert.equal(index.version, 2);
      assert.equal(index.dataCrc32, undefined);
      assert.equal(index.dataXxh64, referenceXxh64(await readFile(dataFile(prefix))));
      const restored = new Session(graph);
      await new Saver().restore(restored, prefix);
      const [rw, step] = (await restored.run(graph.globalVariables())) as [Float32Array, number];
      assert.deepEqual(rw, w);
      assert.equal(step, 7);
    });
  }

  it('a small checkpoint keeps CRC-32 (index version 1, readable by earlier releases)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const { sess } = await model(100);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    const index = await readIndexJson(prefix);
    assert.equal(index.version, 1);
    assert.equal(index.dataCrc32, crc32(await readFile(dataFile(prefix))));
    assert.equal(index.dataXxh64, undefined);
  });

  it('one flipped byte or a truncation of a large data file is DataLossError naming xxHash64', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const { graph, sess } = await model(400_000);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    const good = await readFile(dataFile(prefix));
    const flipped = Buffer.from(good);
    flipped[800_001] = flipped[800_001]! ^ 0x10;
    await writeFile(dataFile(prefix), flipped);
    await rejectsWith(new Saver().restore(new Session(graph), prefix), DataLossError, /corrupt or truncated.*xxHash64/);
    await writeFile(dataFile(prefix), good.subarray(0, good.byteLength - 4));
    await rejectsWith(new Saver().restore(new Session(graph), prefix), DataLossError, /corrupt or truncated/);
  });

  it('a large checkpoint written with CRC-32 (index version 1, as earlier releases wrote) still restores, and is refused when damaged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const { graph, sess, w } = await model(400_000);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    const { dataXxh64: _, ...rest } = await readIndexJson(prefix);
    const data = await readFile(dataFile(prefix));
    await writeIndexJson(prefix, { ...rest, version: 1, dataCrc32: crc32(data) });
    const restored = new Session(graph);
    await new Saver().restore(restored, prefix);
    assert.deepEqual((await restored.run(graph.globalVariables()))[0], w);
    await writeIndexJson(prefix, { ...rest, version: 1, dataCrc32: crc32(data) ^ 1 });
    await rejectsWith(new Saver().restore(new Session(graph), prefix), DataLossError, /CRC-32/);
  });

  it('an index whose checksum field does not match its version is of an unknown format', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const { graph, sess } = await model(400_000);
    const prefix = await new Saver().save(sess, path.join(dir, 'model.ckpt'), { globalStep: 7 });
    const index = await readIndexJson(prefix);
    for (const wrong of [
      { ...index, version: 1 }, // version 1 without dataCrc32
      { ...index, version: '2' },
      { ...index, version: [2] },
      { ...index, version: 1.5 },
      { ...index, dataXxh64: 12345 },
      { ...index, dataXxh64: 'XYZ' },
    ]) {
      await writeIndexJson(prefix, wrong);
      await rejectsWith(
        new Saver().restore(new Session(graph), prefix),
        DataLossError,
        /not a checkpoint index of a known format/,
      );
    }
  });

  it('an intact index of a later version is UnimplementedError, and a scan for the newest checkpoint does not pass over it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const { graph, sess } = await model(100);
    const saver = new Saver();
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    const newer = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2 });
    await writeIndexJson(newer, { ...(await readIndexJson(newer)), version: 3 });
    await rejectsWith(
      new Saver().restore(new Session(graph), newer),
      UnimplementedError,
      /version 3, written by a later release/,
    );
    // A damaged state file sends readers to the scan: it must not fall back to step 1 (or 0).
    await writeFile(path.join(dir, 'checkpoint'), 'garbage');
    await rejectsWith(getCheckpointState(dir), UnimplementedError, /version 3/);
  });

  it('without WebAssembly (node --jitless) a large checkpoint is CRC-32 and round-trips', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-xxh-'));
    const script = path.join(dir, 'jitless.mts');
    const src = new URL('../../src/index.ts', import.meta.url).pathname;
    await writeFile(
      script,
      `import { Graph, Saver, Session } from ${JSON.stringify(src)};
const g = new Graph();
const w = new Float32Array(400_000).map((_, i) => i);
g.variable(() => w.slice(), { name: 'w' });
const s = new Session(g);
await s.run(g.globalVariablesInitializer());
const prefix = await new Saver().save(s, ${JSON.stringify(path.join(dir, 'model.ckpt'))});
const r = new Session(g);
await new Saver().restore(r, prefix);
const [back] = await r.run(g.globalVariables());
process.stdout.write(JSON.stringify({ prefix, wasm: typeof WebAssembly, same: Buffer.compare(Buffer.from(back.buffer), Buffer.from(w.buffer)) === 0 }));
`,
    );
    const { stdout } = await run(process.execPath, ['--jitless', '--import', 'tsx', script], { timeout: 60_000 });
    const out = JSON.parse(stdout) as { prefix: string; wasm: string; same: boolean };
    assert.deepEqual([out.wasm, out.same], ['undefined', true]);
    const index = await readIndexJson(out.prefix);
    assert.equal(index.version, 1);
    assert.equal(index.dataCrc32, crc32(await readFile(dataFile(out.prefix))));
  });
});
