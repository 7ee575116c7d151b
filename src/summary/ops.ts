/**
 * Summary ops: graph nodes whose values are `Summary` records for the `SummaryWriter`.
 * Exported as the `summary` namespace: `summary.scalar(graph, 'loss', loss)`.
 */
import { InvalidArgumentError, describeValue } from '../errors.ts';
import { arrayOf, expect, instanceOf, is } from '../internal/validate.ts';
import { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import { Tensor } from '../graph/Tensor.ts';
import { buildHistogram, histogramOf, type HistogramProto, type HistogramValues } from './histogram.ts';

export { buildHistogram };

/** One tagged value of a {@link Summary}. */
export interface SummaryValue {
  tag: string;
  /** A scalar (TF1's `simple_value`). */
  simpleValue?: number;
  histo?: HistogramProto;
  /** A scalar tensor (TF2's form of a scalar, with `metadata.pluginName = 'scalars'`). */
  tensor?: { dtype: 'DT_FLOAT' | 'DT_DOUBLE'; value: number };
  metadata?: {
    pluginName?: string;
    content?: Uint8Array;
    displayName?: string;
    summaryDescription?: string;
    dataClass?: number;
  };
}

/** A set of tagged values written at one step (TensorFlow's `Summary` proto). */
export interface Summary {
  value: SummaryValue[];
}

const graphRule = instanceOf(Graph);
const summariesRule = arrayOf(instanceOf(Tensor), 'an array of summary tensors');

function checkTag(api: string, tag: unknown): string {
  return expect(`summary.${api}`, 'tag', tag, is.nonEmptyString);
}

function checkGraph(api: string, graph: unknown): Graph {
  return expect(`summary.${api}`, 'graph', graph, graphRule);
}

/** A part of a merge, checked when the merge runs: a `Summary`. */
function summaryPart(part: unknown, i: number): Summary {
  if (part === null || typeof part !== 'object' || !Array.isArray((part as Summary).value))
    throw new InvalidArgumentError(`summary.merge: expected input ${i} to be a Summary, got ${describeValue(part)}`);
  return part as Summary;
}

function nodeName(tag: string): string {
  const cleaned = tag.replace(/[^A-Za-z0-9_.\-/]/g, '_').replace(/^[^A-Za-z0-9.]+/, '');
  return cleaned.length > 0 ? cleaned : 'summary';
}

/** A scalar summary of a numeric tensor, added to `GraphKeys.SUMMARIES`. */
export function scalar(
  graph: Graph,
  tag: string,
  tensor: Tensor<number> | Tensor<bigint> | Tensor<boolean>,
): Tensor<Summary> {
  checkGraph('scalar', graph);
  checkTag('scalar', tag);
  const node = graph.addNode<Summary>(
    nodeName(tag),
    'ScalarSummary',
    [tensor],
    ([v]) => {
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
        throw new InvalidArgumentError(`summary.scalar('${tag}'): expected a number, got ${describeValue(v)}`);
      }
      return { value: [{ tag, simpleValue: Number(v) }] };
    },
    'summary.scalar',
  );
  graph.addToCollection(GraphKeys.SUMMARIES, node);
  return node;
}

/** A histogram summary of an array or typed array of numbers, added to `GraphKeys.SUMMARIES`. */
export function histogram(
  graph: Graph,
  tag: string,
  tensor: Tensor<HistogramValues> | Tensor<number>,
): Tensor<Summary> {
  checkGraph('histogram', graph);
  checkTag('histogram', tag);
  const bad = (value: unknown, where: string): never => {
    throw new InvalidArgumentError(
      `summary.histogram('${tag}'): expected numbers, got ${describeValue(value)} at ${where}`,
    );
  };
  const node = graph.addNode<Summary>(
    nodeName(tag),
    'HistogramSummary',
    [tensor],
    ([v]) => {
      const values = typeof v === 'number' ? [v] : v;
      if (!Array.isArray(values) && !ArrayBuffer.isView(values)) {
        throw new InvalidArgumentError(
          `summary.histogram('${tag}'): expected an array of numbers, got ${describeValue(v)}`,
        );
      }
      return { value: [{ tag, histo: histogramOf(values as HistogramValues, bad) }] };
    },
    'summary.histogram',
  );
  graph.addToCollection(GraphKeys.SUMMARIES, node);
  return node;
}

/** One summary holding the values of all `summaries`. */
export function merge(
  graph: Graph,
  summaries: readonly Tensor<Summary>[],
  name = 'Merge/MergeSummary',
): Tensor<Summary> {
  checkGraph('merge', graph);
  expect('summary.merge', 'summaries', summaries, summariesRule);
  return graph.addNode<Summary>(
    name,
    'MergeSummary',
    summaries,
    (parts) => ({
      value: parts.flatMap((p, i) => summaryPart(p, i).value),
    }),
    'summary.merge',
  );
}

/** Merges every summary in `GraphKeys.SUMMARIES`; `undefined` when there is none. */
export function mergeAll(graph: Graph): Tensor<Summary> | undefined {
  checkGraph('mergeAll', graph);
  const all = graph.getCollection<Tensor<Summary>>(GraphKeys.SUMMARIES);
  return all.length === 0 ? undefined : merge(graph, all);
}

/** A scalar in TensorFlow 2's form: a float tensor with the `scalars` plugin's metadata. */
export function scalarValueTF2(tag: string, value: number): SummaryValue {
  return { tag, tensor: { dtype: 'DT_FLOAT', value }, metadata: { pluginName: 'scalars' } };
}
