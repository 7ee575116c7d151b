/** Checks of a graph builder's inputs: tensors and variables of that same graph. */
import { expect, instanceOf, misuse, rule, arrayOf } from '../internal/validate.ts';
import { inspectable } from './checks.ts';
import type { Graph } from './Graph.ts';
import { Tensor } from './Tensor.ts';
import { Variable } from './Variable.ts';

const variableRule = instanceOf(Variable);
const tensorList = rule<unknown[]>('an array of tensors', 'type', (v) => Array.isArray(v));
/** An array of variables. */
export const variableArray = arrayOf(variableRule);

/** Refuses anything but an array of tensors of `graph` as the inputs of `name` (`op`, `assign`, ...). */
export function checkInputs(graph: Graph, name: string, inputs: readonly unknown[]): void {
  const api = name.includes('.') ? name : `Graph.${name}`;
  expect(api, 'inputs', inputs, tensorList);
  for (const [i, input] of inputs.entries()) {
    inspectable(api, `inputs[${i}]`, input);
    if (!(input instanceof Tensor)) misuse(api, `inputs[${i}]`, 'a Tensor', input, 'type');
    if (input.graph !== graph)
      misuse(api, `inputs[${i}]`, `a Tensor of this graph (input ${i} must be from the same graph)`, input);
  }
}

/** Refuses anything but a variable of `graph` as the `variable` of `api`. */
export function checkVariable(graph: Graph, api: string, variable: unknown): void {
  expect(`Graph.${api}`, 'variable', variable, variableRule);
  if ((variable as Variable).graph !== graph)
    misuse(`Graph.${api}`, 'variable', 'a Variable of this graph (it must be from the same graph)', variable);
}
