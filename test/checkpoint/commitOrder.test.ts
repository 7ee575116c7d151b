// The order of a save's system calls is its crash consistency (see src/checkpoint/commit.ts):
// these tests record the calls of real saves and check the order that a power loss relies on.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { writeCheckpoint, type CheckpointWrite } from '../../src/checkpoint/commit.ts';
import { layoutTensors } from '../../src/checkpoint/encoding.ts';
import { readCheckpoint } from '../../src/checkpoint/reader.ts';
import { inline, threadPool, type FileCalls } from '../../src/internal/fileCalls.ts';

/** File calls that log what they do: `rename <final name>`, `fsync <file>`, `unlink <file>`, `remove <file>`. */
function recorder(base: FileCalls): { calls: FileCalls; log: string[] } {
  const log: string[] = [];
  const names = new Map<number, string>();
  const final = (file: string): string => path.basename(file).replace(/\.tmp-.*$/, '');
  const calls: FileCalls = {
    ...base,
    async open(file, flags) {
      const fd = await base.open(file, flags);
      names.set(fd, flags === 'r' ? 'directory' : final(file));
      return fd;
    },
    async fsync(fd) {
      log.push(`fsync ${names.get(fd)}`);
      await base.fsync(fd);
    },
    async rename(from, to) {
      await base.rename(from, to);
      log.push(`rename ${final(to)}`);
    },
    async unlink(file) {
      await base.unlink(file);
      log.push(`unlink ${path.basename(file)}`);
    },
    async remove(file) {
      await base.remove(file);
      log.push(`remove ${path.basename(file)}`);
    },
  };
  return { calls, log };
}

function checkpoint(dir: string, calls: FileCalls, step: number, drop: string[] = []): CheckpointWrite {
  const tensors = [new Float32Array([step, 2, 3])];
  const { entries, totalBytes } = layoutTensors(tensors);
  const prefix = path.join(dir, `model.ckpt-${step}`);
  return {
    prefix,
    tensors,
    entries,
    checksum: 'crc32',
    index: (dataCrc) => {
      const body = JSON.stringify({
        format: 'monitored-session-checkpoint',
        version: 1,
        dataFile: `model.ckpt-${step}.data-00000-of-00001`,
        dataBytes: totalBytes,
        dataCrc32: dataCrc,
        tensors: entries,
        variables: { w: { $tensor: 0 } },
      });
      return `${body}\ncrc32:${crc32(body).toString(16)}\n`;
    },
    meta: undefined,
    state: { file: path.join(dir, 'checkpoint'), text: `model_checkpoint_path: "model.ckpt-${step}"\n` },
    drop: drop.map((p) => ({
      prefix: path.join(dir, p),
      files: [`${path.join(dir, p)}.index`, `${path.join(dir, p)}.data-00000-of-00001`],
    })),
    calls,
  };
}

const at = (log: string[], entry: string): number => {
  const i = log.indexOf(entry);
  assert.ok(i >= 0, `${entry} missing from ${log.join(', ')}`);
  return i;
};

describe('checkpoint write order', () => {
  for (const [name, base] of [
    ['inline', inline],
    ['thread pool', threadPool],
  ] as const) {
    it(`a new checkpoint: renames in order, the files' fsyncs from the index's, the directory's last, then retention (${name} calls)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ms-order-'));
      await writeCheckpoint(checkpoint(dir, base, 1), 'test');
      const { calls, log } = recorder(base);
      await writeCheckpoint(checkpoint(dir, calls, 2, ['model.ckpt-1']), 'test');
      const data = 'model.ckpt-2.data-00000-of-00001';
      const [renameData, renameIndex, renameState] = [
        at(log, `rename ${data}`),
        at(log, 'rename model.ckpt-2.index'),
        at(log, 'rename checkpoint'),
      ];
      assert.ok(renameData < renameIndex && renameIndex < renameState, log.join(', '));
      const fileSyncs = [`fsync ${data}`, 'fsync model.ckpt-2.index'].map((e) => at(log, e));
      const syncs = [...fileSyncs, at(log, 'fsync directory')];
      assert.ok(Math.min(...fileSyncs) > renameIndex, `a file's fsync came before its rename: ${log.join(', ')}`);
      // The files' fsyncs overlap the state file's rename; the directory's covers every rename.
      assert.ok(Math.max(...fileSyncs) < renameState, `the fsyncs waited for the state file: ${log.join(', ')}`);
      assert.ok(at(log, 'fsync directory') > renameState, `the directory fsync came too early: ${log.join(', ')}`);
      // Retention removes (in the thread pool, both at once: an unlink that frees blocks is slow).
      const unlinks = log.flatMap((e, i) => (e.startsWith('remove model.ckpt-1.') ? [i] : []));
      assert.equal(unlinks.length, 2, 'the dropped checkpoint had an index and a data file (no meta)');
      assert.ok(!log.some((e) => e.startsWith('unlink')), `retention unlinked on the event loop: ${log.join(', ')}`);
      assert.ok(Math.min(...unlinks) > Math.max(...syncs), `retention before the fsyncs: ${log.join(', ')}`);
      assert.ok(!log.includes('fsync checkpoint'), 'the state file is not fsynced');
      await readCheckpoint(path.join(dir, 'model.ckpt-2'));
    });

    it(`a save that replaces an existing checkpoint fsyncs its files before renaming them (${name} calls)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ms-order-'));
      await writeCheckpoint(checkpoint(dir, base, 3), 'test');
      const { calls, log } = recorder(base);
      await writeCheckpoint(checkpoint(dir, calls, 3), 'test');
      const data = 'model.ckpt-3.data-00000-of-00001';
      const firstRename = at(log, `rename ${data}`);
      assert.ok(at(log, `fsync ${data}`) < firstRename && at(log, 'fsync model.ckpt-3.index') < firstRename);
      assert.ok(at(log, 'fsync directory') > at(log, 'rename checkpoint'));
      await readCheckpoint(path.join(dir, 'model.ckpt-3'));
    });
  }

  it('a stray file under the final name also takes the safe order', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-order-'));
    await writeFile(path.join(dir, 'model.ckpt-4.data-00000-of-00001'), 'stray');
    const { calls, log } = recorder(inline);
    await writeCheckpoint(checkpoint(dir, calls, 4), 'test');
    assert.ok(at(log, 'fsync model.ckpt-4.index') < at(log, 'rename model.ckpt-4.index'));
  });
});
