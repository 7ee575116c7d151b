import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FAULT_KIT = ['FaultPlan', 'FaultySessionCreator', 'CoordinatorFaultHook', 'InjectedError', 'faultyHook'];

describe('one export list', () => {
  it('no folder barrel exports a value the door (src/index.ts) does not', async () => {
    const door = new Set(Object.keys(await import('../../src/index.ts')));
    const folders = (await readdir(path.join(root, 'src'), { withFileTypes: true })).filter((e) => e.isDirectory());
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    // Folders that are doors of their own (subpath entries such as ./testing, ./redis), and the command.
    const ownDoors = new Set(['cli', ...Object.keys(pkg.exports).map((k) => k.replace(/^\.\//, ''))]);
    let barrels = 0;
    for (const { name } of folders) {
      if (ownDoors.has(name)) continue;
      const barrel = path.join(root, 'src', name, 'index.ts');
      const mod = (await import(barrel).catch(() => undefined)) as Record<string, unknown> | undefined;
      if (mod === undefined) continue;
      barrels++;
      const extra = Object.keys(mod).filter((k) => !door.has(k));
      assert.deepEqual(extra, [], `src/${name}/index.ts exports more than the door`);
    }
    assert.ok(barrels >= 4, `${barrels} barrels checked`);
  });

  it('the fault kit is at monitored-session/testing, not at the door', async () => {
    const door = await import('../../src/index.ts');
    const testing = await import('../../src/testing/index.ts');
    for (const name of FAULT_KIT) {
      assert.ok(!(name in door), `${name} is not at the door`);
      assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', `${name} is in ./testing`);
    }
    const text = await readFile(path.join(root, 'package.json'), 'utf8');
    const pkg = JSON.parse(text) as { exports: Record<string, unknown> };
    assert.deepEqual(pkg.exports['./testing'], {
      types: './dist/src/testing/index.d.ts',
      default: './dist/src/testing/index.js',
    });
    assert.equal(pkg.exports['./internal/*'], null);
  });

  it('summary is an object of named functions, not the ops module', async () => {
    const { summary } = await import('../../src/index.ts');
    assert.deepEqual(Object.keys(summary).sort(), ['buildHistogram', 'histogram', 'merge', 'mergeAll', 'scalar']);
    assert.ok(Object.isFrozen(summary));
    for (const fn of Object.values(summary)) assert.equal(typeof fn, 'function');
  });
});
