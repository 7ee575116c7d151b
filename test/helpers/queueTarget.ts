/**
 * Where test/graph/FIFOQueue.test.ts runs its queues: in memory (`''`) unless a suite that
 * imports it sets another target first (test/redis/FIFOQueue.redis.test.ts runs the same
 * behaviour tests on Redis).
 */
export const queueTarget = { target: '', label: '' };
