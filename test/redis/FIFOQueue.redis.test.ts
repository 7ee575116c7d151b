// The FIFOQueue behaviour tests of test/graph/FIFOQueue.test.ts, run on the Redis store.
import { after } from 'node:test';
import { closeRedisConnections } from '../../src/redis/index.ts';
import { queueTarget } from '../helpers/queueTarget.ts';
import { startRedisServer } from '../helpers/redisServer.ts';

const server = await startRedisServer();
after(async () => {
  await closeRedisConnections();
  await server.stop();
});
// Each session starts its own run generation: every test gets fresh queues.
queueTarget.target = server.target(`fifo${process.pid}`, '&epoch=new');
queueTarget.label = ' (on Redis)';
await import('../graph/FIFOQueue.test.ts');
