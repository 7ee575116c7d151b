// Child of redis.bench.ts: one worker process running Iris steps on the Redis target for a while.
import { buildIrisModel, irisData } from '../../src/cli/iris.ts';
import { Session } from '../../src/index.ts';
import { closeRedisConnections } from '../../src/redis/index.ts';

const [target, durationMs] = process.argv.slice(2) as [string, string];
const model = buildIrisModel({ seed: 1, faultRate: 0 });
const batch = irisBatch();
const sess = new Session(model.graph, { target });
const feed = new Map([[model.batch, batch]]);
const stop = Date.now() + Number(durationMs);
let steps = 0;
while (Date.now() < stop) {
  await sess.run([model.train, model.step], feed);
  steps++;
}
await sess.close();
await closeRedisConnections();
process.stdout.write(`${steps}\n`);

function irisBatch() {
  const data = irisData();
  return { xs: data.xs.slice(0, 16 * 4), ys: data.ys.slice(0, 16) };
}
