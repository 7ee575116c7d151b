// Fails on import cycles. Between files: runtime imports (`import type` is erased, so a class and its container
// may name each other's types). Between folders (src/hooks, src/session, ..., machines; each top-level file of
// src/ its own node): every import, type-only included, since a folder importing one that imports it back is
// a layering problem either way. `npm test` runs it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROOTS = ['src', 'machines'];
const STATIC = String.raw`(?:^|[;\n}])\s*((?:import|export)\b[^'";]*?)\bfrom\s*['"]([^'"]+)['"]`;
const BARE_OR_DYNAMIC = String.raw`\bimport\s*\(?\s*['"]([^'"]+)['"]`;
const IMPORT = new RegExp(`${STATIC}|${BARE_OR_DYNAMIC}`, 'g');

interface Edge {
  to: string;
  typeOnly: boolean;
}

function files(dir: string): string[] {
  const source = (name: string) => /\.m?ts$/.test(name) && !name.endsWith('.d.ts');
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : source(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** Each file to the files it imports (relative imports only), marking `import type`/`export type` statements. */
export function importEdges(roots: string[] = ROOTS): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of roots.flatMap(files)) {
    const text = readFileSync(path.join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
    const edges = [...text.matchAll(IMPORT)]
      .map((m) => ({ spec: m[2] ?? m[3]!, typeOnly: /^(?:import|export)\s+type\b/.test(m[1] ?? '') }))
      .filter(({ spec }) => spec.startsWith('.'))
      .map(({ spec, typeOnly }) => ({
        to: path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts'),
        typeOnly,
      }));
    graph.set(file, edges);
  }
  return graph;
}

/** The file graph, with or without type-only edges. */
export function importGraph(edges: Map<string, Edge[]>, withTypes: boolean): Map<string, string[]> {
  const pick = (list: Edge[]) => [...new Set(list.filter((e) => withTypes || !e.typeOnly).map((e) => e.to))];
  return new Map([...edges].map(([file, list]) => [file, pick(list)]));
}

/** Strongly connected components with more than one node (or a self-loop): Tarjan's algorithm. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** A file's node in the folder graph: its folder, or itself for a top-level file of src/. */
const folder = (f: string) => (path.dirname(f) === 'src' ? f : path.dirname(f));

/** The folder graph: `src/a` → `src/b` when a file in one imports a file in the other. */
export function folderGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const from = folder(file);
    if (!out.has(from)) out.set(from, new Set());
    for (const d of deps) if (folder(d) !== from && graph.has(d)) out.get(from)!.add(folder(d));
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

/** Every import from folder `a` into folder `b`. */
function imports(graph: Map<string, string[]>, a: string, b: string): string[] {
  return [...graph].flatMap(([file, deps]) =>
    folder(file) === a ? deps.filter((d) => folder(d) === b).map((d) => `${file} → ${d}`) : [],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const edges = importEdges();
  const graph = importGraph(edges, true);
  const fileCycles = cycles(importGraph(edges, false));
  const folders = folderGraph(graph);
  const folderCycles = cycles(folders);
  for (const c of fileCycles) console.error(`runtime import cycle between files: ${c.join(', ')}`);
  for (const c of folderCycles) {
    const inCycle = (a: string) => (folders.get(a) ?? []).filter((b) => c.includes(b));
    const edges = c.flatMap((a) => inCycle(a).flatMap((b) => imports(graph, a, b)));
    console.error(`import cycle between folders ${c.join(' <-> ')}:\n  ${edges.join('\n  ')}`);
  }
  if (fileCycles.length + folderCycles.length > 0) process.exit(1);
  console.log(`no import cycles (${graph.size} files in ${ROOTS.join(', ')})`);
}
