import { Graph, Session, getOrCreateGlobalStep } from '../../src/index.ts';
import { fmtRate, fmtUs, report, sideBySide } from './harness.ts';

/** Session.run on a trivial graph vs a bare async function doing the same work. */
export async function benchSessionRun(): Promise<void> {
  const g = new Graph();
  const w = g.variable(1.5, { name: 'w' });
  const step = getOrCreateGlobalStep(g);
  const inc = g.assignAdd(step, 1);
  const sess = new Session(g);
  await sess.run(g.globalVariablesInitializer());

  const state = { w: 1.5, step: 0 };
  const bare = async (): Promise<[number, number]> => {
    const v = state.w;
    state.step += 1;
    return [v, state.step];
  };

  const [ours, base] = await sideBySide(
    [
      'Session.run([w, incrementStep])',
      async (n) => {
        for (let i = 0; i < n; i++) await sess.run([w, inc]);
      },
    ],
    [
      'bare async function',
      async (n) => {
        for (let i = 0; i < n; i++) await bare();
      },
    ],
    200_000,
  );
  const ratio = ours.nsPerOp / base.nsPerOp;
  report(
    'Session.run per step (read var + increment step)',
    `${fmtUs(ours.nsPerOp)} vs bare ${fmtUs(base.nsPerOp)}  ratio ${ratio.toFixed(2)}x (target <= 10x)`,
    ratio <= 10,
  );
}

/** FIFOQueue throughput through enqueue/dequeue runs vs an array-backed async queue. */
export async function benchQueue(): Promise<void> {
  const g = new Graph();
  const x = g.placeholder<number>('x');
  const q = g.fifoQueue<number>({ capacity: 1024, name: 'q' });
  const enqueue = q.enqueue(x);
  const dequeue = q.dequeue();
  const sess = new Session(g);

  // Baseline: the simplest correct bounded async queue on a plain array.
  const buffer: number[] = [];
  let head = 0;
  const waitingTakers: ((v: number) => void)[] = [];
  const waitingPutters: (() => void)[] = [];
  const put = async (v: number): Promise<void> => {
    while (buffer.length - head >= 1024) await new Promise<void>((r) => waitingPutters.push(r));
    const taker = waitingTakers.shift();
    if (taker) taker(v);
    else buffer.push(v);
  };
  const take = async (): Promise<number> => {
    if (buffer.length - head > 0) {
      const v = buffer[head++]!;
      if (head > 4096) {
        buffer.splice(0, head);
        head = 0;
      }
      waitingPutters.shift()?.();
      return v;
    }
    return new Promise<number>((r) => waitingTakers.push(r));
  };

  const feeds = new Map([[x, 0]]);
  const [ours, base] = await sideBySide(
    [
      'FIFOQueue via Session.run',
      async (n) => {
        const producer = (async () => {
          for (let i = 0; i < n; i++) {
            feeds.set(x, i);
            await sess.run(enqueue, feeds);
          }
        })();
        for (let i = 0; i < n; i++) await sess.run(dequeue);
        await producer;
      },
    ],
    [
      'array-backed async queue',
      async (n) => {
        const producer = (async () => {
          for (let i = 0; i < n; i++) await put(i);
        })();
        for (let i = 0; i < n; i++) await take();
        await producer;
      },
    ],
    200_000,
  );
  report(
    'FIFOQueue dequeues per second (producer+consumer)',
    `${fmtRate(ours.nsPerOp)} vs baseline ${fmtRate(base.nsPerOp)}  ratio ${(ours.nsPerOp / base.nsPerOp).toFixed(2)}x (target > 200,000/s)`,
    1e9 / ours.nsPerOp > 200_000,
  );

  const batch = g.placeholder<number[]>('batch');
  const enqueueMany = q.enqueueMany(batch);
  const dequeueMany = q.dequeueMany(64);
  const items = Array.from({ length: 64 }, (_, i) => i);
  const [many] = await sideBySide(
    [
      'enqueueMany/dequeueMany(64)',
      async (n) => {
        for (let i = 0; i < n; i++) {
          await sess.run(enqueueMany, { batch: items });
          await sess.run(dequeueMany);
        }
      },
    ],
    ['noop', async () => {}],
    20_000,
    5,
  );
  report('FIFOQueue elements per second in batches of 64', fmtRate(many.nsPerOp / 64), undefined);
}
