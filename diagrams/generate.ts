// Regenerates the diagrams from the machines: `npm run diagrams`. A test fails when they drift.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { lifecycleMachine } from '../machines/lifecycle.ts';
import { toMermaid } from '../machines/mermaid.ts';

/** Every diagram: file name → content. */
export function diagrams(): Record<string, string> {
  return { 'lifecycle.mmd': toMermaid(lifecycleMachine) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(diagrams())) {
    await writeFile(new URL(name, import.meta.url), text);
    console.log(`wrote diagrams/${name}`);
  }
}
