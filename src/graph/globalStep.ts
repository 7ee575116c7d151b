import { UsageValueError } from '../errors.ts';
import { expect, instanceOf } from '../internal/validate.ts';
import { Graph } from './Graph.ts';
import { GraphKeys } from './GraphKeys.ts';
import { Variable } from './Variable.ts';

/**
 * The graph's global step: the single item of `GraphKeys.GLOBAL_STEP`, else a variable named
 * `global_step`, else `undefined`.
 */
export function getGlobalStep(graph: Graph): Variable<number> | undefined {
  expect('getGlobalStep', 'graph', graph, graphRule);
  const items = graph.getCollection<Variable<number>>(GraphKeys.GLOBAL_STEP);
  if (items.length > 1) {
    throw new UsageValueError('getGlobalStep: there are multiple tensors in the global_step collection.', {
      api: 'getGlobalStep',
      option: 'graph',
      received: graph,
    });
  }
  if (items.length === 1) return items[0];
  const named = graph.tryGetTensorByName('global_step');
  return named instanceof Variable ? (named as Variable<number>) : undefined;
}

/** Creates the global step (a non-trainable global variable named `global_step`, starting at 0). */
export function createGlobalStep(graph: Graph): Variable<number> {
  expect('createGlobalStep', 'graph', graph, graphRule);
  if (getGlobalStep(graph) !== undefined) {
    throw new UsageValueError('createGlobalStep: "global_step" already exists.', {
      api: 'createGlobalStep',
      option: 'graph',
      received: graph,
    });
  }
  return graph.variable(0, {
    name: 'global_step',
    trainable: false,
    collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
  });
}

/** The graph's global step, created when there is none. */
export function getOrCreateGlobalStep(graph: Graph): Variable<number> {
  expect('getOrCreateGlobalStep', 'graph', graph, graphRule);
  return getGlobalStep(graph) ?? createGlobalStep(graph);
}

const graphRule = instanceOf(Graph);
