// Child process of RedisStore.test.ts: `count` increments of the global step through the target.
import { Graph, Session, getOrCreateGlobalStep } from '../../../src/index.ts';
import { closeRedisConnections } from '../../../src/redis/index.ts';

const [target, count] = process.argv.slice(2) as [string, string];
const g = new Graph();
const step = getOrCreateGlobalStep(g);
const inc = g.assignAdd(step, 1);
const sess = new Session(g, { target });
// Start together: a burst of concurrent increments is what would expose a read-then-write race.
const pending: Promise<number>[] = [];
for (let i = 0; i < Number(count); i++) {
  pending.push(sess.run(inc));
  if (pending.length === 8) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
await sess.close();
await closeRedisConnections();
process.stdout.write('done\n');
