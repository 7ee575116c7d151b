import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { Graph, SummarySaverHook, SummaryWriterCache, getOrCreateGlobalStep, monitoredTrainingSession, summary } from '../../src/index.ts';
import { graphDefBytes, graphToPbtxt } from '../../src/checkpoint/graphDef.ts';
import { readEventDir } from '../helpers/eventFile.ts';

const GraphDefType = protobuf.loadSync(new URL('./fixtures/graph.proto', import.meta.url).pathname).lookupType('tensorflow.GraphDef');
const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-graphdef-'));

interface DecodedNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { type?: string; tensor?: { dtype: string; doubleVal?: number[]; tensorShape?: { dim?: { size: number }[] } } }>;
}
const decode = (bytes: Uint8Array) =>
  GraphDefType.toObject(GraphDefType.decode(bytes), { enums: String, longs: Number, defaults: false }) as { node: DecodedNode[]; versions: { producer: number } };

/** A small training graph with every kind of node the runtime has. */
function trainingGraph(): Graph {
  const graph = new Graph();
  const step = getOrCreateGlobalStep(graph);
  const w = graph.variable(new Float32Array([1, 2, 3]), { name: 'w' });
  const x = graph.placeholder<number>('x');
  const lr = graph.constant(0.5, 'lr');
  const queue = graph.fifoQueue<number>({ capacity: 4, name: 'input_queue' });
  const enqueue = queue.enqueue(lr, 'enqueue');
  const dequeue = queue.dequeue('dequeue');
  const train = graph.group([graph.assignAdd(step, 1, 'increment'), graph.op('loss', [x, w], (a, b) => a + b[0]!)], 'train');
  void enqueue;
  void dequeue;
  void train;
  summary.scalar(graph, 'lr', lr);
  return graph;
}

/** Parses the subset of protobuf text format `graph.pbtxt` uses: `key: value` and `key { ... }`. */
function parsePbtxt(text: string): Record<string, unknown[]> {
  const root: Record<string, unknown[]> = {};
  const stack = [root];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const top = stack.at(-1)!;
    if (line === '}') stack.pop();
    else if (line.endsWith(' {')) {
      const child: Record<string, unknown[]> = {};
      (top[line.slice(0, -2)] ??= []).push(child);
      stack.push(child);
    } else {
      const m = /^(\w+): (.*)$/.exec(line);
      assert.ok(m, `not text format: ${line}`);
      (top[m[1]!] ??= []).push(m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]);
    }
  }
  assert.equal(stack.length, 1, 'balanced braces');
  return root;
}

describe('GraphDef for TensorBoard', () => {
  it('golden bytes: a graph of one Const', () => {
    const graph = new Graph();
    graph.constant(1.5, 'c');
    // node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_DOUBLE } }
    //        attr { key: "value" value { tensor { dtype: DT_DOUBLE tensor_shape {} double_val: 1.5 } } } }
    // versions { producer: 134 }
    const hex =
      '0a 32 0a 01 63 12 05 43 6f 6e 73 74' +
      ' 2a 0b 0a 05 64 74 79 70 65 12 02 30 02' +
      ' 2a 19 0a 05 76 61 6c 75 65 12 10 42 0e 08 02 12 00 32 08 00 00 00 00 00 00 f8 3f' +
      ' 22 03 08 86 01';
    assert.equal(Buffer.from(graphDefBytes(graph)).toString('hex').replace(/(..)(?!$)/g, '$1 '), hex);
  });

  it('the graph_def event decodes with TensorFlow protos into nodes with real op names, inputs and attrs', async () => {
    const dir = await tempDir();
    const graph = trainingGraph();
    const sess = await monitoredTrainingSession({ graph, checkpointDir: dir, saveCheckpointSteps: 2 });
    for (let i = 0; i < 3; i++) await sess.run('increment');
    await sess.close();
    await SummaryWriterCache.clear();
    const events = (await readEventDir(dir)).flatMap((f) => f.events) as { graphDef?: Uint8Array; sessionLog?: { status: string; checkpointPath?: string } }[];
    const graphEvents = events.filter((e) => e.graphDef !== undefined);
    assert.equal(graphEvents.length, 1, 'one graph per file, however many hooks write it');
    assert.deepEqual(Uint8Array.from(graphEvents[0]!.graphDef!), graphDefBytes(graph));
    const def = decode(graphEvents[0]!.graphDef!);
    const byName = new Map(def.node.map((n) => [n.name, n]));
    const ops = new Set(def.node.map((n) => n.op));
    for (const op of ['VariableV2', 'Assign', 'AssignAdd', 'Placeholder', 'Const', 'NoOp', 'FIFOQueueV2', 'QueueEnqueueV2', 'QueueDequeueV2', 'ScalarSummary']) {
      assert.ok(ops.has(op), `op ${op} in ${[...ops].join(',')}`);
    }
    assert.equal(byName.get('w')!.op, 'VariableV2');
    assert.deepEqual(byName.get('w/Assign')!.input, ['w'], "a variable's initializer takes the variable");
    assert.deepEqual(byName.get('train')!.input, ['increment', 'loss']);
    assert.equal(byName.get('lr')!.attr!['dtype']!.type, 'DT_DOUBLE');
    assert.deepEqual(byName.get('lr')!.attr!['value']!.tensor!.doubleVal, [0.5]);
    assert.equal(def.versions.producer, 134);
    // SessionLog CHECKPOINT events carry the save path, as TensorFlow writes them.
    const paths = new Set(events.filter((e) => e.sessionLog?.status === 'CHECKPOINT').map((e) => e.sessionLog!.checkpointPath));
    assert.deepEqual([...paths], [path.join(dir, 'model.ckpt')]);
  });

  it('graph.pbtxt is the same GraphDef in text format', async () => {
    const graph = trainingGraph();
    const text = parsePbtxt(graphToPbtxt(graph));
    const binary = decode(graphDefBytes(graph));
    const nodes = text['node'] as Record<string, unknown[]>[];
    assert.deepEqual(
      nodes.map((n) => [n['name']![0], n['op']![0], n['input'] ?? []]),
      binary.node.map((n) => [n.name, n.op, n.input ?? []]),
    );
    const lr = nodes.find((n) => n['name']![0] === 'lr')!;
    const attrs = (lr['attr'] as Record<string, unknown[]>[]).map((a) => a['key']![0]);
    assert.deepEqual(attrs, ['dtype', 'value']);
    assert.deepEqual(((text['versions']![0]) as Record<string, unknown[]>)['producer'], ['134']);
  });

  it('SummarySaverHook with saveGraphDef writes the graph once per session in its directory', async () => {
    const dir = await tempDir();
    const graph = trainingGraph();
    const op = graph.getTensorByName('lr_1');
    const hook = new SummarySaverHook({ saveSteps: 1, summaryOp: op as never, outputDir: dir, saveGraphDef: true });
    const { MonitoredSession } = await import('../../src/index.ts');
    const sess = await MonitoredSession.create({ graph, hooks: [hook] });
    await sess.run('increment');
    await sess.close();
    const events = (await readEventDir(dir)).flatMap((f) => f.events) as { graphDef?: Uint8Array }[];
    assert.equal(events.filter((e) => e.graphDef !== undefined).length, 1);
  });
});
