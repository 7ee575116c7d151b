// A process of the multi-process checkpoint test, on one directory:
//   train <dir> <saves>: saves <saves> checkpoints (weights filled with the step), counting failed saves;
//   evaluate <dir>: restores the newest checkpoint in a loop with a fresh Saver each time (as an
//   evaluator does), checking the values, until <dir>/done appears.
// Prints one JSON line of counts.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Graph, NotFoundError, Saver, Session, getCheckpointState, getOrCreateGlobalStep, setLogger, silentLogger } from '../../src/index.ts';

setLogger(silentLogger);
const [mode, dir, savesArg] = process.argv.slice(2) as [string, string, string | undefined];
const graph = new Graph();
const step = getOrCreateGlobalStep(graph);
const SIZE = 50_000;
const weights = graph.variable(() => new Float32Array(SIZE), { name: 'weights' });
const sess = new Session(graph);
await sess.run(graph.globalVariablesInitializer());

if (mode === 'train') {
  const saver = new Saver({ maxToKeep: 3 });
  const errors: string[] = [];
  const saves = Number(savesArg);
  for (let s = 1; s <= saves; s++) {
    await sess.run([graph.assign(step, s), graph.assign(weights, new Float32Array(SIZE).fill(s))]);
    try {
      await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: s });
    } catch (error) {
      errors.push(String(error));
    }
  }
  await writeFile(path.join(dir, 'done'), '');
  process.stdout.write(`${JSON.stringify({ saves, failed: saver.failedSaves, errors: errors.slice(0, 3) })}\n`);
} else {
  let restored = 0;
  let raced = 0;
  let mismatches = 0;
  const errors: string[] = [];
  while (!existsSync(path.join(dir, 'done'))) {
    const state = await getCheckpointState(dir);
    if (state === undefined) continue;
    try {
      await new Saver().restore(sess, state.modelCheckpointPath);
      const [s, w] = (await sess.run([step, weights])) as [number, Float32Array];
      if (!w.every((x) => x === s) || !state.modelCheckpointPath.endsWith(`-${s}`)) mismatches++;
      restored++;
    } catch (error) {
      // Retention may delete a checkpoint between reading the state file and opening it.
      if (error instanceof NotFoundError) raced++;
      else errors.push(String(error));
    }
  }
  process.stdout.write(`${JSON.stringify({ restored, raced, mismatches, errors: errors.slice(0, 3), errorCount: errors.length })}\n`);
}
