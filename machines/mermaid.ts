/**
 * Renders a machine as a Mermaid `stateDiagram-v2` (which GitHub renders), straight from its
 * definition: states, nested states, initial and final states, and every transition labelled
 * with its event (done/error of the invoked effect, `after` delays, `always`) and guard.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

function nodeId(node: AnyStateNode): string {
  return node.path.length === 0 ? node.machine.id : node.path.join('_');
}

function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return ` [${guard}]`;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return ` [${String((guard as { type: unknown }).type)}]`;
  return ' [guard]';
}

function eventLabel(node: AnyStateNode, eventType: string): string {
  const invokeSrc = (id: string): string => {
    const inv = node.invoke.find((i: { id: string }) => i.id === id);
    return typeof inv?.src === 'string' ? inv.src : id;
  };
  if (eventType === '') return 'always';
  if (eventType.startsWith('xstate.done.actor.')) return `${invokeSrc(eventType.slice('xstate.done.actor.'.length))} done`;
  if (eventType.startsWith('xstate.error.actor.')) return `${invokeSrc(eventType.slice('xstate.error.actor.'.length))} failed`;
  return eventType;
}

/** The diagram text for `machine`. */
export function toMermaid(machine: AnyStateMachine): string {
  const lines: string[] = ['stateDiagram-v2'];
  const delayNames = new Map<string, string>();
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
  const all: AnyStateNode[] = [];
  const collect = (n: AnyStateNode): void => {
    for (const c of Object.values(n.states) as AnyStateNode[]) {
      all.push(c);
      collect(c);
    }
  };
  collect(machine.root);
  for (const node of all) {
    for (const after of node.after) {
      const delay = typeof after.delay === 'string' ? after.delay : `${String(after.delay)}ms`;
      delayNames.set(after.eventType, delay);
    }
  }
  for (const node of all) {
    const entries: [string, readonly { target?: readonly AnyStateNode[] | undefined; guard?: unknown }[]][] = [...node.transitions.entries()];
    if (node.always) entries.unshift(['', node.always]);
    for (const [eventType, transitions] of entries) {
      for (const t of transitions) {
        const label = (delayNames.has(eventType) ? `after ${delayNames.get(eventType)}` : eventLabel(node, eventType)) + guardLabel(t.guard);
        const targets = t.target ?? [];
        if (targets.length === 0) lines.push(`  ${nodeId(node)} --> ${nodeId(node)} : ${label} (ignored)`);
        for (const target of targets) lines.push(`  ${nodeId(node)} --> ${nodeId(target)} : ${label}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
