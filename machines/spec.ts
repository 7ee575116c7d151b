/**
 * A test-model spec of a statechart, derived from its definition so it can never drift: the same
 * states, with every transition turned into an explicit event named after it ("openSession done
 * [canRestore]", "after backoff", "CLOSE"), and no invokes, guards, delays or context. It is
 * ready for `xstate/graph` (`createTestModel`, `getShortestPaths`): a path through it is a
 * sequence of lifecycle edges that a real session can be driven along.
 */
import { setup, type AnyStateMachine, type AnyStateNode } from 'xstate';

export interface SpecEdge {
  /** Path of the source state, e.g. `recovering.closingSession`. */
  readonly from: string;
  /** Path of the target state (the source itself for an ignored event). */
  readonly to: string;
  /** The spec event that takes it. */
  readonly event: string;
  /** True for a guarded transition without target: the event is consumed and ignored. */
  readonly ignored: boolean;
}

/** Options of {@link specEdges}. */
export interface SpecEdgeOptions {
  /** Resolve compound targets to the leaf they enter through `initial`. @default true */
  toLeaf?: boolean;
}

function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return ` [${guard}]`;
  if (typeof guard === 'object' && guard !== null && 'type' in guard)
    return ` [${String((guard as { type: unknown }).type)}]`;
  return ' [guard]';
}

function path(node: AnyStateNode): string {
  return node.path.join('.');
}

/**
 * The leaf state of a snapshot value as a dotted path: `{ recovering: 'backingOff' }` →
 * `recovering.backingOff` (the form `specEdges` and `leafStates` use).
 */
export function leafStatePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${key}.${leafStatePath(inner)}`;
}

/** Every edge of `machine`, labelled as the spec names its events. */
export function specEdges(machine: AnyStateMachine, options: SpecEdgeOptions = {}): SpecEdge[] {
  const toLeaf = options.toLeaf ?? true;
  const edges: SpecEdge[] = [];
  const visit = (node: AnyStateNode): void => {
    const delays = new Map<string, string>();
    for (const after of node.after)
      delays.set(after.eventType, typeof after.delay === 'string' ? after.delay : `${String(after.delay)}ms`);
    const invokeSrc = (id: string): string => {
      const inv = node.invoke.find((i: { id: string }) => i.id === id);
      return typeof inv?.src === 'string' ? inv.src : id;
    };
    const label = (eventType: string): string => {
      if (eventType === '') return 'always';
      if (delays.has(eventType)) return `after ${delays.get(eventType)}`;
      if (eventType.startsWith('xstate.done.actor.')) return `${invokeSrc(eventType.slice(18))} done`;
      if (eventType.startsWith('xstate.error.actor.')) return `${invokeSrc(eventType.slice(19))} failed`;
      return eventType;
    };
    const entries: [string, readonly { target?: readonly AnyStateNode[] | undefined; guard?: unknown }[]][] = [
      ...node.transitions.entries(),
    ];
    if (node.always) entries.unshift(['', node.always]);
    for (const [eventType, transitions] of entries) {
      for (const t of transitions) {
        const event = label(eventType) + guardLabel(t.guard);
        if ((t.target ?? []).length === 0) edges.push({ from: path(node), to: path(node), event, ignored: true });
        for (const target of t.target ?? []) {
          // Entering a compound state lands in its initial leaf.
          let leaf: AnyStateNode = target;
          while (toLeaf && leaf.initial?.target?.[0]) leaf = leaf.initial.target[0] as AnyStateNode;
          edges.push({ from: path(node), to: path(leaf), event, ignored: false });
        }
      }
    }
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(machine.root);
  return edges;
}

/** Leaf state paths of `machine` (`recovering.backingOff`, `running`, ...). */
export function leafStates(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const visit = (node: AnyStateNode): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0 && node.path.length > 0) out.push(path(node));
    for (const c of children) visit(c);
  };
  visit(machine.root);
  return out;
}

/** An event of a spec machine: a chart event (`CLOSE`) or an effect's outcome (`createSession done`). */
export interface SpecEvent {
  type: string;
}

const specSetup = setup({ types: { events: {} as SpecEvent } });

/** The type of a spec machine: no context, no effects, events named as {@link specEdges} names them. */
export type SpecMachine = ReturnType<typeof specSetup.createMachine>;

/**
 * The spec machine of `machine`. Transitions declared on a compound state (like `CLOSE` on
 * `recovering`) apply to each of its leaves, as in the real chart.
 */
export function toSpecMachine(machine: AnyStateMachine): SpecMachine {
  const edges = specEdges(machine);
  const root = machine.root;
  const build = (node: AnyStateNode): Record<string, unknown> => {
    const children = Object.values(node.states) as AnyStateNode[];
    const on: Record<string, string> = {};
    for (const e of edges.filter((x) => x.from === path(node))) on[e.event] = `#${root.id}.${e.to}`;
    const config: Record<string, unknown> = { on };
    if (node.type === 'final') config['type'] = 'final';
    if (children.length > 0) {
      config['initial'] = (node.initial?.target?.[0] as AnyStateNode | undefined)?.key;
      config['states'] = Object.fromEntries(children.map((c) => [c.key, build(c)]));
    }
    return config;
  };
  const config = build(root);
  return specSetup.createMachine({ id: root.id, ...config } as Parameters<typeof specSetup.createMachine>[0]);
}
