/**
 * Renders a machine as a Mermaid `stateDiagram-v2` (which GitHub renders), straight from its
 * definition: states, nested states, initial and final states, and every transition labelled
 * with its event (done/error of the invoked effect, `after` delays, `always`) and guard.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { specEdges } from './spec.ts';

function nodeId(node: AnyStateNode): string {
  return node.path.length === 0 ? node.machine.id : node.path.join('_');
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
      if (child.key !== id) lines.push(`${indent}state "${child.key}" as ${id}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id} {`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
      if (child.invoke.length > 0) lines.push(`${indent}${id} : invokes ${child.invoke.map((i: { src: unknown }) => String(i.src)).join(', ')}`);
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  };
  walk(machine.root, '  ');
  // Transitions after the states, so every id is declared first.
  // A transition of the root (the one CLOSE) is taken from any state: drawn from an "any state" box.
  const id = (statePath: string): string => (statePath === '' ? 'anyState' : statePath.replaceAll('.', '_'));
  if (specEdges(machine).some((e) => e.from === '')) lines.push('  state "any state" as anyState');
  for (const edge of specEdges(machine, { toLeaf: false })) {
    lines.push(`  ${id(edge.from)} --> ${id(edge.to)} : ${edge.event}${edge.ignored ? ' (ignored)' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
