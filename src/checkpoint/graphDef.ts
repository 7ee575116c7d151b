import type { Graph } from '../graph/Graph.ts';

/** A JSON description of a graph: its nodes (name, op type, inputs) and collection names. */
export interface GraphDef {
  nodes: { name: string; op: string; inputs: string[] }[];
  collections: string[];
}

/** The graph's description, as stored in `<prefix>.meta` (TensorFlow's meta graph, in JSON). */
export function graphDef(graph: Graph, saver?: unknown): GraphDef & { saver: { maxToKeep?: number } } {
  return {
    nodes: graph.nodes().map((n) => ({ name: n.name, op: n.type, inputs: n.inputs.map((i) => i.name) })),
    collections: graph.getAllCollectionKeys(),
    saver: saver !== null && typeof saver === 'object' && 'maxToKeep' in saver ? { maxToKeep: (saver as { maxToKeep: number }).maxToKeep } : {},
  };
}

/** The graph in TensorFlow's `graph.pbtxt` text style (`node { name: "..." op: "..." input: "..." }`). */
export function graphToPbtxt(graph: Graph): string {
  const lines: string[] = [];
  for (const node of graph.nodes()) {
    lines.push('node {', `  name: ${JSON.stringify(node.name)}`, `  op: ${JSON.stringify(node.type)}`);
    for (const input of node.inputs) lines.push(`  input: ${JSON.stringify(input.name)}`);
    lines.push('}');
  }
  lines.push('versions {', '  producer: 1', '}', '');
  return lines.join('\n');
}
