import { createHash } from 'node:crypto';
import { EPOCH_CHANGED, EPOCH_GONE } from './jobErrors.ts';

/** A Lua script run with `EVALSHA` (falling back to `EVAL` after a server restart). @internal */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string, checked = true): Script {
  const source = (checked ? CHECK_EPOCH : '') + SIGNAL + body;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Every data script starts here: KEYS[1] is the job's epoch key, ARGV[1] the epoch this session
 * is bound to. A changed or missing epoch (a chief re-initialized, or the server lost its data)
 * is an `ABORTED` reply, checked atomically with the operation itself.
 */
const CHECK_EPOCH = `
local e = redis.call('GET', KEYS[1])
if e ~= ARGV[1] then
  if e then return redis.error_reply('ABORTED ${EPOCH_CHANGED}') end
  return redis.error_reply('ABORTED ${EPOCH_GONE}')
end
`;

/** Wakes up to 16 waiters blocked on a signal list; the list never holds more than 16 tokens. */
const SIGNAL = `
local function signal(key, n)
  if n > 16 then n = 16 end
  for i = 1, n do redis.call('RPUSH', key, '1') end
  redis.call('LTRIM', key, -16, -1)
end
`;

/** KEYS: epoch, variable. */
export const GET = script('get', `return redis.call('GET', KEYS[2])`);

/** KEYS: epoch, variables... Answers 1/0 for each. */
export const EXISTS = script(
  'exists',
  `
local out = {}
for i = 2, #KEYS do out[i - 1] = redis.call('EXISTS', KEYS[i]) end
return out`,
);

/**
 * Atomic add on a stored number (its decimal text). KEYS: epoch, variable. ARGV: epoch, delta, name.
 * Answers the new stored value, or 0 when the value is not a finite number (the client then
 * uses compare-and-set).
 */
export const ADD = script(
  'add',
  `
local v = redis.call('GET', KEYS[2])
if not v then return redis.error_reply('FAILED_PRECONDITION Attempting to use uninitialized value ' .. ARGV[3]) end
local first = string.sub(v, 1, 1)
if first == 'b' or first == 't' or first == 'j' then return 0 end
local x = tonumber(v)
local d = tonumber(ARGV[2])
if x == nil or d == nil then return 0 end
local r = x + d
if r ~= r or r == math.huge or r == -math.huge then return 0 end
local s = string.format('%.17g', r)
redis.call('SET', KEYS[2], s)
return s`,
);

/** Compare-and-set. KEYS: epoch, variable. ARGV: epoch, expected, next. */
export const CAS = script(
  'cas',
  `
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('SET', KEYS[2], ARGV[3]) return 1 end
return 0`,
);

/**
 * KEYS: epoch, list, closed, items signal, space signal. ARGV: epoch, capacity (-1: none),
 * 'new' | 'pending', items... Answers how many were pushed, -1 if the queue is closed (a new
 * enqueue), -2 if it was closed with cancelPendingEnqueues (a pending one).
 */
export const ENQUEUE = script(
  'enqueue',
  `
local closed = redis.call('GET', KEYS[3])
if closed == 'cancel' and ARGV[3] == 'pending' then return -2 end
if closed and ARGV[3] == 'new' then return -1 end
local cap = tonumber(ARGV[2])
local n = #ARGV - 3
if cap >= 0 then
  local room = cap - redis.call('LLEN', KEYS[2])
  if room < n then n = room end
end
if n <= 0 then return 0 end
for i = 4, 3 + n do redis.call('RPUSH', KEYS[2], ARGV[i]) end
signal(KEYS[4], n)
return n`,
);

/**
 * KEYS: epoch, list, closed, items signal, space signal. ARGV: epoch, n, capacity (-1: none).
 * Answers {1, items} (all n), {2, items} (a request larger than the capacity takes a full
 * queue's elements), {3, size} (closed with too few), {0, size} (wait).
 */
export const DEQUEUE = script(
  'dequeue',
  `
local n = tonumber(ARGV[2])
local len = redis.call('LLEN', KEYS[2])
if len >= n then
  local items = redis.call('LPOP', KEYS[2], n)
  signal(KEYS[5], n)
  return {1, items}
end
local cap = tonumber(ARGV[3])
if cap >= 0 and n > cap and len == cap and len > 0 then
  local items = redis.call('LPOP', KEYS[2], len)
  signal(KEYS[5], len)
  return {2, items}
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {3, len} end
return {0, len}`,
);

/** Puts elements back at the front, in order. KEYS as DEQUEUE. ARGV: epoch, items... */
export const GIVE_BACK = script(
  'giveBack',
  `
for i = #ARGV, 2, -1 do redis.call('LPUSH', KEYS[2], ARGV[i]) end
signal(KEYS[4], #ARGV - 1)
return 1`,
);

/** KEYS as DEQUEUE. ARGV: epoch, 'closed' | 'cancel'. Wakes every waiter. */
export const CLOSE = script(
  'close',
  `
if redis.call('GET', KEYS[3]) ~= 'cancel' then redis.call('SET', KEYS[3], ARGV[2]) end
signal(KEYS[4], 16)
signal(KEYS[5], 16)
return 1`,
);

/** KEYS as DEQUEUE. Answers {size, closed}. */
export const QUEUE_STATE = script('queueState', `return {redis.call('LLEN', KEYS[2]), redis.call('EXISTS', KEYS[3])}`);

/**
 * Starts a run generation. KEYS: epoch, ready, done. ARGV: the new epoch. Answers the old one.
 */
export const START_EPOCH = script(
  'startEpoch',
  `
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return old`,
  false,
);

/** KEYS: epoch, marker (ready or done). ARGV: epoch, value. */
export const MARK = script('mark', `redis.call('SET', KEYS[2], ARGV[2]) return 1`);
