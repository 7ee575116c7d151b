/**
 * Renders a machine as a Mermaid `stateDiagram-v2` (which GitHub renders), straight from its
 * definition: states, nested states, initial and final states, and every transition labelled
 * with its event (done/error of the invoked effect, `after` delays, `always`) and guard.
 *
 * Two rules keep the rendering readable. A state's label always starts with its own name: what it
 * invokes goes into the label (`creating · openSession`), never into a Mermaid description, which
 * replaces the name in the box. Transitions between the same two states are drawn as one edge
 * whose label lists them all, so no label is drawn over another.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { specEdges } from './spec.ts';

function nodeId(node: AnyStateNode): string {
  return node.path.length === 0 ? node.machine.id : node.path.join('_');
}

/** The box label of a state: its name, then what it invokes. */
function stateLabel(node: AnyStateNode): string {
  const invokes = node.invoke.map((i: { src: unknown }) => (typeof i.src === 'string' ? i.src : 'actor'));
  return invokes.length === 0 ? node.key : `${node.key} · ${invokes.join(', ')}`;
}

/** The diagram text for `machine`. */
export function toMermaid(machine: AnyStateMachine): string {
  const lines: string[] = ['stateDiagram-v2'];
  const walk = (parent: AnyStateNode, indent: string): void => {
    const children = Object.values(parent.states) as AnyStateNode[];
    const initial = parent.initial?.target?.[0] as AnyStateNode | undefined;
    if (initial) lines.push(`${indent}[*] --> ${nodeId(initial)}`);
    for (const child of children) {
      const id = nodeId(child);
      const label = stateLabel(child);
      if (label !== id) lines.push(`${indent}state "${label}" as ${id}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id} {`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  };
  walk(machine.root, '  ');
  // Transitions after the states, so every id is declared first; parallel ones share one edge.
  // A transition of the root (the one CLOSE) is taken from any state: drawn from an "any state" box.
  const id = (statePath: string): string => (statePath === '' ? 'anyState' : statePath.replaceAll('.', '_'));
  if (specEdges(machine).some((e) => e.from === '')) lines.push('  state "any state" as anyState');
  const merged = new Map<string, string[]>();
  for (const edge of specEdges(machine, { toLeaf: false })) {
    const key = `${id(edge.from)} --> ${id(edge.to)}`;
    const labels = merged.get(key) ?? [];
    labels.push(`${edge.event}${edge.ignored ? ' (ignored)' : ''}`);
    merged.set(key, labels);
  }
  for (const [key, labels] of merged) lines.push(`  ${key} : ${labels.join(' / ')}`);
  return `${lines.join('\n')}\n`;
}
