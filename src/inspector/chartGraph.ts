/** The statechart as a graph of states and transitions, read from the machine's definition. */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { specEdges } from '../../machines/spec.ts';
import type { ChartEdge, ChartGraph, ChartNode } from './record.ts';

/** The id of the node that stands for "any state" (the source of the root's transitions). */
export const ANY_STATE = '*';

/** Nodes (every state, nested ones with their parent) and edges (parallel transitions merged) of `machine`. */
export function chartGraph(machine: AnyStateMachine): ChartGraph {
  const nodes: ChartNode[] = [];
  const visit = (node: AnyStateNode, parent: AnyStateNode | undefined): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (parent !== undefined) {
      const initial = (parent.initial?.target?.[0] as AnyStateNode | undefined) === node;
      nodes.push({
        id: node.path.join('.'),
        key: node.key,
        parent: parent.path.length === 0 ? null : parent.path.join('.'),
        type: node.type as ChartNode['type'],
        invokes: node.invoke.map((i: { src: unknown }) => (typeof i.src === 'string' ? i.src : 'actor')),
        initial,
      });
    }
    for (const child of children) visit(child, node);
  };
  visit(machine.root, undefined);
  const edges = new Map<string, { from: string; to: string; events: string[] }>();
  // A transition of the root (the one CLOSE) is taken from any state: drawn from an "any state" box.
  const rootEdges = specEdges(machine, { toLeaf: false });
  if (rootEdges.some((e) => e.from === '')) {
    nodes.push({ id: ANY_STATE, key: 'any state', parent: null, type: 'atomic', invokes: [], initial: false });
  }
  for (const edge of rootEdges) {
    const from = edge.from === '' ? ANY_STATE : edge.from;
    const key = `${from}\u0000${edge.to}`;
    const entry = edges.get(key) ?? { from, to: edge.to, events: [] };
    entry.events.push(edge.ignored ? `${edge.event} (ignored)` : edge.event);
    edges.set(key, entry);
  }
  return { id: machine.id, nodes, edges: [...edges.values()] satisfies ChartEdge[] };
}
