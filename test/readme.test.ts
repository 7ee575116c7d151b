import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The README's TypeScript examples, with the package import pointed at this checkout. */
async function examples(): Promise<string[]> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const entries: Record<string, string> = {
    "'monitored-session'": 'src/index.ts',
    "'monitored-session/testing'": 'src/testing/index.ts',
    "'monitored-session/machines'": 'machines/index.ts',
  };
  const local = (code: string) =>
    Object.entries(entries).reduce(
      (c, [from, to]) => c.replaceAll(`from ${from}`, `from '${path.join(root, to)}'`),
      code,
    );
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => local(m[1]!));
}

describe('README', () => {
  it('every TypeScript example runs as written', async () => {
    const blocks = await examples();
    assert.ok(blocks.length >= 2);
    await mkdir(path.join(root, '.tmp'), { recursive: true });
    const dir = await mkdtemp(path.join(root, '.tmp', 'readme-'));
    for (const [i, code] of blocks.entries()) {
      const file = path.join(dir, `example-${i}.mts`);
      await writeFile(file, code);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: root });
      if (code.includes("'ended:'")) assert.match(stdout, /ended: stopRequested\n0 recoveries/);
      if (code.includes('FaultPlan'))
        assert.match(stdout, /'unavailable@run#3', 'aborted@hook:logger:afterRun#5' \] 2 recoveries/);
    }
  });

  it('the lifecycle diagram is the one generated from the chart (diagrams/lifecycle.mmd)', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(diagram, await readFile(path.join(root, 'diagrams/lifecycle.mmd'), 'utf8'));
  });

  it('leads with install, then the library example, then the lifecycle', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const at = (heading: string) => readme.indexOf(`\n## ${heading}`);
    const order = ['Install', 'A monitored session', 'The lifecycle'].map(at);
    assert.ok(order[0]! > 0, 'an Install section');
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `sections in that order: ${order.join(', ')}`,
    );
  });
});
