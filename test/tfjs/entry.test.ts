/** tfjs is an optional peer: only `monitored-session/tfjs` (and the CLI's digit job, loaded on demand) import it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module reachable from `entry` through static imports (dynamic `import()` is on demand). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|import\s+'([^']+)')/gms)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(path.join(root, entry));
  return { files, packages };
}

describe('the tfjs entry point', () => {
  it('the core and the CLI import no tfjs package statically', () => {
    for (const entry of ['src/index.ts', 'machines/index.ts', 'src/cli/main.ts']) {
      const { packages, files } = staticGraph(entry);
      assert.ok(files.size > 3, `${entry}: walked ${files.size} files`);
      const tfjs = [...packages].filter((p) => p.startsWith('@tensorflow/') || p === 'mnist');
      assert.deepEqual(tfjs, [], `${entry} reaches ${tfjs.join(', ')}`);
    }
  });

  it('monitored-session/tfjs is exported from package.json and does import tfjs-core', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    assert.equal(pkg.exports['./tfjs']?.['types'], './dist/src/tfjs/index.d.ts');
    assert.equal(pkg.peerDependenciesMeta['@tensorflow/tfjs-core']?.optional, true);
    assert.ok(staticGraph('src/tfjs/index.ts').packages.has('@tensorflow/tfjs-core'));
  });
});
