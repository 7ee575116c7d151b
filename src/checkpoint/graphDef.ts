/**
 * The graph as TensorFlow describes it: a `GraphDef` of `NodeDef`s with TensorFlow's op names
 * and the attrs TensorBoard reads, serialized as protobuf (the `graph_def` event of an event
 * file) or as text (`graph.pbtxt`). Also the JSON description stored in `<prefix>.meta`.
 */
import { Graph } from '../graph/Graph.ts';
import type { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { expect, instanceOf } from '../internal/validate.ts';
import { ProtoWriter } from '../summary/proto.ts';

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
    saver:
      saver !== null && typeof saver === 'object' && 'maxToKeep' in saver
        ? { maxToKeep: (saver as { maxToKeep: number }).maxToKeep }
        : {},
  };
}

/** TensorFlow's `DataType` numbers for the values this runtime holds. */
export const DataType = {
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_UINT16: 17,
  DT_UINT32: 22,
  DT_UINT64: 23,
  DT_VARIANT: 21,
} as const;
type DataTypeName = keyof typeof DataType;

/** One attr value (TensorFlow's `AttrValue`), the kinds used here. */
export type AttrValue =
  | { type: DataTypeName }
  | { shape: readonly number[] }
  | { i: number }
  | { tensor: { dtype: DataTypeName; shape: readonly number[]; value?: number | boolean | string } };

/** One node (TensorFlow's `NodeDef`). */
export interface NodeDefProto {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

/** TensorFlow's graph description (`GraphDef`): nodes in creation order, and versions. */
export interface GraphDefProto {
  node: NodeDefProto[];
  versions: { producer: number };
}

/** TensorFlow's producer version of a GraphDef written by TF 1.15 (TensorBoard accepts any). */
const PRODUCER = 134;

const TYPED: [abstract new (...args: never[]) => unknown, DataTypeName][] = [
  [Float32Array, 'DT_FLOAT'],
  [Float64Array, 'DT_DOUBLE'],
  [Int32Array, 'DT_INT32'],
  [Uint8Array, 'DT_UINT8'],
  [Int16Array, 'DT_INT16'],
  [Int8Array, 'DT_INT8'],
  [Uint16Array, 'DT_UINT16'],
  [Uint32Array, 'DT_UINT32'],
  [BigInt64Array, 'DT_INT64'],
  [BigUint64Array, 'DT_UINT64'],
];

/** The dtype and shape TensorFlow would give `value`: JS numbers are doubles, bigints int64. */
export function dtypeOf(value: unknown): { dtype: DataTypeName; shape: number[] } {
  if (typeof value === 'number') return { dtype: 'DT_DOUBLE', shape: [] };
  if (typeof value === 'bigint') return { dtype: 'DT_INT64', shape: [] };
  if (typeof value === 'boolean') return { dtype: 'DT_BOOL', shape: [] };
  if (typeof value === 'string') return { dtype: 'DT_STRING', shape: [] };
  for (const [cls, dtype] of TYPED)
    if (value instanceof cls) return { dtype, shape: [(value as unknown as ArrayLike<unknown>).length] };
  return { dtype: 'DT_VARIANT', shape: [] };
}

function constAttrs(node: Tensor): Record<string, AttrValue> {
  let value: unknown;
  try {
    // A constant's computation only returns its value.
    value = (node.compute as (args: readonly unknown[]) => unknown)([]);
  } catch {
    return {};
  }
  const { dtype, shape } = dtypeOf(value);
  const scalar =
    shape.length === 0 && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string');
  return {
    dtype: { type: dtype },
    value: { tensor: { dtype, shape, ...(scalar ? { value: value as number | boolean | string } : {}) } },
  };
}

/**
 * The graph as a TensorFlow `GraphDef`. A variable's initializer reads the variable (its `Assign`
 * takes the variable as first input, as in TensorFlow), so TensorBoard draws the edge.
 */
export function toGraphDefProto(graph: Graph): GraphDefProto {
  const nodes = graph.nodes();
  const initialized = new Map<Tensor, string>();
  for (const n of nodes) if (n instanceof Variable) initialized.set(n.initializer, n.name);
  const node = nodes.map((n): NodeDefProto => {
    const variable = initialized.get(n);
    const input = [...(variable === undefined ? [] : [variable]), ...n.inputs.map((i) => i.name)];
    const attr: Record<string, AttrValue> = n.type === 'Const' ? constAttrs(n) : {};
    return { name: n.name, op: n.type, input, attr };
  });
  return { node, versions: { producer: PRODUCER } };
}

function writeShape(w: ProtoWriter, shape: readonly number[]): void {
  for (const size of shape) w.message(2, (d) => d.varint(1, size));
}

function writeAttrValue(w: ProtoWriter, v: AttrValue): void {
  if ('type' in v) w.varint(6, DataType[v.type], true);
  else if ('shape' in v) w.message(7, (s) => writeShape(s, v.shape));
  else if ('i' in v) w.varint(3, v.i, true);
  else {
    const t = v.tensor;
    w.message(8, (m) => {
      m.varint(1, DataType[t.dtype]);
      m.message(2, (s) => writeShape(s, t.shape));
      if (typeof t.value === 'number')
        m.bytes(6, new Uint8Array(new Float64Array([t.value]).buffer)); // double_val, packed
      else if (typeof t.value === 'boolean')
        m.bytes(11, Uint8Array.of(t.value ? 1 : 0)); // bool_val, packed
      else if (typeof t.value === 'string') m.bytes(8, Buffer.from(t.value, 'utf8')); // string_val
    });
  }
}

/** Serializes a `GraphDef` (protobuf), as the `graph_def` field of an `Event` carries it. */
export function encodeGraphDef(def: GraphDefProto): Uint8Array {
  const w = new ProtoWriter();
  for (const n of def.node) {
    w.message(1, (m) => {
      m.string(1, n.name).string(2, n.op);
      for (const input of n.input) m.string(3, input);
      for (const key of Object.keys(n.attr).sort()) {
        m.message(5, (entry) => entry.string(1, key).message(2, (v) => writeAttrValue(v, n.attr[key]!)));
      }
    });
  }
  w.message(4, (v) => v.varint(1, def.versions.producer));
  return w.finish();
}

/** The graph serialized as a TensorFlow `GraphDef`, ready for `SummaryWriter.addGraph`. */
export function graphDefBytes(graph: Graph): Uint8Array {
  return encodeGraphDef(toGraphDefProto(graph));
}

const quote = (s: string): string => JSON.stringify(s);
const graphRule = instanceOf(Graph);

function pbtxtAttr(v: AttrValue, pad: string): string[] {
  if ('type' in v) return [`${pad}type: ${v.type}`];
  if ('i' in v) return [`${pad}i: ${v.i}`];
  const shape = (dims: readonly number[], p: string) => [
    `${p}shape {`,
    ...dims.flatMap((d) => [`${p}  dim {`, `${p}    size: ${d}`, `${p}  }`]),
    `${p}}`,
  ];
  if ('shape' in v) return shape(v.shape, pad);
  const t = v.tensor;
  const value =
    typeof t.value === 'number'
      ? [
          `${pad}  double_val: ${Number.isFinite(t.value) ? t.value : t.value > 0 ? 'inf' : t.value < 0 ? '-inf' : 'nan'}`,
        ]
      : typeof t.value === 'boolean'
        ? [`${pad}  bool_val: ${t.value}`]
        : typeof t.value === 'string'
          ? [`${pad}  string_val: ${quote(t.value)}`]
          : [];
  return [
    `${pad}tensor {`,
    `${pad}  dtype: ${t.dtype}`,
    ...shape(t.shape, `${pad}  `).map((l, i) => (i === 0 ? l.replace('shape {', 'tensor_shape {') : l)),
    ...value,
    `${pad}}`,
  ];
}

/** The graph in TensorFlow's `graph.pbtxt` text format (a `GraphDef` that TensorBoard renders). */
export function graphToPbtxt(graph: Graph): string {
  const def = toGraphDefProto(expect('graphToPbtxt', 'graph', graph, graphRule));
  const lines: string[] = [];
  for (const n of def.node) {
    lines.push('node {', `  name: ${quote(n.name)}`, `  op: ${quote(n.op)}`);
    for (const input of n.input) lines.push(`  input: ${quote(input)}`);
    for (const key of Object.keys(n.attr).sort()) {
      lines.push(
        '  attr {',
        `    key: ${quote(key)}`,
        '    value {',
        ...pbtxtAttr(n.attr[key]!, '      '),
        '    }',
        '  }',
      );
    }
    lines.push('}');
  }
  lines.push('versions {', `  producer: ${def.versions.producer}`, '}', '');
  return lines.join('\n');
}

/** Identifies a graph's meta graph: the same graph with the same nodes and collections. */
export function metaKeyOf(graph: Graph): { graph: Graph; shape: string } {
  return { graph, shape: `${graph.nodes().length}/${graph.getAllCollectionKeys().join(',')}` };
}

/** True when two keys of {@link metaKeyOf} name the same meta graph. */
export function sameMeta(a: { graph: Graph; shape: string } | undefined, b: { graph: Graph; shape: string }): boolean {
  return a !== undefined && a.graph === b.graph && a.shape === b.shape;
}
