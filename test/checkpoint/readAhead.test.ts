// A recovery reads the checkpoint it will restore while it closes the lost session
// (src/checkpoint/reader.ts readAhead): the restore uses that read only while it is current.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Graph, Saver, Session } from '../../src/index.ts';
import { checkpointFiles, readAhead, readAheadSettled } from '../../src/checkpoint/reader.ts';

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-read-ahead-'));
  const graph = new Graph();
  const w = graph.variable(() => new Float32Array([1, 2, 3]), { name: 'w' });
  const sess = new Session(graph);
  await sess.run(graph.globalVariablesInitializer());
  const saver = new Saver({ maxToKeep: 10 });
  const restored = async (prefix: string): Promise<number[]> => {
    const fresh = new Session(graph);
    await saver.restore(fresh, prefix);
    const value = Array.from(await fresh.run(w));
    await fresh.close();
    return value;
  };
  const set = (values: number[]) => sess.run(graph.assign(w, graph.constant(new Float32Array(values))));
  return { dir, graph, sess, saver, restored, set };
}

/** Replaces checkpoint `to`'s files by `from`'s, as another program could (no save of this process). */
async function overwrite(from: string, to: string): Promise<void> {
  const [a, b] = [checkpointFiles(from), checkpointFiles(to)];
  await copyFile(a.data, b.data);
  await copyFile(a.index, b.index);
}

describe('reading a checkpoint ahead of its restore', () => {
  it('the restore takes the read made ahead, once', async () => {
    const { dir, sess, saver, restored, set } = await setup();
    const first = await saver.save(sess, path.join(dir, 'a'), { writeMetaGraph: false });
    await set([7, 8, 9]);
    const second = await saver.save(sess, path.join(dir, 'b'), { writeMetaGraph: false });
    readAhead(first);
    await readAheadSettled();
    // The files change under it without a save of this process: the read made ahead is used...
    await overwrite(second, first);
    assert.deepEqual(await restored(first), [1, 2, 3]);
    // ...once: the next restore reads the files.
    assert.deepEqual(await restored(first), [7, 8, 9]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a save into the directory after the read ahead makes the restore read again', async () => {
    const { dir, sess, saver, restored, set } = await setup();
    const prefix = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1, writeMetaGraph: false });
    readAhead(prefix);
    await readAheadSettled();
    await set([4, 5, 6]);
    await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1, writeMetaGraph: false }); // replaces it
    assert.deepEqual(await restored(prefix), [4, 5, 6]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a read of another checkpoint lets the read ahead go; a checkpoint over the size limit is not read ahead', async () => {
    const { dir, sess, saver, restored, set } = await setup();
    const first = await saver.save(sess, path.join(dir, 'a'), { writeMetaGraph: false });
    await set([7, 8, 9]);
    const second = await saver.save(sess, path.join(dir, 'b'), { writeMetaGraph: false });
    readAhead(first);
    await readAheadSettled();
    assert.deepEqual(await restored(second), [7, 8, 9]);
    await overwrite(second, first);
    assert.deepEqual(await restored(first), [7, 8, 9], 'the read ahead of `a` was let go');
    // Over the limit: nothing is held, the restore reads the files.
    await set([1, 1, 1]);
    const third = await saver.save(sess, path.join(dir, 'c'), { writeMetaGraph: false });
    readAhead(third, 4);
    await readAheadSettled();
    await overwrite(second, third);
    assert.deepEqual(await restored(third), [7, 8, 9]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a failed read ahead (no such checkpoint) is read again, and reported, by the restore', async () => {
    const { dir, restored } = await setup();
    readAhead(path.join(dir, 'missing'));
    await readAheadSettled();
    await assert.rejects(restored(path.join(dir, 'missing')), /missing/);
    await rm(dir, { recursive: true, force: true });
  });
});
