import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Graph,
  Saver,
  Session,
  UnknownOptionError,
  UsageError,
  UsageTypeError,
  UsageValueError,
  checkpointExists,
  getCheckpointState,
  latestCheckpoint,
  readSaveableStates,
  removeStrayTemporaries,
  updateCheckpointState,
} from '../../src/index.ts';
import { formatCheckpointState, parseCheckpointState, readCheckpoint } from '../../src/checkpoint/index.ts';

/** Asserts a misuse error of `cls` whose message names `api` and `option`. */
function misuse(error: unknown, cls: abstract new (...args: never[]) => Error, api: string, option: string): boolean {
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${String(error)}`);
  assert.ok(error.message.includes(api) && error.message.includes(option), error.message);
  return true;
}

describe('bad input to the checkpoint API', () => {
  it('Saver refuses unknown and ill-typed options, naming the option and the value', () => {
    assert.throws(() => new Saver({ max_to_keep: 3 } as never), (e) => misuse(e, UnknownOptionError, 'Saver', 'maxToKeep'));
    assert.throws(() => new Saver({ maxToKeep: -1 }), (e) => misuse(e, UsageValueError, 'Saver', 'maxToKeep'));
    assert.throws(() => new Saver({ maxToKeep: '5' as never }), (e) => misuse(e, UsageError, 'Saver', 'maxToKeep'));
    assert.throws(() => new Saver({ keepCheckpointEveryNHours: 0 }), (e) => misuse(e, UsageValueError, 'Saver', 'keepCheckpointEveryNHours'));
    assert.throws(() => new Saver({ varList: [1] as never }), (e) => misuse(e, UsageTypeError, 'Saver', 'varList'));
    assert.throws(() => new Saver({ clock: {} as never }), (e) => misuse(e, UsageTypeError, 'Saver', 'clock'));
    assert.throws(() => new Saver('x' as never), (e) => misuse(e, UsageTypeError, 'Saver', 'options'));
    assert.doesNotThrow(() => new Saver({ maxToKeep: null, keepCheckpointEveryNHours: Infinity }));
    assert.throws(() => new Saver().recoverLastCheckpoints('a' as never), (e) => misuse(e, UsageTypeError, 'recoverLastCheckpoints', 'paths'));
  });

  it('save and restore check their session, path and options', async () => {
    const graph = new Graph();
    graph.variable(1, { name: 'v' });
    const sess = new Session(graph);
    await sess.run(graph.globalVariablesInitializer());
    const saver = new Saver();
    await assert.rejects(saver.save(undefined as never, '/tmp/x'), (e) => misuse(e, UsageTypeError, 'Saver.save', 'session'));
    await assert.rejects(saver.save(sess, 42 as never), (e) => misuse(e, UsageError, 'Saver.save', 'savePath'));
    await assert.rejects(saver.save(sess, '/tmp/x', { global_step: 1 } as never), (e) => misuse(e, UnknownOptionError, 'Saver.save', 'globalStep'));
    await assert.rejects(saver.save(sess, '/tmp/x', { globalStep: 10n } as never), (e) => misuse(e, UsageError, 'Saver.save', 'globalStep'));
    await assert.rejects(saver.save(sess, '/tmp/x', { writeState: 'yes' } as never), (e) => misuse(e, UsageTypeError, 'Saver.save', 'writeState'));
    await assert.rejects(saver.restore({} as never, '/tmp/x'), (e) => misuse(e, UsageTypeError, 'Saver.restore', 'session'));
    await assert.rejects(saver.restore(sess, null as never), (e) => misuse(e, UsageError, 'Saver.restore', 'prefix'));
    assert.equal(saver.failedSaves, 5);
  });

  it('directory and state functions refuse bad arguments with typed errors, never raw JS errors', async () => {
    for (const bad of [undefined, null, 1, '', {}, Symbol('s')]) {
      await assert.rejects(getCheckpointState(bad as never), (e) => misuse(e, UsageError, 'getCheckpointState', 'dir'));
      await assert.rejects(latestCheckpoint(bad as never), (e) => misuse(e, UsageError, 'latestCheckpoint', 'dir'));
      await assert.rejects(checkpointExists(bad as never), (e) => misuse(e, UsageError, 'checkpointExists', 'prefix'));
      await assert.rejects(readCheckpoint(bad as never), (e) => misuse(e, UsageError, 'Saver.restore', 'prefix'));
      await assert.rejects(readSaveableStates(bad as never), (e) => misuse(e, UsageError, 'readSaveableStates', 'prefix'));
      await assert.rejects(removeStrayTemporaries(bad as never), (e) => misuse(e, UsageError, 'removeStrayTemporaries', 'dir'));
    }
    await assert.rejects(readSaveableStates('/tmp/x', 'a' as never), (e) => misuse(e, UsageTypeError, 'readSaveableStates', 'names'));
    await assert.rejects(updateCheckpointState('/tmp/x', { modelCheckpointPath: 'a' } as never), (e) => misuse(e, UsageError, 'updateCheckpointState', 'allModelCheckpointPaths'));
    await assert.rejects(updateCheckpointState('/tmp/x', { model_checkpoint_path: 'a' } as never), (e) => misuse(e, UnknownOptionError, 'updateCheckpointState', 'modelCheckpointPath'));
    assert.throws(() => formatCheckpointState('/d', null as never), (e) => misuse(e, UsageTypeError, 'formatCheckpointState', 'state'));
    assert.throws(() => parseCheckpointState(5 as never), (e) => misuse(e, UsageTypeError, 'parseCheckpointState', 'text'));
  });
});
