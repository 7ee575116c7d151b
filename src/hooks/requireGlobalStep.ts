import { RuntimeError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import { getGlobalStep } from '../graph/globalStep.ts';
import type { Variable } from '../graph/Variable.ts';

/** The global step of `graph`, or TensorFlow's error for a hook that needs it. @internal */
export function requireGlobalStep(graph: Graph | undefined, hookName: string): Variable<number> {
  const step = graph === undefined ? undefined : getGlobalStep(graph);
  if (step === undefined) throw new RuntimeError(`Global step should be created to use ${hookName}.`);
  return step;
}
