// `npm pack`/`npm publish` hooks (the pinst pattern): `strip` removes the `prepare` script from package.json for the
// length of the pack, so a tarball's consumer sees no install script (npm 11 warns about any); `restore` puts the
// file back byte for byte. `prepare` stays in the repository: `npm install` here and installs from git build with it.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
const backup = `${manifest}.prepack`;

/** The manifest as packed: package.json's text without the `prepare` script. */
export function packedManifest(text: string): string {
  const pkg = JSON.parse(text) as { scripts?: Record<string, string> };
  delete pkg.scripts?.['prepare'];
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  if (command === 'strip') {
    if (existsSync(backup)) throw new Error(`${backup} exists: a previous pack did not finish; restore it first`);
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(backup, text);
    writeFileSync(manifest, packedManifest(text));
  } else if (command === 'restore') {
    if (existsSync(backup)) renameSync(backup, manifest);
  } else {
    throw new Error('usage: pack-manifest.ts strip|restore');
  }
}
