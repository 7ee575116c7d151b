// A training process for the crash test: restores from the checkpoint directory, then trains
// forever with a checkpoint every step (written in the background with the argument `async`), of
// a weights vector of the length of the third argument (default 50,000 floats).
// The parent kills it with SIGKILL at random moments.
import { Graph, getOrCreateGlobalStep, monitoredTrainingSession, setLogger, silentLogger } from '../../src/index.ts';

setLogger(silentLogger);
const dir = process.argv[2]!;
const graph = new Graph();
const step = getOrCreateGlobalStep(graph);
const weights = graph.variable(() => new Float32Array(Number(process.argv[4] ?? 50_000)), { name: 'weights' });
const train = graph.group(
  [
    graph.assign(
      weights,
      graph.op('update', [weights, step], (w, s) => w.map((x) => x + s)),
    ),
    graph.assignAdd(step, 1),
  ],
  'train',
);
const sess = await monitoredTrainingSession({
  graph,
  checkpointDir: dir,
  saveCheckpointSteps: 1,
  saveCheckpointSecs: null,
  asyncCheckpoint: process.argv[3] === 'async',
});
process.stdout.write(`started ${await sess.run(step)}\n`);
for (;;) await sess.run(train);
