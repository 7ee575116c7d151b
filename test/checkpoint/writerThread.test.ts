import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FailedPreconditionError, Saver, Session, latestCheckpoint } from '../../src/index.ts';
import { gstepGraph } from '../helpers/tf.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ms-writer-thread-'));
  dirs.push(dir);
  return dir;
};
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Saves in the background until a write goes to the writer thread (it is `quiet` right after the call); returns the next step. */
async function onWriterThread(saver: Saver, sess: Session, file: string): Promise<number> {
  for (let step = 1; step < 200; step++) {
    const { written, quiet } = await saver.saveInBackground(sess, file, { globalStep: step });
    const handedOver = quiet?.() === true;
    await written;
    if (handedOver) return step + 1;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no write went to the writer thread');
}

describe('background writes on the writer thread', () => {
  it('writes the same checkpoint; a failure there keeps its class and is counted; a missing meta file is written in full', async () => {
    const dir = await tempDir();
    const { graph } = gstepGraph();
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const saver = new Saver({ maxToKeep: 2 });
    const file = path.join(dir, 'model.ckpt');
    let step = await onWriterThread(saver, sess, file);
    assert.equal(await latestCheckpoint(dir), `${file}-${step - 1}`);

    // The data file cannot be renamed into place (a directory holds its name): the error crosses
    // back as FailedPreconditionError, the saver counts it, and the state file still names the last one.
    await mkdir(path.join(dir, `model.ckpt-${step}.data-00000-of-00001`, 'x'), { recursive: true });
    const failed = await saver.saveInBackground(sess, file, { globalStep: step });
    await assert.rejects(failed.written, FailedPreconditionError);
    assert.equal(saver.failedSaves, 1);
    assert.ok(saver.lastSaveError instanceof FailedPreconditionError);
    assert.equal(await latestCheckpoint(dir), `${file}-${step - 1}`);
    step++;

    // The meta file to link to is gone: the thread asks for the graph's text and writes it.
    await unlink(`${file}-${step - 2}.meta`);
    const { written } = await saver.saveInBackground(sess, file, { globalStep: step });
    assert.equal(await written, `${file}-${step}`);
    assert.ok((await readdir(dir)).includes(`model.ckpt-${step}.meta`));
    assert.equal(await latestCheckpoint(dir), `${file}-${step}`);
  });
});
