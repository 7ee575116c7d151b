import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cycles, folderGraph } from '../../scripts/cycles.ts';

describe('import-cycle check', () => {
  it('finds a cycle between files and leaves a chain alone', () => {
    const g = new Map([
      ['src/a/x.ts', ['src/a/y.ts']],
      ['src/a/y.ts', ['src/a/x.ts', 'src/b/z.ts']],
      ['src/b/z.ts', []],
    ]);
    assert.deepEqual(cycles(g), [['src/a/x.ts', 'src/a/y.ts']]);
    assert.deepEqual(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
      [],
    );
  });

  it('finds folders that import each other; top-level files of src/ are their own nodes', () => {
    const g = new Map([
      ['src/hooks/H.ts', ['src/session/S.ts', 'src/errors.ts']],
      ['src/session/S.ts', ['src/hooks/H2.ts', 'src/errors.ts']],
      ['src/hooks/H2.ts', []],
      ['src/errors.ts', []],
      ['src/index.ts', ['src/hooks/H.ts', 'src/errors.ts']],
    ]);
    assert.deepEqual(cycles(g), [], 'no file cycle');
    assert.deepEqual(cycles(folderGraph(g)), [['src/hooks', 'src/session']]);
  });
});
