/**
 * The page's files, read from the package itself (no CDN, no internet): the HTML, script and
 * style next to this module (or under `src/inspector/assets` when running from `dist/`), and
 * dagre's browser build from the installed `@dagrejs/dagre`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One servable file. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

function assetsDir(): string {
  const here = fileURLToPath(new URL('./assets/', import.meta.url));
  if (existsSync(here)) return here;
  // Built code lives in dist/src/inspector; the assets ship in src/inspector/assets.
  return fileURLToPath(new URL('../../../src/inspector/assets/', import.meta.url));
}

let cached: Map<string, Asset> | undefined;

/** Path (relative to the token) → asset. */
export function loadAssets(): Map<string, Asset> {
  if (cached !== undefined) return cached;
  const dir = assetsDir();
  const dagreDir = path.dirname(createRequire(import.meta.url).resolve('@dagrejs/dagre/package.json'));
  const file = (p: string): Buffer => readFileSync(p);
  cached = new Map<string, Asset>([
    ['', { type: 'text/html; charset=utf-8', body: file(path.join(dir, 'index.html')) }],
    ['app.js', { type: 'text/javascript; charset=utf-8', body: file(path.join(dir, 'app.js')) }],
    ['chart.js', { type: 'text/javascript; charset=utf-8', body: file(path.join(dir, 'chart.js')) }],
    ['state.js', { type: 'text/javascript; charset=utf-8', body: file(path.join(dir, 'state.js')) }],
    ['style.css', { type: 'text/css; charset=utf-8', body: file(path.join(dir, 'style.css')) }],
    ['dagre.js', { type: 'text/javascript; charset=utf-8', body: file(path.join(dagreDir, 'dist', 'dagre.min.js')) }],
  ]);
  return cached;
}
