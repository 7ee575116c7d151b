/**
 * The values the API fuzz passes: hostile ones (wrong types, edge numbers, cyclic structures,
 * throwing callbacks and proxies, snake_case option names) and plausible ones drawn from a live
 * environment (a graph, its tensors, a session, a temporary directory), so that calls reach past
 * the first check. Every path string is relative to, or inside, the suite's temporary directory.
 */
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, Session, systemClock, type Tensor, type Variable } from '../../src/index.ts';

/** What the fuzz's own hostile callbacks and proxies throw: seeing it come back means "propagated". */
export class HostileError extends Error {
  constructor(where: string) {
    super(`hostile value threw (${where})`);
    this.name = 'HostileError';
  }
}

/** The live objects plausible arguments are drawn from; rebuilt for every fuzz run. */
export interface Env {
  readonly root: string;
  readonly graph: Graph;
  readonly session: Session;
  readonly constant: Tensor<number>;
  readonly variable: Variable<number>;
  readonly placeholder: Tensor<number>;
  readonly step: Variable<number>;
  readonly train: Tensor;
}

/** The suite's temporary directory; the process `chdir`s into it so relative paths land here. */
let root: string | undefined;
export function fuzzRoot(): string {
  return (root ??= mkdtempSync(join(tmpdir(), 'ms-fuzz-')));
}

let envCount = 0;

/** A fresh graph with a few nodes and an initialized session. */
export async function makeEnv(): Promise<Env> {
  const graph = new Graph();
  const constant = graph.constant(2, 'c');
  const variable = graph.variable(1, { name: 'w' });
  const placeholder = graph.placeholder<number>('x');
  const step = graph.variable(0, { name: 'global_step', trainable: false, collections: ['variables', 'global_step'] });
  const train = graph.assignAdd(step, 1, 'train');
  const session = new Session(graph);
  await session.run(graph.globalVariablesInitializer());
  return { root: join(fuzzRoot(), `run${envCount++}`), graph, session, constant, variable, placeholder, step, train };
}

function cyclicArray(): unknown[] {
  const a: unknown[] = [1];
  a.push(a);
  return a;
}

function cyclicObject(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o['self'] = { back: o };
  return o;
}

function throwingProxy(): object {
  const fail = (): never => {
    throw new HostileError('proxy trap');
  };
  return new Proxy(
    {},
    { get: fail, has: fail, ownKeys: fail, getPrototypeOf: fail, getOwnPropertyDescriptor: fail, set: fail },
  );
}

function revokedProxy(): object {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}

function throwingGetters(): object {
  return Object.defineProperty({}, 'graph', {
    enumerable: true,
    get() {
      throw new HostileError('getter');
    },
  });
}

/** A value to pass, built against the run's environment; labelled for the report. */
export type Gen = ((env: Env) => unknown) & { readonly label: string };

function gen(label: string, make: (env: Env) => unknown): Gen {
  return Object.assign(make, { label, [fc.toStringMethod]: () => label });
}

const constants: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['0', 0],
  ['-0', -0],
  ['1', 1],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['2**31', 2 ** 31],
  ['2**53', 2 ** 53],
  ['10n', 10n],
  ['-1n', -1n],
  ['2n**64n', 2n ** 64n],
  ['true', true],
  ['false', false],
  ['""', ''],
  ['"x"', 'x'],
  ['" "', ' '],
  ['"a:b"', 'a:b'],
  ['"checkpoint_dir"', 'checkpoint_dir'],
  ['"save_steps"', 'save_steps'],
  ['"local://none"', 'local://none'],
  ['"bogus://x"', 'bogus://x'],
  ['"x"*300', 'x'.repeat(300)],
  ['"\\0"', '\u0000'],
  ['Symbol(s)', Symbol('s')],
  ['Symbol.iterator', Symbol.iterator],
];

const makers: [string, () => unknown][] = [
  ['cyclicArray', cyclicArray],
  ['cyclicObject', cyclicObject],
  ['throwingProxy', throwingProxy],
  ['revokedProxy', revokedProxy],
  ['throwingGetter', throwingGetters],
  ['{}', () => ({})],
  ['[]', () => []],
  ['[undefined]', () => [undefined]],
  ['Map', () => new Map([[1, 2]])],
  ['Set', () => new Set([1])],
  ['InvalidDate', () => new Date(Number.NaN)],
  ['nullProto', () => Object.create(null) as object],
  ['Float32Array', () => new Float32Array(3)],
  ['anError', () => new Error('an error as a value')],
  ['aPromise', () => Promise.resolve(1)],
  ['noopFn', () => (): undefined => undefined],
  [
    'throwingFn',
    () => (): never => {
      throw new HostileError('function');
    },
  ],
  [
    'rejectingFn',
    () => async (): Promise<never> => {
      throw new HostileError('async function');
    },
  ],
];

/** Values of the wrong type or at the edges, built fresh per call. */
export const hostile: fc.Arbitrary<Gen> = fc.oneof(
  fc.constantFrom(...constants).map(([label, value]) => gen(label, () => value)),
  fc.constantFrom(...makers).map(([label, make]) => gen(label, () => make())),
);

/** Option names the API uses (camelCase); the fuzz also sends their snake_case spelling. */
export const OPTION_NAMES = [
  'graph',
  'checkpointDir',
  'logdir',
  'outputDir',
  'summaryDir',
  'savePath',
  'saveSteps',
  'saveSecs',
  'lastStep',
  'numSteps',
  'everyNIter',
  'everyNSecs',
  'everyNSteps',
  'everySteps',
  'everySecs',
  'waitUntilStep',
  'maxToKeep',
  'maxRetries',
  'maxWaitSecs',
  'recoveryWaitSecs',
  'stopGracePeriodSecs',
  'keepCheckpointEveryNHours',
  'flushSecs',
  'maxQueue',
  'capacity',
  'timeoutInMs',
  'operationTimeoutInMs',
  'clock',
  'hooks',
  'chiefOnlyHooks',
  'master',
  'target',
  'isChief',
  'config',
  'scaffold',
  'sessionCreator',
  'tensors',
  'lossTensor',
  'finalOps',
  'feedFn',
  'initFn',
  'onRecovery',
  'retryOn',
  'saveCheckpointSteps',
  'saveCheckpointSecs',
  'saveSummariesSteps',
  'saveSummariesSecs',
  'logStepCountSteps',
  'name',
  'trainable',
  'local',
  'collections',
  'saver',
  'varList',
  'queue',
  'enqueueOps',
  'failOnNanLoss',
  'traceLevel',
  'backoff',
  'inspect',
  'listeners',
  'summaryWriter',
  'summaryOp',
  'stream',
  'cancelPendingEnqueues',
  'filenameSuffix',
  'writeMetaGraph',
  'globalStep',
  'coord',
  'threads',
  'readyOp',
  'initOp',
  'localInitOp',
] as const;

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A value that fits an option of this name, so that a call gets past its checks. */
export function plausibleFor(key: string, env: Env): unknown {
  if (key === 'graph') return env.graph;
  if (/Dir$|^logdir$|Path$|^savePath$/.test(key)) return join(env.root, key);
  if (/Secs$|Hours$/.test(key)) return 0.05;
  if (key.endsWith('InMs')) return 1000;
  if (/Steps$|Step$|^num|^max|^every|^capacity$|^last/.test(key)) return 2;
  if (key === 'clock') return systemClock;
  if (/Hooks$|^hooks$|^listeners$|^collections$|^threads$/.test(key)) return [];
  if (key === 'master' || key === 'target') return '';
  if (/^is[A-Z]|^local$|^trainable$|^failOn|^write|^cancel/.test(key)) return false;
  if (key === 'tensors' || key === 'varList' || key === 'enqueueOps') return [env.constant];
  if (/Tensor$|^finalOps$|Op$|^globalStep$/.test(key)) return key === 'globalStep' ? env.step : env.constant;
  if (/Fn$|^on[A-Z]|^retryOn$/.test(key)) return () => undefined;
  if (key === 'name') return 'fuzzed';
  return undefined;
}

/** An options object: a few known keys with plausible values, maybe one hostile field, maybe a snake_case key. */
export const optionsArb: fc.Arbitrary<Gen> = fc
  .record({
    keys: fc.uniqueArray(fc.constantFrom(...OPTION_NAMES), { maxLength: 4 }),
    withGraph: fc.boolean(),
    mutate: fc.option(fc.tuple(fc.nat(), hostile), { freq: 2 }),
    snakeKey: fc.option(fc.constantFrom(...OPTION_NAMES), { freq: 4 }),
  })
  .map(({ keys, withGraph, mutate, snakeKey }) => {
    const all = withGraph && !keys.includes('graph') ? ['graph', ...keys] : keys;
    const mutated = mutate === null || all.length === 0 ? undefined : all[mutate[0] % all.length]!;
    const extra = snakeKey !== null && snake(snakeKey) !== snakeKey ? snakeKey : undefined;
    const label = `{${all.map((k) => (k === mutated ? `${k}: ${mutate![1].label}` : k)).join(', ')}${extra ? `, ${snake(extra)}` : ''}}`;
    return gen(label, (env) => {
      const options: Record<string, unknown> = {};
      for (const k of all) options[k] = k === mutated ? mutate![1](env) : plausibleFor(k, env);
      if (extra !== undefined) options[snake(extra)] = plausibleFor(extra, env);
      return options;
    });
  });

const live: [string, (env: Env) => unknown][] = [
  ['graph', (e) => e.graph],
  ['session', (e) => e.session],
  ['constant', (e) => e.constant],
  ['variable', (e) => e.variable],
  ['placeholder', (e) => e.placeholder],
  ['globalStep', (e) => e.step],
  ['train', (e) => e.train],
  ['systemClock', () => systemClock],
  ['tmpPath', (e) => join(e.root, 'dir')],
  ['"c"', () => 'c'],
  ['2', () => 2],
  ['[constant]', (e) => [e.constant]],
  ['{c: constant}', (e) => ({ c: e.constant })],
  ['{x: 1}', () => ({ x: 1 })],
];

/** One argument: hostile, a live object, or an options object. */
export const argArb: fc.Arbitrary<Gen> = fc.oneof(
  { arbitrary: hostile, weight: 3 },
  { arbitrary: fc.constantFrom(...live).map(([label, make]) => gen(label, make)), weight: 3 },
  { arbitrary: optionsArb, weight: 3 },
);

/** The argument list of one call (0 to 4 arguments). */
export const argsArb: fc.Arbitrary<Gen[]> = fc.array(argArb, { maxLength: 4 });
