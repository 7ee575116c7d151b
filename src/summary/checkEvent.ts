/**
 * Checks of what a `SummaryWriter` is asked to write, before a byte is encoded: a malformed
 * summary, session log or step is a `UsageError` naming the method and the field
 * (`SummaryWriter.addSummary: expected \`summary.value[0].tag\` to be a string, got 3`), never a
 * TypeError or a BigInt conversion error from inside the encoder. A valid record allocates
 * nothing here. @internal
 */
import { UsageTypeError } from '../errors.ts';
import { misuse, optional, rule } from '../internal/validate.ts';
import { SESSION_STATUS, type Event, type SessionLog } from './event.ts';
import type { Summary } from './ops.ts';

/** A field that is wrong: where (appended to the option), what was expected, what was there. */
type Problem = readonly [where: string, expected: string, received: unknown, kind?: 'type' | 'value' | undefined];

const INT64_MIN = -(2 ** 63);
const UINT64_LIMIT = 2 ** 64;
const INT64_MIN_N = -(2n ** 63n);
const UINT64_LIMIT_N = 2n ** 64n;

/** A step: an integer (number or bigint) that fits protobuf's int64 (or its uint64 reading). */
export const stepRule = rule<number | bigint>('an integer step (an int64 number or bigint)', 'value', (v) =>
  typeof v === 'number'
    ? Number.isInteger(v) && v >= INT64_MIN && v < UINT64_LIMIT
    : typeof v === 'bigint' && v >= INT64_MIN_N && v < UINT64_LIMIT_N,
);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
const isString = (v: unknown): boolean => v === undefined || typeof v === 'string';

function numbersProblem(where: string, values: unknown): Problem | undefined {
  if (!Array.isArray(values) && !(values instanceof Float64Array)) return [where, 'an array of numbers', values];
  const xs = values as ArrayLike<unknown>;
  for (let i = 0; i < xs.length; i++) if (typeof xs[i] !== 'number') return [`${where}[${i}]`, 'a number', xs[i]];
  return undefined;
}

function histoProblem(h: unknown): Problem | undefined {
  if (!isObject(h)) return ['.histo', 'a HistogramProto', h];
  for (const key of ['min', 'max', 'num', 'sum', 'sumSquares'] as const)
    if (typeof h[key] !== 'number') return [`.histo.${key}`, 'a number', h[key]];
  return numbersProblem('.histo.bucketLimit', h['bucketLimit']) ?? numbersProblem('.histo.bucket', h['bucket']);
}

function metadataProblem(md: unknown): Problem | undefined {
  if (!isObject(md)) return ['.metadata', 'an object', md];
  for (const key of ['pluginName', 'displayName', 'summaryDescription'] as const)
    if (!isString(md[key])) return [`.metadata.${key}`, 'a string', md[key]];
  if (md['content'] !== undefined && !(md['content'] instanceof Uint8Array))
    return ['.metadata.content', 'bytes (a Uint8Array)', md['content']];
  const dataClass = md['dataClass'];
  if (dataClass !== undefined && !Number.isSafeInteger(dataClass))
    return ['.metadata.dataClass', 'an integer', dataClass];
  return undefined;
}

function valueProblem(v: unknown): Problem | undefined {
  if (!isObject(v)) return ['', 'a SummaryValue ({ tag, simpleValue | histo | tensor })', v];
  if (typeof v['tag'] !== 'string') return ['.tag', 'a string', v['tag']];
  if (v['simpleValue'] !== undefined && typeof v['simpleValue'] !== 'number')
    return ['.simpleValue', 'a number', v['simpleValue']];
  const tensor = v['tensor'];
  if (
    tensor !== undefined &&
    !(
      isObject(tensor) &&
      (tensor['dtype'] === 'DT_FLOAT' || tensor['dtype'] === 'DT_DOUBLE') &&
      typeof tensor['value'] === 'number'
    )
  )
    return ['.tensor', "{ dtype: 'DT_FLOAT' | 'DT_DOUBLE', value: number }", tensor];
  return (
    (v['histo'] === undefined ? undefined : histoProblem(v['histo'])) ??
    (v['metadata'] === undefined ? undefined : metadataProblem(v['metadata']))
  );
}

function summaryProblem(summary: unknown): Problem | undefined {
  if (!isObject(summary) || !Array.isArray(summary['value'])) return ['', 'a Summary ({ value: [...] })', summary];
  const values = summary['value'] as unknown[];
  for (let i = 0; i < values.length; i++) {
    const problem = valueProblem(values[i]);
    if (problem !== undefined) return prefixed(`.value[${i}]`, problem);
  }
  return undefined;
}

function sessionLogProblem(log: unknown): Problem | undefined {
  if (!isObject(log)) return ['', 'a SessionLog ({ status, checkpointPath?, msg? })', log];
  const status = log['status'];
  if (typeof status !== 'string' || !Object.hasOwn(SESSION_STATUS, status))
    return ['.status', `one of ${Object.keys(SESSION_STATUS).join(', ')}`, status];
  if (!isString(log['checkpointPath'])) return ['.checkpointPath', 'a string', log['checkpointPath']];
  if (!isString(log['msg'])) return ['.msg', 'a string', log['msg']];
  return undefined;
}

/** Runs `find` on `value`; a problem (or a value that throws when read) is the misuse of `option`. */
function inspect(api: string, option: string, value: unknown, find: (v: unknown) => Problem | undefined): void {
  let problem: Problem | undefined;
  try {
    problem = find(value);
  } catch (cause) {
    const message = `${api}: expected \`${option}\` to be readable, got a value that threw when inspected`;
    throw new UsageTypeError(message, { api, option, received: value }, { cause });
  }
  if (problem !== undefined) misuse(api, `${option}${problem[0]}`, problem[1], problem[2], problem[3] ?? 'type');
}

/** `summary`, checked: a `Summary` whose every value the encoder can write. */
export function checkSummary(api: string, option: string, summary: unknown): Summary {
  inspect(api, option, summary, summaryProblem);
  return summary as Summary;
}

/** `log`, checked: a `SessionLog` with a known status. */
export function checkSessionLog(api: string, option: string, log: unknown): SessionLog {
  inspect(api, option, log, sessionLogProblem);
  return log as SessionLog;
}

/** `step`, checked: absent, or an int64 integer. */
export function checkStep(api: string, step: unknown): number | bigint | undefined {
  return optional(api, 'step', step, stepRule);
}

function eventProblem(event: unknown): Problem | undefined {
  if (!isObject(event)) return ['', 'an Event ({ wallTime, step?, summary | sessionLog | ... })', event];
  if (typeof event['wallTime'] !== 'number') return ['.wallTime', 'a number', event['wallTime']];
  const step = event['step'];
  if (step !== undefined && !stepRule.test(step)) return ['.step', stepRule.expected, step, 'value'];
  if (!isString(event['fileVersion'])) return ['.fileVersion', 'a string', event['fileVersion']];
  for (const key of ['graphDef', 'metaGraphDef'] as const)
    if (event[key] !== undefined && !(event[key] instanceof Uint8Array))
      return [`.${key}`, 'bytes (a Uint8Array)', event[key]];
  const inner = event['summary'] === undefined ? undefined : prefixed('.summary', summaryProblem(event['summary']));
  if (inner !== undefined) return inner;
  return event['sessionLog'] === undefined
    ? undefined
    : prefixed('.sessionLog', sessionLogProblem(event['sessionLog']));
}

function prefixed(where: string, problem: Problem | undefined): Problem | undefined {
  return problem === undefined ? undefined : [`${where}${problem[0]}`, problem[1], problem[2], problem[3]];
}

/** A whole `Event`, checked field by field (as `SummaryWriter.addEvent` receives it). */
export function checkEvent(api: string, event: unknown): Event {
  inspect(api, 'event', event, eventProblem);
  return event as Event;
}
