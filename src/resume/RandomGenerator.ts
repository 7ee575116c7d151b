import { Graph } from '../graph/Graph.ts';
import { Session } from '../graph/Session.ts';
import type { ExecContext, Tensor } from '../graph/Tensor.ts';
import { andThen, isThenable } from '../internal/promise.ts';
import { SeededRandom } from '../internal/random.ts';
import { float64s } from '../internal/slab.ts';
import { checkOptions, expect, instanceOf, is, misuse, optional } from '../internal/validate.ts';
import { resumeState } from './ResumeState.ts';
import { readOr, resumeKey } from './storeKeys.ts';

/** Options of {@link randomGenerator}. */
export interface RandomGeneratorOptions {
  /** The same seed draws the same numbers. An integer. */
  seed: number;
  /** Saved in checkpoints as `random/<name>`. @default 'random' */
  name?: string;
}

const API = 'randomGenerator';

/**
 * A seeded random generator owned by the runtime (TensorFlow's `tf.random.Generator`): its
 * state lives in the session like a variable, is saved with every checkpoint and restored with
 * it, so a resumed job draws exactly the numbers an uninterrupted one would. Draw through its ops.
 */
export class RandomGenerator {
  readonly graph: Graph;
  readonly name: string;
  readonly seed: number;
  readonly #key: string;
  readonly #random = new SeededRandom(0);

  /** @internal Use {@link randomGenerator}. */
  constructor(graph: Graph, name: string, seed: number) {
    this.graph = expect('RandomGenerator', 'graph', graph, instanceOf(Graph));
    this.name = expect('RandomGenerator', 'name', name, is.nonEmptyString);
    this.seed = expect('RandomGenerator', 'seed', seed, is.integer);
    this.#key = resumeKey('random', name);
  }

  /** An op drawing one number uniform in [0, 1) each time it runs. */
  uniform(name = `${this.name}/uniform`): Tensor<number> {
    expect(`${API}.uniform`, 'name', name, is.nonEmptyString);
    return this.graph.addNode(name, 'StatefulUniform', [], (_args, ctx) => this.#draw(ctx, () => this.#random.next()));
  }

  /** An op drawing `count` numbers uniform in [0, 1) each time it runs. */
  uniforms(count: number, name = `${this.name}/uniforms`): Tensor<Float64Array> {
    expect(`${API}.uniforms`, 'count', count, is.nonNegativeInteger);
    expect(`${API}.uniforms`, 'name', name, is.nonEmptyString);
    return this.graph.addNode(name, 'StatefulUniform', [], (_args, ctx) =>
      this.#draw(ctx, () => {
        // Not `Float64Array.from({ length }, fn)`: that costs several times more per step; and
        // from a slab: a fresh array of more than 8 numbers would have memory of its own.
        const out = float64s(count);
        this.#random.fill(out);
        return out;
      }),
    );
  }

  /** The generator's state in `session` (its seed's state when it never drew there). */
  state(session: Session): number | Promise<number> {
    expect(`${API}.state`, 'session', session, instanceOf(Session));
    return readOr(session.store, this.#key, this.seed >>> 0);
  }

  #draw<R>({ store, scope }: ExecContext, draw: () => R): R | Promise<R> {
    return andThen(readOr(store, this.#key, this.seed >>> 0), (state) => {
      this.#random.setState(state);
      const out = draw();
      // The draw is usable at once; the run (not its users) waits for the state write, so a
      // remote store sends it with the step's other writes instead of a round trip of its own.
      const written = store.writeVariable(this.#key, this.#random.getState());
      if (isThenable(written)) scope.waitFor(written);
      return out;
    });
  }
}

/**
 * A runtime-owned seeded random generator for `graph`, checkpointed with the model.
 * @example
 * const noise = randomGenerator(graph, { seed: 7 }).uniforms(64);
 * const step = graph.op('step', [w, noise], (w, n) => ...);
 */
export function randomGenerator(graph: Graph, options: RandomGeneratorOptions): RandomGenerator {
  const opts = checkOptions(API, options, ['seed', 'name'], { required: true });
  const seed = expect(API, 'seed', opts.seed, is.integer);
  const state = resumeState(graph);
  let name = optional(API, 'name', opts.name, is.nonEmptyString);
  if (name !== undefined && state.randomNames.has(name))
    misuse(API, 'name', 'a name no other generator of this graph has', name);
  name ??= 'random';
  for (let i = 1; state.randomNames.has(name); i++) name = `random_${i}`;
  state.randomNames.add(name);
  const generator = new RandomGenerator(graph, name, seed);
  graph.addToCollection('saveable_objects', {
    name: `random/${name}`,
    saveable: {
      saveState: ({ session }: { session: Session }) => andThen(generator.state(session), (state) => ({ state })),
      restoreState: async (saved: Readonly<Record<string, unknown>>, { session }: { session: Session }) => {
        await session.store.writeVariable(resumeKey('random', name), saved['state']);
      },
      restoreAbsent: ({ session }: { session: Session }) =>
        state.absent(
          session,
          `the checkpoint holds no state for random generator '${name}': it starts over from its seed`,
        ),
    },
  });
  return generator;
}
