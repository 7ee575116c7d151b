// Prints the test files to run, one per line: all of them, or with `--quick` the quick subset, under a minute:
// no property suites (`*.property.test.ts`), no packaging tests, and no test that starts other processes,
// a browser or a Redis server (detected from its source, so new tests are classified as they are added).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SLOW_SOURCE = /\bnode:child_process\b|\bplaywright|\bchromium\b|\bredis-server\b|\bfrom 'redis'/;

function testFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Whether a test file belongs to the quick subset. */
export function isQuick(file: string, source: string): boolean {
  if (file.endsWith('.property.test.ts') || file.split(path.sep).includes('packaging')) return false;
  return !SLOW_SOURCE.test(source);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const all = testFiles('test').sort();
  const chosen = quick ? all.filter((f) => isQuick(f, readFileSync(path.join(root, f), 'utf8'))) : all;
  process.stdout.write(`${chosen.join('\n')}\n`);
}
