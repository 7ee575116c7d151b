import { Graph, OutOfRangeError, Session, getOrCreateGlobalStep } from '../index.ts';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  steps: number;
  batchSize: number;
  log: (line: string) => void;
}

/**
 * A small regression job on the embedded backend with a plain `Session`: a producer feeds
 * minibatches of (x, y = 3x + 2 + noise) through a FIFOQueue, and gradient descent fits w and b.
 * Returns the fitted parameters and the final loss.
 */
export async function runDemo({ steps, batchSize, log }: DemoOptions): Promise<{ w: number; b: number; loss: number; step: number }> {
  const g = new Graph();
  type Batch = { xs: Float64Array; ys: Float64Array };
  const batchIn = g.placeholder<Batch>('batch_in');
  const queue = g.fifoQueue<Batch>({ capacity: 8, name: 'batches' });
  const enqueue = queue.enqueue(batchIn);
  const close = queue.close();
  const batch = queue.dequeue();
  const w = g.variable(0, { name: 'w' });
  const b = g.variable(0, { name: 'b' });
  const step = getOrCreateGlobalStep(g);
  const grads = g.op('gradients', [w, b, batch], (w, b, { xs, ys }) => {
    let gw = 0;
    let gb = 0;
    let loss = 0;
    for (let i = 0; i < xs.length; i++) {
      const err = w * xs[i]! + b - ys[i]!;
      gw += (2 * err * xs[i]!) / xs.length;
      gb += (2 * err) / xs.length;
      loss += (err * err) / xs.length;
    }
    return { gw, gb, loss };
  });
  const lr = 0.1;
  const train = g.group(
    [g.assign(w, g.op('w_next', [w, grads], (w, d) => w - lr * d.gw)), g.assign(b, g.op('b_next', [b, grads], (b, d) => b - lr * d.gb)), g.assignAdd(step, 1)],
    'train',
  );
  const loss = g.op('loss', [grads], (d) => d.loss);

  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const producer = (async () => {
    for (let i = 0; i < steps; i++) {
      const xs = Float64Array.from({ length: batchSize }, () => random() * 2 - 1);
      const ys = xs.map((x) => 3 * x + 2 + (random() - 0.5) * 0.1);
      await sess.run(enqueue, new Map([[batchIn, { xs, ys }]]));
    }
    await sess.run(close);
  })();

  let last = { loss: NaN, step: 0 };
  for (;;) {
    try {
      const [l, , s] = await sess.run([loss, train, step]);
      last = { loss: l, step: s };
      if (s % Math.max(1, Math.floor(steps / 10)) === 0) log(`step ${String(s).padStart(5)}  loss ${l.toFixed(6)}`);
    } catch (error) {
      if (error instanceof OutOfRangeError) break; // end of input
      throw error;
    }
  }
  await producer;
  const [wv, bv] = await sess.run([w, b]);
  await sess.close();
  return { w: wv, b: bv, ...last };
}
