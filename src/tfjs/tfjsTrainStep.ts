import * as tf from '@tensorflow/tfjs-core';
import { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import { getOrCreateGlobalStep } from '../graph/globalStep.ts';
import { Tensor } from '../graph/Tensor.ts';
import { Variable } from '../graph/Variable.ts';
import { arrayOf, checkOptions, expect, instanceOf, is, oneOf, optional } from '../internal/validate.ts';
import {
  TfjsState,
  isModel,
  isOptimizer,
  isVariable,
  variableOf,
  type ModelLike,
  type TfjsStateOptions,
} from './TfjsState.ts';

/** Options of {@link registerTfjsState}. */
export interface RegisterTfjsStateOptions extends TfjsStateOptions {
  /** The name the state is filed under in checkpoints (`<name>/model/0/kernel`, ...). @default 'tfjs' */
  name?: string;
}

const isGraph = instanceOf(Graph, 'Graph');

/**
 * Makes tfjs objects checkpointed state of `graph`: a {@link TfjsState} in the collection
 * `GraphKeys.SAVEABLE_OBJECTS` (every `Saver` of the graph saves and restores it with the
 * variables), and a global variable `<name>/initialized` whose initializer sends the tfjs objects
 * back to the values they have now, so a session that is initialized rather than restored (a
 * recovery before the first checkpoint) starts over consistently with the global step.
 */
export function registerTfjsState(graph: Graph, options: RegisterTfjsStateOptions): TfjsState {
  const api = 'registerTfjsState';
  expect(api, 'graph', graph, isGraph);
  const opts = checkOptions(api, options, ['name', 'model', 'variables', 'optimizer'], { required: true });
  const name = optional(api, 'name', opts.name, is.nonEmptyString) ?? 'tfjs';
  const { name: _name, ...stateOptions } = options;
  const state = new TfjsState(stateOptions);
  graph.addToCollection(GraphKeys.SAVEABLE_OBJECTS, { name, saveable: state });
  graph.variable(
    () => {
      state.reset();
      return 0;
    },
    { name: `${name}/initialized`, trainable: false },
  );
  return state;
}

/** Options of {@link tfjsTrainStep}. */
export interface TfjsTrainStepOptions<B> extends RegisterTfjsStateOptions {
  /** Applies the gradients of `loss` to the trained variables. Its state is checkpointed. */
  optimizer: tf.Optimizer;
  /** The loss of one batch, a scalar. Runs inside `tf.tidy`: tensors made here are disposed. */
  loss: (batch: B) => tf.Scalar;
  /** A graph tensor whose value (per run) is handed to `loss`, e.g. a queue's dequeue. */
  batch?: Tensor<B>;
  /**
   * Variables the optimizer trains. @default the model's trainable weights and the trainable
   * `variables` (every trainable tfjs variable when neither is given)
   */
  varList?: readonly tf.Variable[];
  /** The global step, incremented in the same run as each applied step. @default getOrCreateGlobalStep(graph) */
  globalStep?: Variable<number>;
  /** How the loss is read back: `dataSync()` (CPU, WASM) or `await data()` (GPU backends). @default 'sync' */
  readLoss?: 'sync' | 'async';
}

/** The graph tensors of a tfjs training step. */
export interface TfjsTrainStep {
  /** Run this each step: applies one optimizer step and increments the global step. */
  readonly train: Tensor<undefined>;
  /** The loss of the step, as a number (for `NanTensorHook`, `LoggingTensorHook`, summaries). Fetch it with `train`. */
  readonly loss: Tensor<number>;
  readonly globalStep: Variable<number>;
  /** The checkpointed tfjs state. */
  readonly state: TfjsState;
}

interface EngineState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/**
 * tfjs keeps the tensors a gradient tape saves for the backward pass outside every `tidy`, and
 * frees them only when the backward pass runs: a loss function that throws leaks them (about one
 * per op of the forward pass). After a failed step, nothing is being recorded any more: free them.
 */
function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state?: EngineState }).state;
  if (state === undefined || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

function defaultVarList(
  model: ModelLike | undefined,
  variables: TfjsStateOptions['variables'],
): tf.Variable[] | undefined {
  if (model === undefined && variables === undefined) return undefined;
  const list = (model?.trainableWeights ?? model?.weights ?? []).map(variableOf);
  const vars = variables === undefined ? [] : Array.isArray(variables) ? variables : Object.values(variables);
  return [...list, ...vars.filter((v) => v.trainable)];
}

/**
 * A tfjs training step as graph ops, to run under `MonitoredSession` / `monitoredTrainingSession`
 * with every standard hook: `train` calls `optimizer.minimize(() => loss(batch))` inside
 * `tf.tidy`, reads the loss as a number and disposes it, then increments the global step (only
 * when the step succeeded). The model, variables and optimizer are registered as checkpointed
 * state ({@link registerTfjsState}).
 * @example
 * const step = tfjsTrainStep(graph, { model, optimizer: tf.train.adam(1e-3), batch, loss: ({ xs, ys }) =>
 *   tf.losses.softmaxCrossEntropy(tf.tensor2d(ys, [32, 10]), model.apply(tf.tensor2d(xs, [32, 784])) as tf.Tensor),
 * });
 * const hooks = [new NanTensorHook({ lossTensor: step.loss })];
 * const sess = await monitoredTrainingSession({ graph, checkpointDir, hooks });
 * while (!sess.shouldStop()) await sess.run(step.train);
 */
export function tfjsTrainStep<B = undefined>(graph: Graph, options: TfjsTrainStepOptions<B>): TfjsTrainStep {
  const api = 'tfjsTrainStep';
  expect(api, 'graph', graph, isGraph);
  const known = [
    'name',
    'model',
    'variables',
    'optimizer',
    'loss',
    'batch',
    'varList',
    'globalStep',
    'readLoss',
  ] as const;
  const opts = checkOptions(api, options, known, { required: true });
  const optimizer = expect(api, 'optimizer', opts.optimizer, isOptimizer);
  const lossFn = expect(api, 'loss', opts.loss, is.function) as (batch: B) => tf.Scalar;
  const batch = optional(api, 'batch', opts.batch, instanceOf(Tensor, 'graph Tensor'));
  const model = optional(api, 'model', opts.model, isModel);
  const varList = optional(api, 'varList', opts.varList, arrayOf(isVariable));
  const globalStep =
    optional(api, 'globalStep', opts.globalStep, instanceOf(Variable, 'Variable')) ?? getOrCreateGlobalStep(graph);
  const readLoss = optional(api, 'readLoss', opts.readLoss, oneOf('sync', 'async')) ?? 'sync';
  const name = optional(api, 'name', opts.name, is.nonEmptyString) ?? 'tfjs';
  const state = registerTfjsState(graph, {
    name,
    ...(model === undefined ? {} : { model }),
    ...(options.variables === undefined ? {} : { variables: options.variables }),
    optimizer,
  });
  const trained = varList ?? defaultVarList(model, options.variables);

  const apply = (b: B): number | Promise<number> => {
    let cost: tf.Tensor;
    try {
      cost = tf.tidy(() => optimizer.minimize(() => lossFn(b), true, trained)!);
    } catch (error) {
      disposeAbandonedTape();
      throw error;
    }
    if (readLoss === 'sync') {
      try {
        return cost.dataSync()[0]!;
      } finally {
        cost.dispose();
      }
    }
    return cost.data().then(
      (v) => (cost.dispose(), v[0]!),
      (error: unknown) => {
        cost.dispose();
        throw error;
      },
    );
  };
  const step = (b: B): number | Promise<number> => {
    const pending = state.settle();
    return pending === undefined ? apply(b) : pending.then(() => apply(b));
  };
  const loss =
    batch === undefined
      ? graph.op(`${name}/train_step`, [], () => step(undefined as B))
      : graph.op(`${name}/train_step`, [batch], (b) => step(b as B));
  const one = graph.op(`${name}/step_done`, [loss], () => 1);
  const train = graph.group([loss, graph.assignAdd(globalStep, one, `${name}/increment_global_step`)], `${name}/train`);
  return { train, loss: loss as Tensor<number>, globalStep, state };
}
